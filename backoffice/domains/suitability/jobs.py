"""Holdings that became unsuitable go to compliance review."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.suitability import rules as suitability
from backoffice.platform.jobs import job


@job("suitability.reviews", timedelta(hours=24))
def suitability_reviews(session: Session) -> str:
    return suitability.queue_unsuitable_holdings(session)
