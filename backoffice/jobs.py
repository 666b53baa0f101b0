"""Scheduled jobs: one APScheduler per app worker, and a database lease so that each job runs
once per tick however many workers there are. Jobs must be idempotent (a rerun changes nothing
more); modules register them with ``@job``.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backoffice.db import retry_when_busy, session_scope
from models.base import utcnow
from models.jobs import JobLease, JobRun

log = logging.getLogger("backoffice.jobs")
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Session], str]  # returns a short result for the admin page
    label_zh: str
    label_en: str


_JOBS: dict[str, Job] = {}


def job(name: str, every: timedelta, label_zh: str, label_en: str) -> Callable:
    def register(fn: Callable[[Session], str]) -> Callable[[Session], str]:
        _JOBS[name] = Job(name, every, fn, label_zh, label_en)
        return fn

    return register


def registered() -> list[Job]:
    return list(_JOBS.values())


def claim(name: str, every: timedelta, holder: str = HOLDER) -> bool:
    """Take this tick's lease: only one caller in a tick gets True."""
    return retry_when_busy(lambda: _claim(name, every, holder))


def _claim(name: str, every: timedelta, holder: str) -> bool:
    now = utcnow()
    until = now + every * 0.9  # expires before the next tick is due
    with session_scope() as session:
        taken = session.execute(
            sa.update(JobLease)
            .where(JobLease.name == name, JobLease.leased_until <= now)
            .values(holder=holder, leased_until=until, last_started_at=now)
        ).rowcount
        if taken == 1:
            return True
        if session.get(JobLease, name) is not None:
            return False
    try:
        with session_scope() as session:
            session.add(JobLease(name=name, holder=holder, leased_until=until, last_started_at=now))
        return True
    except IntegrityError:  # another worker created it first: it holds this tick
        return False


def run_job(name: str, *, holder: str = HOLDER, force: bool = False) -> JobRun | None:
    """Run a job now if this caller wins the lease (``force`` skips the lease: run now)."""
    found = _JOBS.get(name)
    if found is None:
        raise KeyError(name)
    if not force and not claim(name, found.every, holder):
        return None

    def start_run() -> JobRun:
        with session_scope() as session:
            started = JobRun(name=name, holder=holder, started_at=utcnow())
            session.add(started)
        return started

    record = retry_when_busy(start_run)
    try:
        with session_scope() as session:
            result = found.run(session)
        status = "ok"
    except Exception:
        log.exception("job %s failed", name)
        result, status = traceback.format_exc(limit=3)[-2000:], "failed"

    def finish_run() -> JobRun:
        with session_scope() as session:
            done = session.get(JobRun, record.id)
            done.finished_at, done.status, done.result = utcnow(), status, str(result)[:4000]
            session.add(done)
            return done

    return retry_when_busy(finish_run)


def last_runs(session: Session) -> dict[str, JobRun]:
    runs: dict[str, JobRun] = {}
    for name in _JOBS:
        run = session.exec(
            select(JobRun).where(JobRun.name == name).order_by(JobRun.id.desc())
        ).first()
        if run is not None:
            runs[name] = run
    return runs


_scheduler: BackgroundScheduler | None = None


def start() -> BackgroundScheduler | None:
    """Start this worker's scheduler (BACKOFFICE_SCHEDULER=off disables it)."""
    global _scheduler
    if os.environ.get("BACKOFFICE_SCHEDULER", "on") == "off" or _scheduler is not None:
        return _scheduler
    import backoffice.schedules  # noqa: F401  (registers every module's jobs)

    scheduler = BackgroundScheduler(timezone="UTC")
    for item in _JOBS.values():
        scheduler.add_job(
            run_job,
            IntervalTrigger(seconds=item.every.total_seconds()),
            args=[item.name],
            id=item.name,
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow() + timedelta(seconds=15),
        )
    scheduler.start()
    _scheduler = scheduler
    return scheduler


def next_run(name: str) -> str:
    if _scheduler is None:
        return ""
    scheduled = _scheduler.get_job(name)
    return scheduled.next_run_time.isoformat() if scheduled and scheduled.next_run_time else ""


def stop() -> None:
    global _scheduler
    if _scheduler is not None:
        _scheduler.shutdown(wait=False)
        _scheduler = None
