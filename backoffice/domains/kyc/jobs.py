"""KYC cases past their SLA, periodic re-KYC, and re-screening after watch-list changes."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.kyc import rules as kyc
from backoffice.domains.kyc import screening
from backoffice.platform.jobs import job


@job("kyc.sla", timedelta(minutes=5), "KYC 案件超时升级", "KYC cases past their SLA escalate")
def kyc_sla(session: Session) -> str:
    return kyc.escalate_overdue(session)


@job("kyc.periodic_review", timedelta(hours=24), "定期重新识别（复核）", "Periodic re-KYC")
def kyc_periodic(session: Session) -> str:
    return kyc.open_periodic_reviews(session)


@job("kyc.rescreen", timedelta(minutes=30), "名单变更后全量重筛", "Re-screen after list changes")
def kyc_rescreen(session: Session) -> str:
    return screening.rescreen_after_list_changes(session)
