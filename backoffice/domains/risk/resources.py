"""Risk indicators with their thresholds, and the alerts they raise (tasks of the owning role)."""

from __future__ import annotations

from typing import Any

from backoffice.domains.risk import rules as risk
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from backoffice.security.rbac import ROLES
from models.risk import AlertStatus, RiskAlert, RiskCategory, RiskIndicator, RiskLevel

A = AlertStatus


def thresholds_in_order(values: dict[str, Any]) -> dict[str, str]:
    """The breach threshold lies beyond the warning one, in the direction that is worse."""
    warning, breach = values.get("warning_threshold"), values.get("breach_threshold")
    if warning is None or breach is None:
        return {}
    worse_up = bool(values.get("higher_is_worse"))
    if (worse_up and breach < warning) or (not worse_up and breach > warning):
        return {"breach_threshold": "risk.thresholds_order"}
    return {}


LEVEL = dict(kind="choice", choices=tuple(RiskLevel), choice_group="risk_state")

INDICATOR = register(
    Resource(
        key="risk_indicator",
        model=RiskIndicator,
        permission="risk_indicator",
        module="kyc",
        label_zh="风险指标",
        label_en="Risk indicators",
        icon="gauge",
        fields=(
            F("code", "代码", "Code", required=True, max_length=40),
            F("name_zh", "名称（中文）", "Name (Chinese)", required=True, max_length=100),
            F("name_en", "名称（英文）", "Name (English)", required=True, max_length=100),
            F(
                "category",
                "类别",
                "Category",
                kind="choice",
                required=True,
                choices=tuple(RiskCategory),
                choice_group="risk_category",
            ),
            F("unit", "单位", "Unit", max_length=20),
            F("warning_threshold", "预警阈值", "Warning threshold", kind="decimal", required=True),
            F("breach_threshold", "超限阈值", "Breach threshold", kind="decimal", required=True),
            F(
                "higher_is_worse",
                "数值越高越差",
                "Higher is worse",
                kind="bool",
                help_zh="如可用率、覆盖天数为“越低越差”",
                help_en="Availability or days of cover are worse when lower",
            ),
            F(
                "source",
                "数据来源",
                "Source",
                kind="choice",
                required=True,
                choices=risk.SOURCES,
                choice_group="risk_source",
            ),
            F(
                "owner_role",
                "负责角色",
                "Owning role",
                kind="choice",
                required=True,
                choices=tuple(ROLES),
                choice_group="role",
            ),
            F(
                "opens_task",
                "超限时生成待办",
                "A breach opens a task",
                kind="bool",
            ),
            F("current_value", "当前值", "Current value", kind="decimal", editable=False),
            F("level", "状态", "Level", editable=False, **LEVEL),
            F("measured_at", "测量时间", "Measured", kind="datetime", editable=False),
        ),
        list_columns=(
            "code",
            "name_zh",
            "category",
            "current_value",
            "warning_threshold",
            "breach_threshold",
            "level",
            "measured_at",
        ),
        title_field="name_zh",
        filters=("category", "level", "source", "owner_role"),
        search_fields=("code", "name_zh", "name_en"),
        default_sort="code",
        validator=thresholds_in_order,
    )
)

ALERT = register(
    Resource(
        key="risk_alert",
        model=RiskAlert,
        permission="risk_indicator",
        module="kyc",
        label_zh="风险预警",
        label_en="Risk alerts",
        icon="siren",
        fields=(
            F("alert_no", "预警号", "Alert no.", editable=False),
            F(
                "indicator_id",
                "指标",
                "Indicator",
                kind="ref",
                ref="risk_indicator",
                editable=False,
            ),
            F("level", "级别", "Level", editable=False, **LEVEL),
            F("value", "触发值", "Value", kind="decimal", editable=False),
            F("threshold", "阈值", "Threshold", kind="decimal", editable=False),
            F(
                "owner_role",
                "负责角色",
                "Owning role",
                kind="choice",
                choices=tuple(ROLES),
                choice_group="role",
                editable=False,
            ),
            F(
                "status",
                "处理状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(A),
                choice_group="alert_status",
            ),
            F("assignee", "处理人", "Handled by", editable=False, person=True),
            F("raised_at", "触发时间", "Raised", kind="datetime", editable=False),
            F("cleared_at", "恢复时间", "Recovered", kind="datetime", editable=False),
            F("note", "处理说明", "Notes", kind="longtext", max_length=4000),
        ),
        list_columns=(
            "alert_no",
            "indicator_id",
            "level",
            "value",
            "status",
            "assignee",
            "raised_at",
        ),
        title_field="alert_no",
        filters=("status", "level", "indicator_id", "raised_at"),
        search_fields=("alert_no",),
        default_sort="-raised_at",
        queues=(
            Queue("open", "待处理", "Open", lambda p: RiskAlert.status == A.OPEN),
            Queue(
                "mine",
                "我处理的",
                "Mine",
                lambda p: (RiskAlert.assignee == p.username) & (RiskAlert.status != A.CLOSED),
            ),
        ),
        workflow=Workflow(
            state_field="status",
            states=tuple(A),
            initial=A.OPEN,
            editable_in=(A.OPEN, A.ACKNOWLEDGED),
            transitions=(
                T(
                    "acknowledge",
                    (A.OPEN,),
                    A.ACKNOWLEDGED,
                    "认领处理",
                    "Acknowledge",
                    assign_to="assignee",
                ),
                T(
                    "close",
                    (A.OPEN, A.ACKNOWLEDGED),
                    A.CLOSED,
                    "关闭",
                    "Close",
                    required_fields=("note",),
                ),
            ),
        ),
        importable=False,
        archivable=False,
    )
)
