"""Webhooks are delivered by the scheduler, twice a minute; what is over is deleted daily.
The answers kept for API replays are forgotten after 24 hours, looked for every hour."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.integrations import replays, webhooks
from backoffice.platform.jobs import job


@job("webhooks.deliver", timedelta(seconds=30))
def deliver_webhooks(_session: Session) -> str:
    # each claim and each result is a short transaction of its own: the sending happens
    # outside any transaction, so a slow receiver holds no lock
    return webhooks.deliver_due()


@job("webhooks.purge", timedelta(hours=24))
def purge_webhooks(session: Session) -> str:
    # finished deliveries and their events past the retention period, one audit summary
    return webhooks.purge_finished(session)


@job("idempotency.purge", timedelta(hours=1))
def purge_kept_answers(session: Session) -> str:
    # answers kept for Idempotency-Key replays, older than 24 hours; one audit summary
    return replays.purge_expired(session)
