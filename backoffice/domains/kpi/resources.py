"""KPI alert rules (defined by administrators) and the alerts they raise (tasks of the owning
role until the metric recovers)."""

from __future__ import annotations

from backoffice.domains.kpi import rules as kpi
from backoffice.domains.kpi.metrics import METRICS
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from backoffice.security.rbac import STAFF_ROLES
from models.kpi import AlertCondition, KpiAlert, KpiAlertRule, KpiAlertStatus

A = KpiAlertStatus
METRIC = dict(kind="choice", choices=tuple(m.key for m in METRICS), choice_group="kpi_metric")
ROLE = dict(kind="choice", choices=STAFF_ROLES, choice_group="role")

ALERT_RULE = register(
    Resource(
        key="kpi_alert_rule",
        model=KpiAlertRule,
        permission="kpi_alert_rule",
        module="kpi",
        icon="bell-ring",
        fields=(
            F("name", required=True, max_length=200),
            F("metric", required=True, **METRIC),
            F(
                "condition",
                kind="choice",
                required=True,
                choices=tuple(AlertCondition),
                choice_group="kpi_condition",
            ),
            F("threshold", kind="decimal", required=True, help=True),
            F(
                "period_days",
                kind="int",
                required=True,
                min_value=1,
                max_value=kpi.MAX_DAYS,
                help=True,
            ),
            F("owner_role", required=True, **ROLE),
            F("active", kind="bool"),
            F("notes", kind="longtext", max_length=2000),
        ),
        list_columns=(
            "name",
            "metric",
            "condition",
            "threshold",
            "period_days",
            "owner_role",
            "active",
        ),
        title_field="name",
        filters=("metric", "owner_role", "active"),
        search_fields=("name",),
        default_sort="name",
        validator=kpi.check_rule,
        after_create=kpi.after_rule_saved,
        after_update=kpi.after_rule_saved,
    )
)


ALERT = register(
    Resource(
        key="kpi_alert",
        model=KpiAlert,
        permission="kpi_alert",
        module="kpi",
        icon="siren",
        fields=(
            F("alert_no", editable=False),
            F("rule_id", kind="ref", ref="kpi_alert_rule", editable=False),
            F("metric", editable=False, **METRIC),
            F("value", kind="decimal", editable=False),
            F("threshold", kind="decimal", editable=False),
            F("owner_role", editable=False, **ROLE),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(A),
                choice_group="kpi_alert_status",
                editable=False,
            ),
            F("assignee", editable=False, person=True),
            F("raised_at", kind="datetime", editable=False),
            F("cleared_at", kind="datetime", editable=False),
            F("note", kind="longtext", max_length=4000),
        ),
        list_columns=(
            "alert_no",
            "metric",
            "value",
            "threshold",
            "status",
            "assignee",
            "raised_at",
        ),
        title_field="alert_no",
        filters=("status", "metric", "owner_role", "raised_at"),
        search_fields=("alert_no",),
        default_sort="-raised_at",
        row_scope=kpi.alert_scope,
        archivable=False,
        importable=False,
        queues=(
            Queue("open", lambda p: KpiAlert.status != A.CLEARED),
            Queue(
                "mine", lambda p: (KpiAlert.assignee == p.username) & (KpiAlert.status != A.CLEARED)
            ),
        ),
        workflow=Workflow(
            state_field="status",
            states=tuple(A),
            initial=A.OPEN,
            editable_in=(A.OPEN, A.ACKNOWLEDGED),
            transitions=(T("acknowledge", (A.OPEN,), A.ACKNOWLEDGED, assign_to="assignee"),),
        ),
    )
)
