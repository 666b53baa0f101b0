"""KPIs: the metric catalogue, dashboards and forecasts, alert rules and their alerts."""

from __future__ import annotations

from backoffice.platform.manifest import EDIT, Manifest, Module, Report

MANIFEST = Manifest(
    name="kpi",
    module=Module(
        "kpi",
        "/kpi",
        "chart-line",
        "kpi",
        ("transactions", "customers"),
        reports=(Report("kpi.catalogue", "/kpi/metrics", "book-open"),),
    ),
    rights=("kpi", "kpi_alert_rule", "kpi_alert"),
    grants={
        "admin": {"kpi_alert_rule": EDIT, "kpi_alert": ("view", "edit")},
        "product_manager": {"kpi": ("view",), "kpi_alert": ("view", "edit")},
        "marketing": {"kpi": ("view",), "kpi_alert": ("view", "edit")},
        "compliance": {"kpi": ("view",), "kpi_alert": ("view", "edit")},
        "cs_lead": {"kpi": ("view",), "kpi_alert": ("view", "edit")},
        "hr": {"kpi": ("view",), "kpi_alert": ("view", "edit")},
        "executive": {
            "kpi": ("view", "export"),
            "kpi_alert_rule": ("view",),
            "kpi_alert": ("view", "edit"),
        },
        "pmo": {"kpi": ("view",), "kpi_alert": ("view", "edit")},
    },
)
