"""Campaigns with their approval workflow, and the budget ledger."""

from decimal import Decimal

import sqlalchemy as sa

from backoffice.domains.campaigns import rules
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
        label_zh="营销活动",
        label_en="Campaigns",
        icon="megaphone",
        fields=(
            F("name", "活动名称", "Name", required=True, max_length=200),
            F(
                "kind",
                "活动类型",
                "Kind",
                kind="choice",
                required=True,
                choices=tuple(CampaignKind),
                choice_group="campaign_kind",
            ),
            F(
                "channel",
                "渠道",
                "Channel",
                kind="choice",
                required=True,
                choices=tuple(CampaignChannel),
                choice_group="campaign_channel",
            ),
            F("target_segment", "目标客群", "Target segment", max_length=200),
            F("start_date", "开始日期", "Starts", kind="date", required=True),
            F("end_date", "结束日期", "Ends", kind="date", required=True),
            F("budget", "预算", "Budget", kind="money", required=True, min_value=Decimal("0.01")),
            F("spent", "已花费", "Spent", kind="money", editable=False),
            F(
                "cashback_rate",
                "返现比例",
                "Cash-back rate",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                required=True,
                help_zh="按投资金额返现的比例",
                help_en="Share of the invested amount paid back",
                shown_when=("kind", (CampaignKind.CASH_BACK,)),
            ),
            F(
                "reward_cap",
                "每位客户奖励上限",
                "Reward cap per customer",
                kind="money",
                min_value=Decimal("0"),
            ),
            F("partner_id", "合作方", "Partner", kind="ref", ref="partner"),
            F(
                "product_ids",
                "参与活动的产品",
                "Products in the campaign",
                kind="multi_ref",
                ref="product",
                link=(CampaignProduct, "campaign_id", "product_id"),
                help_zh="活动只适用于所选产品；不选则适用于全部在售产品",
                help_en="The campaign applies to these products only; none means all on sale",
            ),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(S),
                choice_group="campaign_status",
            ),
            F(
                "notes",
                "奖励规则与备注",
                "Reward rules and notes",
                kind="longtext",
                max_length=4000,
            ),
        ),
        list_columns=(
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
        search_fields=("name",),
        default_sort="-start_date",
        validator=check_campaign,
        queues=(
            Queue(
                "budget_warning",
                "预算预警",
                "Budget warning",
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
                T(
                    "schedule",
                    (S.DRAFT,),
                    S.SCHEDULED,
                    "审批排期",
                    "Approve and schedule",
                    action="approve",
                ),
                T("start", (S.SCHEDULED,), S.RUNNING, "立即开始", "Start now"),
                T("end", (S.RUNNING,), S.ENDED, "结束活动", "End"),
                T(
                    "cancel",
                    (S.DRAFT, S.SCHEDULED, S.RUNNING),
                    S.CANCELLED,
                    "取消活动",
                    "Cancel",
                    action="approve",
                    maker_checker_exempt=(
                        "stopping a campaign puts nothing in force; its author may withdraw it"
                    ),
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
        label_zh="预算台账",
        label_en="Budget ledger",
        icon="receipt",
        fields=(
            F("campaign_id", "营销活动", "Campaign", kind="ref", ref="campaign", required=True),
            F("amount", "金额", "Amount", kind="money", required=True, min_value=Decimal("0.01")),
            F("note", "用途", "What for", max_length=300),
            F("recorded_by", "登记人", "Recorded by", editable=False, person=True),
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
