"""KPI alert rules (defined by administrators) and the alerts they raise (tasks of the owning
role until the metric recovers)."""

from __future__ import annotations

from backoffice.domains.kpi import rules as kpi
from backoffice.domains.kpi.metrics import METRICS
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from backoffice.security.rbac import ROLES
from models.kpi import AlertCondition, KpiAlert, KpiAlertRule, KpiAlertStatus

A = KpiAlertStatus
METRIC = dict(kind="choice", choices=tuple(m.key for m in METRICS), choice_group="kpi_metric")
ROLE = dict(kind="choice", choices=tuple(ROLES), choice_group="role")

ALERT_RULE = register(
    Resource(
        key="kpi_alert_rule",
        model=KpiAlertRule,
        permission="kpi_alert_rule",
        module="kpi",
        label_zh="KPI 预警规则",
        label_en="KPI alert rules",
        icon="bell-ring",
        fields=(
            F("name", "规则名称", "Name", required=True, max_length=200),
            F("metric", "指标", "Metric", required=True, **METRIC),
            F(
                "condition",
                "条件",
                "Condition",
                kind="choice",
                required=True,
                choices=tuple(AlertCondition),
                choice_group="kpi_condition",
            ),
            F(
                "threshold",
                "阈值",
                "Threshold",
                kind="decimal",
                required=True,
                help_zh="数值；“上升/下降超过”时为百分比",
                help_en="A value; a percentage for 'rises by' / 'falls by'",
            ),
            F(
                "period_days",
                "统计天数",
                "Days measured",
                kind="int",
                required=True,
                min_value=1,
                max_value=kpi.MAX_DAYS,
                help_zh="指标按截至今天的这么多天计算；变化率与之前同样长的期间比较",
                help_en="The metric over this many days to today; changes compare with the "
                "period of the same length before",
            ),
            F("owner_role", "通知角色", "Notifies role", required=True, **ROLE),
            F("active", "启用", "Active", kind="bool"),
            F("notes", "说明", "Notes", kind="longtext", max_length=2000),
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
        label_zh="KPI 预警",
        label_en="KPI alerts",
        icon="siren",
        fields=(
            F("alert_no", "预警号", "Alert no.", editable=False),
            F("rule_id", "规则", "Rule", kind="ref", ref="kpi_alert_rule", editable=False),
            F("metric", "指标", "Metric", editable=False, **METRIC),
            F("value", "触发值", "Value", kind="decimal", editable=False),
            F("threshold", "阈值", "Threshold", kind="decimal", editable=False),
            F("owner_role", "通知角色", "Notified role", editable=False, **ROLE),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(A),
                choice_group="kpi_alert_status",
                editable=False,
            ),
            F("assignee", "处理人", "Handled by", editable=False, person=True),
            F("raised_at", "触发时间", "Raised", kind="datetime", editable=False),
            F("cleared_at", "恢复时间", "Cleared", kind="datetime", editable=False),
            F("note", "处理说明", "Notes", kind="longtext", max_length=4000),
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
            Queue("open", "未恢复", "Not cleared", lambda p: KpiAlert.status != A.CLEARED),
            Queue(
                "mine",
                "我处理的",
                "Mine",
                lambda p: (KpiAlert.assignee == p.username) & (KpiAlert.status != A.CLEARED),
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
            ),
        ),
    )
)
