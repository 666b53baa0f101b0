"""Campaigns start and end on their dates."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.campaigns import rules as campaigns
from backoffice.platform.jobs import job


@job("campaigns.schedule", timedelta(minutes=1))
def campaign_schedule(session: Session) -> str:
    return campaigns.advance_schedule(session)
