"""Campaign rules: the budget ledger (warning at 80 %, hard stop at 100 %) and the schedule
(scheduled campaigns start and end by themselves on their dates)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.domains.integrations import webhooks
from backoffice.platform import audit, notifications
from backoffice.platform.business_time import local_today
from backoffice.platform.jobs import Outcome
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.campaigns import Campaign, CampaignSpend, CampaignStatus

WARNING_SHARE = Decimal("0.8")
# the webhook each state a campaign reaches by itself announces
STATUS_EVENTS = {CampaignStatus.RUNNING: "campaign.started", CampaignStatus.ENDED: "campaign.ended"}


def event_data(campaign: Campaign) -> dict[str, Any]:
    return {"campaign_id": campaign.id, "code": campaign.code, "status": campaign.status}


def _set_status(session: Session, campaign: Campaign, status: str, actor: str, reason: str) -> bool:
    result = session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.version == campaign.version)
        .values(status=status, version=campaign.version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:
        return False
    kind = STATUS_EVENTS.get(status)
    if kind:
        data = {"campaign_id": campaign.id, "code": campaign.code, "status": status}
        webhooks.emit(session, kind, "campaign", campaign.id, data)
    audit.record(
        session,
        actor=actor,
        action="campaign.transition.auto",
        entity="campaign",
        entity_id=campaign.id,
        changes={"status": [campaign.status, status], "reason": [None, reason]},
    )
    return True


def check_spend(session: Session, principal: Principal, values: dict[str, Any]) -> dict[str, str]:
    """Before a spend entry is created: the campaign runs and the budget can take it."""
    campaign = session.exec(
        select(Campaign).where(Campaign.id == values.get("campaign_id")).with_for_update()
    ).first()
    amount = values.get("amount")
    if campaign is None:
        return {"campaign_id": "field.not_found"}
    if campaign.status != CampaignStatus.RUNNING:
        return {"campaign_id": "campaign.not_running"}
    if amount is None or amount <= 0:
        return {"amount": "field.too_small"}
    if campaign.spent + amount > campaign.budget:
        return {"amount": "campaign.budget_exceeded"}
    return {}


def apply_spend(session: Session, principal: Principal, spend: Any) -> None:
    """After a spend entry: add it to the campaign; warn at 80 %, stop the campaign at 100 %."""
    campaign = session.get(Campaign, spend.campaign_id)
    spent = campaign.spent + spend.amount
    session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(spent=spent, version=Campaign.version + 1, updated_at=utcnow())
    )
    spend.recorded_by = principal.username
    session.add(spend)
    session.flush()
    session.refresh(campaign)
    audit.record(
        session,
        actor=principal.username,
        action="campaign.spend",
        entity="campaign",
        entity_id=campaign.id,
        changes={"spent": [str(spent - spend.amount), str(spent)]},
    )
    if spent >= campaign.budget * WARNING_SHARE:
        notifications.notify(
            session,
            kind="campaign_budget",
            role="marketing",
            severity="warning",
            link=f"/r/campaign/record?id={campaign.id}",
            dedupe_key=f"campaign:{campaign.id}:budget80",
            title_zh=f"营销活动“{campaign.name}”预算已使用 80% 以上",
            title_en=f"Campaign “{campaign.name}” has used over 80% of its budget",
        )
    if spent >= campaign.budget:
        _set_status(session, campaign, CampaignStatus.ENDED, "system", "budget used up")
        notifications.notify(
            session,
            kind="campaign_budget",
            role="marketing",
            severity="critical",
            link=f"/r/campaign/record?id={campaign.id}",
            dedupe_key=f"campaign:{campaign.id}:budget100",
            title_zh=f"营销活动“{campaign.name}”预算已用完，活动已自动结束",
            title_en=f"Campaign “{campaign.name}” used its whole budget and was ended",
        )


def advance_schedule(session: Session, today: date | None = None) -> str:
    """Start scheduled campaigns whose start date has come; end running ones past their end."""
    today = today or local_today()
    started = ended = 0
    for campaign in session.exec(
        select(Campaign).where(
            Campaign.status == CampaignStatus.SCHEDULED,
            Campaign.start_date <= today,
            Campaign.archived_at.is_(None),
        )
    ).all():
        target = CampaignStatus.ENDED if campaign.end_date < today else CampaignStatus.RUNNING
        if _set_status(session, campaign, target, "system", f"start date {campaign.start_date}"):
            started += 1
    for campaign in session.exec(
        select(Campaign).where(
            Campaign.status == CampaignStatus.RUNNING,
            Campaign.end_date < today,
            Campaign.archived_at.is_(None),
        )
    ).all():
        if _set_status(
            session, campaign, CampaignStatus.ENDED, "system", f"end date {campaign.end_date}"
        ):
            ended += 1
    return Outcome("job.result.campaigns.schedule", started=started, ended=ended)


def results(session: Session) -> list[dict[str, Any]]:
    """Per campaign: new customers, converted customers, spend, budget use, cost per
    acquisition — aggregated in SQL."""
    from models.customers import Customer
    from models.transactions import Transaction, TransactionKind, TransactionStatus

    new = dict(
        session.execute(
            sa.select(Customer.campaign_id, sa.func.count())
            .where(Customer.campaign_id.is_not(None))
            .group_by(Customer.campaign_id)
        ).all()
    )
    converted = dict(
        session.execute(
            sa.select(Customer.campaign_id, sa.func.count(sa.distinct(Transaction.customer_id)))
            .join(Customer, Customer.id == Transaction.customer_id)
            .where(
                Customer.campaign_id.is_not(None),
                Transaction.kind == TransactionKind.SUBSCRIPTION,
                Transaction.status == TransactionStatus.SETTLED,
            )
            .group_by(Customer.campaign_id)
        ).all()
    )
    rows = []
    for campaign in session.exec(
        select(Campaign).where(Campaign.archived_at.is_(None)).order_by(Campaign.start_date.desc())
    ).all():
        acquired = new.get(campaign.id, 0)
        rows.append(
            {
                "id": campaign.id,
                "name": campaign.name,
                "status": campaign.status,
                "budget": campaign.budget,
                "spent": campaign.spent,
                "used": (campaign.spent / campaign.budget * 100) if campaign.budget else Decimal(0),
                "new_customers": acquired,
                "conversions": converted.get(campaign.id, 0),
                "cpa": (campaign.spent / acquired).quantize(Decimal("0.01")) if acquired else None,
            }
        )
    return rows


def spend_over_time(session: Session) -> dict[int, list[tuple[date, Decimal]]]:
    """Per campaign: the cumulative share of its budget spent, day by day (staff time zone),
    from the budget ledger."""
    zone = get_settings().zone
    budgets = dict(
        session.execute(
            sa.select(Campaign.id, Campaign.budget).where(Campaign.archived_at.is_(None))
        ).all()
    )
    series: dict[int, list[tuple[date, Decimal]]] = {}
    totals: dict[int, Decimal] = {}
    entries = session.execute(
        sa.select(CampaignSpend.campaign_id, CampaignSpend.created_at, CampaignSpend.amount)
        .where(CampaignSpend.campaign_id.in_(list(budgets)))
        .order_by(CampaignSpend.campaign_id, CampaignSpend.created_at, CampaignSpend.id)
    ).all()
    for campaign_id, at, amount in entries:
        budget = budgets[campaign_id]
        totals[campaign_id] = totals.get(campaign_id, Decimal(0)) + amount
        day = at.astimezone(zone).date()
        share = (totals[campaign_id] / budget * 100).quantize(Decimal("0.1")) if budget else None
        if share is None:
            continue
        points = series.setdefault(campaign_id, [])
        if points and points[-1][0] == day:
            points[-1] = (day, share)
        else:
            points.append((day, share))
    return series
