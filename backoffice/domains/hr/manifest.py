"""HR: teams, employees and salaries, hiring, training, appraisals and promotions."""

from __future__ import annotations

from backoffice.platform.manifest import EDIT, Count, Manifest, Module, Plan, Report, Shortcut, Stat
from models.hr import Employee, EmployeeStatus, JobOpening, OpeningStatus

MANIFEST = Manifest(
    name="hr",
    module=Module(
        "hr",
        "/hr",
        "users",
        "employee",
        ("employees", "openings"),
        reports=(
            Report("hr.overview", "/hr/overview", "chart-column"),
            Report("hr.hiring_board", "/hr/hiring", "kanban", "hiring"),
            Report("hr.appraisals", "/me/appraisals", "star", "self_appraisal"),
        ),
        landing=Plan(
            appraisals=True,
            work=(
                Count("candidates_in_process", "candidate", queue="in_process"),
                Count("offers_out", "candidate", queue="offers", tone="amber"),
            ),
            approvals=("promotion",),
            figures=(Count("openings_open", "job_opening", filters={"status": "open"}),),
            shortcuts=(
                Shortcut("hiring_board", "/hr/hiring", "kanban", ("hiring", "view")),
                Shortcut("hr_overview", "/hr/overview", "chart-column", ("employee", "view")),
                Shortcut(
                    "new_opening", "/r/job_opening/record?id=new", "plus", ("hiring", "create")
                ),
            ),
        ),
    ),
    rights=("employee", "salary", "hiring", "training", "appraisal", "self_appraisal"),
    grants={
        "product_manager": {"self_appraisal": ("view",)},
        "marketing": {"self_appraisal": ("view",)},
        "compliance": {"self_appraisal": ("view",)},
        "cs_agent": {"self_appraisal": ("view",)},
        "cs_lead": {"self_appraisal": ("view",)},
        "hr": {
            "employee": EDIT,
            "salary": ("view", "edit"),
            "hiring": EDIT,
            "training": EDIT,
            "appraisal": (*EDIT, "approve"),
            "self_appraisal": ("view",),
        },
        "executive": {
            "employee": ("view",),
            "salary": ("view",),
            "appraisal": ("view", "approve"),
            "self_appraisal": ("view",),
        },
        "pmo": {"employee": ("view",), "self_appraisal": ("view",)},
    },
    stats=(
        Stat(
            "employees", Employee, "employee", where=lambda: Employee.status != EmployeeStatus.LEFT
        ),
        Stat(
            "openings", JobOpening, "hiring", where=lambda: JobOpening.status == OpeningStatus.OPEN
        ),
    ),
    record_panels={
        "employee": "pages.hr:employee_panel",
    },
)
