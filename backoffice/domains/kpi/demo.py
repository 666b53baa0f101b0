"""Demo data of KPIs: alert rules, then what the KPI jobs would have made of the finished
demo."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from backoffice.domains.kpi import rules as kpi
from models.kpi import AlertCondition, KpiAlertRule

# last: the jobs measure the finished demo (and its audit trail ends with theirs)
NEEDS = ("suitability",)

# (name, metric, condition, threshold, days, owning role): the demo's first two fire at once
DEMO_ALERT_RULES = (
    ("近 7 天工单量过高", "tickets_opened", AlertCondition.ABOVE, "50", 7, "cs_lead"),
    ("KYC 积压超过 20 件", "kyc_backlog", AlertCondition.ABOVE, "20", 1, "compliance"),
    (
        "周申购额环比下降超过 30%",
        "subscriptions",
        AlertCondition.FALLS_BY,
        "30",
        7,
        "product_manager",
    ),
    ("首次响应达标率低于 60%", "sla_compliance", AlertCondition.BELOW, "60", 30, "cs_lead"),
)


def through_rules(session: Session) -> None:
    """Alert rules, then what the KPI jobs would have done: a year of daily snapshots, the
    rules evaluated, last week's report written."""
    for name, metric_key, condition, threshold, days, role in DEMO_ALERT_RULES:
        session.add(
            KpiAlertRule(
                name=name,
                metric=metric_key,
                condition=condition,
                threshold=Decimal(threshold),
                period_days=days,
                owner_role=role,
            )
        )
    session.flush()
    kpi.take_snapshots(session)
    kpi.evaluate_alerts(session)
    kpi.weekly_report(session)
