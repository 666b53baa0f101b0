"""Approved product changes take effect on their date."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.products import rules as products
from backoffice.platform.jobs import job


@job("products.apply_changes", timedelta(minutes=1))
def product_changes(session: Session) -> str:
    return products.apply_due_changes(session)
