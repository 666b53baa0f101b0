"""Risk indicators (market, credit, liquidity, operational, IT) and their alerts."""

from __future__ import annotations

from backoffice.platform.manifest import EDIT, Manifest

MANIFEST = Manifest(
    name="risk",
    rights=("risk_indicator",),
    grants={
        "compliance": {"risk_indicator": EDIT},
    },
    record_panels={
        "risk_indicator": "pages.risk:indicator_panel",
    },
)
