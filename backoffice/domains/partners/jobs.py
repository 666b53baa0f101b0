"""Warnings before partners' contracts end."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.partners import rules as partners
from backoffice.platform.jobs import job


@job("partners.contract_expiry", timedelta(hours=1))
def contract_expiry(session: Session) -> str:
    return partners.warn_expiring_contracts(session)
