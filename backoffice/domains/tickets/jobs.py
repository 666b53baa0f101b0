"""Tickets past their SLA escalate; resolved tickets close."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.tickets import rules as tickets
from backoffice.platform.jobs import job


@job("tickets.sla_escalation", timedelta(minutes=5))
def ticket_escalation(session: Session) -> str:
    return tickets.escalate_breaches(session)


@job("tickets.auto_close", timedelta(hours=1))
def ticket_auto_close(session: Session) -> str:
    return tickets.close_resolved(session)
