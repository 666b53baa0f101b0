"""Demo data of the audit trail: who made the records the domains' demos leave in preparation
or waiting for approval (``AWAITING_APPROVAL`` in their demo modules)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from backoffice import domains
from backoffice.platform import audit
from backoffice.platform.demo import AwaitingApproval

NEEDS = ("risk",)  # for the order only: its entries follow the risk evaluation's


def through_rules(session: Session) -> None:
    for module in domains.parts("demo"):
        for waiting in getattr(module, "AWAITING_APPROVAL", ()):
            _record_makers(session, waiting)


def _record_makers(session: Session, waiting: AwaitingApproval) -> None:
    model, key, states = waiting.model, waiting.entity, waiting.states
    found = session.execute(
        sa.select(model.id, model.status).where(model.status.in_(states)).order_by(model.id)
    ).all()
    for record_id, status in found:
        audit.record(
            session,
            actor=waiting.maker,
            action=f"{key}.create",
            entity=key,
            entity_id=record_id,
            changes={"status": [None, states[0]]},
        )
        if status == waiting.submitted:
            audit.record(
                session,
                actor=waiting.maker,
                action=f"{key}.transition.submit",
                entity=key,
                entity_id=record_id,
                changes={"status": [states[0], waiting.submitted]},
            )
