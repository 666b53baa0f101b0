"""Marketing campaigns, their approval and budget ledger, and their results."""

from __future__ import annotations

from backoffice.platform.manifest import EDIT, Count, Manifest, Module, Plan, Report, Shortcut, Stat
from models.campaigns import Campaign

MANIFEST = Manifest(
    name="campaigns",
    module=Module(
        "campaigns",
        "/campaigns",
        "megaphone",
        "campaign",
        ("campaigns", "customers"),
        reports=(Report("results.title", "/campaigns/results", "chart-column"),),
        landing=Plan(
            work=(
                Count("campaign_drafts", "campaign", filters={"status": "draft"}, tone="amber"),
                Count("budget_warnings", "campaign", queue="budget_warning", tone="red"),
            ),
            approvals=("campaign",),
            figures=(
                Count("campaigns_running", "campaign", filters={"status": "running"}),
                Count("campaigns_scheduled", "campaign", filters={"status": "scheduled"}),
            ),
            shortcuts=(
                Shortcut(
                    "new_campaign", "/r/campaign/record?id=new", "plus", ("campaign", "create")
                ),
                Shortcut(
                    "campaign_results", "/campaigns/results", "chart-column", ("campaign", "view")
                ),
            ),
        ),
    ),
    rights=("campaign",),
    grants={
        "product_manager": {"campaign": ("view",)},
        "marketing": {"campaign": (*EDIT, "approve")},
        "executive": {"campaign": ("view",)},
        "platform": {"campaign": ("view",)},
    },
    stats=(Stat("campaigns", Campaign, "campaign"),),
)
