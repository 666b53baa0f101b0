"""KYC and anti-money-laundering review: cases in work queues and watch-list screening."""

from __future__ import annotations

from backoffice.platform.manifest import EDIT, Count, Manifest, Module, Plan, Shortcut, Stat
from models.kyc import KycCase, KycCaseStatus, WatchlistEntry

# the cases the overview counts as open
OPEN_KYC = (
    KycCaseStatus.NEW,
    KycCaseStatus.IN_REVIEW,
    KycCaseStatus.WAITING_CUSTOMER,
    KycCaseStatus.ESCALATED,
)

MANIFEST = Manifest(
    name="kyc",
    module=Module(
        "kyc",
        "/kyc",
        "shield-check",
        "kyc_case",
        ("kyc_open", "watchlist"),
        landing=Plan(
            work=(
                Count("kyc_mine", "kyc_case", queue="mine", right=("kyc_case", "edit")),
                Count("kyc_new", "kyc_case", queue="new", tone="amber"),
                Count("kyc_second", "kyc_case", queue="second", tone="amber"),
                Count("kyc_overdue", "kyc_case", queue="overdue", tone="red"),
                Count(
                    "kyc_hits", "kyc_case", queue="hits", tone="red", right=("watchlist", "view")
                ),
                Count("suitability_open", "suitability_review", queue="open", tone="amber"),
                Count(
                    "overrides_requested", "suitability_override", queue="requested", tone="amber"
                ),
                Count("risk_alerts_open", "risk_alert", queue="open", tone="red"),
            ),
            approvals=("kyc_case", "suitability_override", "questionnaire"),
            figures=(
                Count("kyc_waiting", "kyc_case", queue="waiting"),
                Count("kyc_escalated", "kyc_case", queue="escalated"),
            ),
            shortcuts=(
                Shortcut(
                    "new_kyc_case", "/r/kyc_case/record?id=new", "plus", ("kyc_case", "create")
                ),
            ),
        ),
    ),
    # kyc_assessment: a case's AML risk and decision note, compliance's judgement; staff who
    # oversee read it, the customer platform's key never does (no tipping-off)
    rights=("kyc_case", "watchlist", "kyc_assessment"),
    grants={
        "compliance": {
            "kyc_case": (*EDIT, "approve"),
            "watchlist": EDIT,
            "kyc_assessment": ("view",),
        },
        "executive": {"kyc_case": ("view",), "kyc_assessment": ("view",)},
        "platform": {"kyc_case": ("view", "create")},
    },
    stats=(
        Stat("kyc_open", KycCase, "kyc_case", where=lambda: KycCase.status.in_(OPEN_KYC)),
        Stat("watchlist", WatchlistEntry, "watchlist"),
    ),
    record_panels={
        "kyc_case": "pages.kyc:case_panel",
        "customer": "pages.kyc:customer_panel",
    },
)
