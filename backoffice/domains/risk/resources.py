"""Risk indicators with their thresholds, and the alerts they raise (tasks of the owning role)."""

from __future__ import annotations

from typing import Any

from backoffice.domains.risk import rules as risk
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from backoffice.security.rbac import STAFF_ROLES
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
        icon="gauge",
        fields=(
            F("code", required=True, max_length=40),
            F("name_zh", required=True, max_length=100),
            F("name_en", required=True, max_length=100),
            F(
                "category",
                kind="choice",
                required=True,
                choices=tuple(RiskCategory),
                choice_group="risk_category",
            ),
            F("unit", max_length=20),
            F("warning_threshold", kind="decimal", required=True),
            F("breach_threshold", kind="decimal", required=True),
            F("higher_is_worse", kind="bool", help=True),
            F(
                "source",
                kind="choice",
                required=True,
                choices=risk.SOURCES,
                choice_group="risk_source",
            ),
            F(
                "owner_role",
                kind="choice",
                required=True,
                choices=STAFF_ROLES,
                choice_group="role",
            ),
            F("opens_task", kind="bool"),
            F("current_value", kind="decimal", editable=False),
            F("level", editable=False, **LEVEL),
            F("measured_at", kind="datetime", editable=False),
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
        icon="siren",
        fields=(
            F("alert_no", editable=False),
            F("indicator_id", kind="ref", ref="risk_indicator", editable=False),
            F("level", editable=False, **LEVEL),
            F("value", kind="decimal", editable=False),
            F("threshold", kind="decimal", editable=False),
            F(
                "owner_role",
                kind="choice",
                choices=STAFF_ROLES,
                choice_group="role",
                editable=False,
            ),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(A),
                choice_group="alert_status",
            ),
            F("assignee", editable=False, person=True),
            F("raised_at", kind="datetime", editable=False),
            F("cleared_at", kind="datetime", editable=False),
            F("note", kind="longtext", max_length=4000),
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
            Queue("open", lambda p: RiskAlert.status == A.OPEN),
            Queue(
                "mine",
                lambda p: (RiskAlert.assignee == p.username) & (RiskAlert.status != A.CLOSED),
            ),
        ),
        workflow=Workflow(
            state_field="status",
            states=tuple(A),
            initial=A.OPEN,
            editable_in=(A.OPEN, A.ACKNOWLEDGED),
            transitions=(
                T("acknowledge", (A.OPEN,), A.ACKNOWLEDGED, assign_to="assignee"),
                T("close", (A.OPEN, A.ACKNOWLEDGED), A.CLOSED, required_fields=("note",)),
            ),
        ),
        importable=False,
        archivable=False,
    )
)
