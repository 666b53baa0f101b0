"""Campaigns with their approval workflow, and the budget ledger."""

from decimal import Decimal

import sqlalchemy as sa

from backoffice.domains.campaigns import codes, rules
from backoffice.domains.integrations import webhooks
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from models.campaigns import (
    Campaign,
    CampaignChannel,
    CampaignKind,
    CampaignProduct,
    CampaignSpend,
    CampaignStatus,
)

S = CampaignStatus


def check_campaign(values: dict) -> dict[str, str]:
    errors = {}
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        errors["end_date"] = "campaign.dates"
    if values.get("budget") is not None and values["budget"] <= 0:
        errors["budget"] = "field.too_small"
    return errors


CAMPAIGN = register(
    Resource(
        key="campaign",
        model=Campaign,
        permission="campaign",
        module="campaigns",
        icon="megaphone",
        fields=(
            F(
                "code",
                required=True,
                max_length=codes.MAX_LENGTH,
                upper_case=True,
                unique=True,
                validator=codes.format_problem,
                help=True,
            ),
            F("name", required=True, max_length=200),
            F(
                "kind",
                kind="choice",
                required=True,
                choices=tuple(CampaignKind),
                choice_group="campaign_kind",
            ),
            F(
                "channel",
                kind="choice",
                required=True,
                choices=tuple(CampaignChannel),
                choice_group="campaign_channel",
            ),
            F("target_segment", max_length=200),
            F("start_date", kind="date", required=True),
            F("end_date", kind="date", required=True),
            F("budget", kind="money", required=True, min_value=Decimal("0.01")),
            F("spent", kind="money", editable=False),
            F(
                "cashback_rate",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                required=True,
                help=True,
                shown_when=("kind", (CampaignKind.CASH_BACK,)),
            ),
            F("reward_cap", kind="money", min_value=Decimal("0")),
            F("partner_id", kind="ref", ref="partner"),
            F(
                "product_ids",
                kind="multi_ref",
                ref="product",
                link=(CampaignProduct, "campaign_id", "product_id"),
                help=True,
            ),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(S),
                choice_group="campaign_status",
            ),
            F("notes", kind="longtext", max_length=4000),
        ),
        list_columns=(
            "code",
            "name",
            "kind",
            "channel",
            "start_date",
            "end_date",
            "budget",
            "spent",
            "status",
        ),
        title_field="name",
        filters=("kind", "channel", "status", "start_date", "budget"),
        search_fields=("name", "code"),
        default_sort="-start_date",
        validator=check_campaign,
        edit_guard=codes.code_change_problem,
        queues=(
            Queue(
                "budget_warning",
                lambda p: sa.and_(
                    Campaign.status == S.RUNNING,
                    Campaign.spent >= Campaign.budget * rules.WARNING_SHARE,
                ),
            ),
        ),
        workflow=Workflow(
            state_field="status",
            states=tuple(S),
            initial=S.DRAFT,
            editable_in=(S.DRAFT,),
            awaiting_approval=(S.DRAFT,),
            transitions=(
                T("schedule", (S.DRAFT,), S.SCHEDULED, action="approve"),
                T(
                    "start",
                    (S.SCHEDULED,),
                    S.RUNNING,
                    after=webhooks.after_transition("campaign.started", rules.event_data),
                ),
                T(
                    "end",
                    (S.RUNNING,),
                    S.ENDED,
                    after=webhooks.after_transition("campaign.ended", rules.event_data),
                ),
                T(
                    "cancel",
                    (S.DRAFT, S.SCHEDULED, S.RUNNING),
                    S.CANCELLED,
                    action="approve",
                    maker_checker_exempt=(
                        "stopping a campaign puts nothing in force; its author may withdraw it"
                    ),
                    after=webhooks.after_transition("campaign.cancelled", rules.event_data),
                ),
            ),
        ),
        attachments=True,
    )
)

CAMPAIGN_SPEND = register(
    Resource(
        key="campaign_spend",
        model=CampaignSpend,
        permission="campaign",
        module="campaigns",
        icon="receipt",
        fields=(
            F("campaign_id", kind="ref", ref="campaign", required=True),
            F("amount", kind="money", required=True, min_value=Decimal("0.01")),
            F("note", max_length=300),
            F("recorded_by", editable=False, person=True),
        ),
        list_columns=("campaign_id", "amount", "note", "recorded_by", "created_at"),
        title_field="note",
        filters=("campaign_id", "amount"),
        default_sort="-id",
        archivable=False,
        importable=False,
        before_create=rules.check_spend,
        after_create=rules.apply_spend,
    )
)
