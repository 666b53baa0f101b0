"""The answers kept for ``Idempotency-Key`` replays (``api.calls.write``): sealed at rest like
every other confidential value (an answer may name a salary), opened on a replay, and
forgotten 24 hours after the call (as Stripe does): an hourly job deletes older ones, after
which the same key is a new call."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from backoffice.platform import audit
from backoffice.platform.jobs import Outcome
from backoffice.security import fields
from models.base import utcnow
from models.integrations import IdempotencyRecord

KEPT_FOR = timedelta(hours=24)


def seal(text: str) -> str:
    """The answer's JSON text as it is stored (field encryption, rotated with the other keys)."""
    return fields.encrypt(text)


def opened(cipher: str) -> str:
    """A kept answer's JSON text again."""
    return fields.decrypt(cipher)


def purge_expired(session: Session, now: datetime | None = None) -> Outcome:
    """Delete the answers kept longer than :data:`KEPT_FOR`; one summary entry in the audit
    log when anything went."""
    cutoff = (now or utcnow()) - KEPT_FOR
    deleted = session.execute(
        sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
    ).rowcount
    if deleted:
        audit.record(
            session,
            actor="system",
            action="api_idempotency.purge",
            entity="api_idempotency",
            changes={
                "answers_deleted": [None, deleted],
                "older_than": [None, cutoff.isoformat()],
            },
        )
    return Outcome(
        "job.result.idempotency.purged",
        answers=deleted,
        cutoff=f"{cutoff:%Y-%m-%d %H:%M}",
    )
