"""Partners (the institutions whose products the platform sells) and their commission."""

from __future__ import annotations

from backoffice.platform.manifest import EDIT, Count, Manifest, Module, Plan, Report, Shortcut, Stat
from models.partners import Partner

MANIFEST = Manifest(
    name="partners",
    module=Module(
        "partners",
        "/partners",
        "handshake",
        "partner",
        ("partners",),
        reports=(Report("commission.title", "/partners/commission", "coins"),),
        landing=Plan(
            work=(Count("contracts_ending", "partner", queue="ending", tone="amber"),),
            figures=(Count("partners_active", "partner", filters={"status": "active"}),),
            shortcuts=(
                Shortcut("new_partner", "/r/partner/record?id=new", "plus", ("partner", "create")),
                Shortcut("commission", "/partners/commission", "coins", ("partner", "view")),
            ),
        ),
    ),
    rights=("partner",),
    grants={
        "product_manager": {"partner": EDIT},
        "marketing": {"partner": ("view",)},
        "executive": {"partner": ("view",)},
    },
    stats=(Stat("partners", Partner, "partner"),),
    record_panels={
        "product": "pages.partners:product_commission_panel",
    },
)
