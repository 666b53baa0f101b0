"""Promotions take effect on their date."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.hr import rules as hr
from backoffice.platform.jobs import Outcome, job


@job("hr.promotions", timedelta(hours=1))
def promotions(session: Session) -> str:
    applied = hr.apply_due_promotions(session, hr.local_today())
    return Outcome("job.result.hr.promotions", applied=applied)
