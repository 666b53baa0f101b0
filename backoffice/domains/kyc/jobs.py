"""KYC cases past their SLA, periodic re-KYC, and re-screening after watch-list changes."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.kyc import rules as kyc
from backoffice.domains.kyc import screening
from backoffice.platform.jobs import job


@job("kyc.sla", timedelta(minutes=5))
def kyc_sla(session: Session) -> str:
    return kyc.escalate_overdue(session)


@job("kyc.periodic_review", timedelta(hours=24))
def kyc_periodic(session: Session) -> str:
    return kyc.open_periodic_reviews(session)


@job("kyc.rescreen", timedelta(minutes=30))
def kyc_rescreen(session: Session) -> str:
    return screening.rescreen_after_list_changes(session)
