"""Overdue and at-risk milestone alerts."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.projects import rules as projects
from backoffice.platform.jobs import job


@job("projects.milestone_alerts", timedelta(hours=1))
def milestone_alerts(session: Session) -> str:
    return projects.milestone_alerts(session)
