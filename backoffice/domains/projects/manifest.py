"""The PMO's projects: plan, milestones, tasks, the risk register and baselines."""

from __future__ import annotations

from backoffice.platform.manifest import EDIT, Count, Manifest, Module, Plan, Report, Shortcut, Stat
from models.projects import Milestone, ProjectRisk

MANIFEST = Manifest(
    name="projects",
    module=Module(
        "projects",
        "/projects",
        "calendar-range",
        "project",
        ("milestones", "risks"),
        reports=(
            Report("project.plan_title", "/projects/gantt", "chart-gantt"),
            Report("project.risk_map", "/projects/risks", "grid-3x3"),
        ),
        landing=Plan(
            work=(
                Count("milestones_late", "milestone", queue="overdue", tone="red"),
                Count("risks_high", "project_risk", queue="high", tone="red"),
                Count("baselines_submitted", "baseline_reset", filters={"status": "submitted"}),
            ),
            approvals=("baseline_reset",),
            shortcuts=(
                Shortcut("gantt", "/projects/gantt", "chart-gantt", ("project", "view")),
                Shortcut("risk_map", "/projects/risks", "grid-3x3", ("project", "view")),
            ),
        ),
    ),
    rights=("project",),
    grants={
        "executive": {"project": ("view",)},
        "pmo": {"project": (*EDIT, "approve")},
    },
    stats=(
        Stat("milestones", Milestone, "project"),
        Stat("risks", ProjectRisk, "project"),
    ),
)
