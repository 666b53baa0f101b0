"""Upkeep of the database the portal runs on."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.db import engine, refresh_statistics
from backoffice.platform.jobs import Outcome, job


@job("database.statistics", timedelta(hours=24))
def statistics(_session: Session) -> str:
    refresh_statistics(engine())
    return Outcome("job.result.analyzed")
