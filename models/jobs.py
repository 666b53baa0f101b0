"""Scheduled jobs: the lease that lets one worker run each tick, and the run log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import TableBase, code_field, time_field


class JobLease(SQLModel, table=True):
    __tablename__ = "job_lease"

    name: str = Field(sa_type=sa.String(60), primary_key=True)
    holder: str = code_field(100, default="")
    leased_until: datetime = time_field()
    last_started_at: datetime | None = time_field(None)


class JobRun(TableBase, table=True):
    __tablename__ = "job_run"
    __table_args__ = (sa.Index("ix_job_run_name_started", "name", "started_at"),)

    name: str = code_field(60)
    holder: str = code_field(100)
    started_at: datetime = time_field()
    finished_at: datetime | None = time_field(None)
    status: str = code_field(20, default="running")  # running | ok | failed
    result: str = Field(default="", sa_type=sa.Text)
