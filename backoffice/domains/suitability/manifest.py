"""Suitability (适当性): override requests and reviews of unsuitable holdings."""

from __future__ import annotations

from backoffice.platform.manifest import Manifest

MANIFEST = Manifest(
    name="suitability",
    rights=("suitability_override", "suitability_review"),
    grants={
        "compliance": {
            "suitability_override": ("view", "approve", "export"),
            "suitability_review": ("view", "edit", "export"),
        },
        "cs_lead": {"suitability_override": ("view", "create")},
    },
)
