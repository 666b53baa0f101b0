"""The risk questionnaire (风险测评问卷): versions approved by a second officer."""

from __future__ import annotations

from backoffice.platform.manifest import EDIT, Manifest

MANIFEST = Manifest(
    name="questionnaire",
    rights=("questionnaire",),
    grants={
        "compliance": {"questionnaire": (*EDIT, "approve")},
        "platform": {"questionnaire": ("view",)},
    },
    record_panels={
        "questionnaire": "pages.questionnaire:questionnaire_panel",
    },
)
