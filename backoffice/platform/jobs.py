"""Scheduled jobs: an APScheduler, and a database lease so that each job runs once per tick
however many schedulers there are. Jobs must be idempotent (a rerun changes nothing more);
modules register them with ``@job``.

Where the scheduler runs (``BACKOFFICE_SCHEDULER``):
- ``on`` (the default): inside each app worker, for development and a single-process ``make run``;
- ``off``: not in this process. Production runs the web workers with ``off`` and the scheduler as
  a process of its own, ``python -m backoffice scheduler`` (``scripts/serve_prod.py`` starts and
  restarts it), so a job's CPU and memory never stall a staff member's events.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backoffice.db import engine, retry_when_busy, session_scope
from backoffice.i18n import Message, translate
from backoffice.platform import audit
from models.base import utcnow
from models.jobs import JobLease, JobRun

log = logging.getLogger("backoffice.platform.jobs")
HOLDER = f"{socket.gethostname()}:{os.getpid()}"
# Jobs of one scheduler run on two threads, so a long job (a full re-screening) does not hold
# the minute jobs back; on SQLite one at a time, as two writers in one process only refuse
# each other (SQLITE_BUSY_SNAPSHOT).
JOB_THREADS = 2


class Outcome(str):
    """What a job run did, as the jobs page shows it: the catalogue's ``key`` with its values.

    As a string it is the English text (the log, the command line, a comparison in a test);
    a run keeps the key and the values, so the page reads it in each reader's language."""

    message: Message

    def __new__(cls, key: str, **params: object) -> Outcome:
        outcome = super().__new__(cls, translate(key, "en", **params))
        outcome.message = Message(key, **params)
        return outcome


def kept(result: object) -> str:
    """A run's result as the run keeps it: an outcome's key and values, else its text."""
    if isinstance(result, Outcome):
        return json.dumps({"key": str(result.message), "params": result.message.params})
    return str(result)


def shown(result: str, lang: str) -> str:
    """A kept result in ``lang``: an outcome in the reader's language; other text (a failed
    run's traceback, a run kept before outcomes had keys) as it is."""
    try:
        found = json.loads(result) if result.startswith("{") else None
        if isinstance(found, dict) and isinstance(found.get("params"), dict):
            return translate(Message(found["key"], **found["params"]), lang)
    except (ValueError, KeyError, TypeError, IndexError):
        pass
    return result


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Session], str]  # an Outcome (or a short text) for the jobs page

    def label(self, lang: str) -> str:
        return translate(f"job.{self.name}", lang)


_JOBS: dict[str, Job] = {}


def job(name: str, every: timedelta) -> Callable:
    """Declare a scheduled job; the jobs page labels it with the catalogue's ``job.<name>``."""

    def register(fn: Callable[[Session], str]) -> Callable[[Session], str]:
        _JOBS[name] = Job(name, every, fn)
        return fn

    return register


def _every_job() -> dict[str, Job]:
    """The jobs every domain declares (``domains/<name>/jobs.py``), imported on first use."""
    from backoffice import domains

    domains.parts("jobs")
    return _JOBS


def registered() -> list[Job]:
    return list(_every_job().values())


def claim(name: str, every: timedelta, holder: str = HOLDER) -> bool:
    """Take this tick's lease: only one caller in a tick gets True."""
    return retry_when_busy(lambda: _claim(name, every, holder))


def _claim(name: str, every: timedelta, holder: str) -> bool:
    now = utcnow()
    until = now + every * 0.9  # expires before the next tick is due
    with session_scope(write=True) as session:
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
        with session_scope(write=True) as session:
            session.add(JobLease(name=name, holder=holder, leased_until=until, last_started_at=now))
        return True
    except IntegrityError:  # another worker created it first: it holds this tick
        return False


def run_job(name: str, *, holder: str = HOLDER, force: bool = False) -> JobRun | None:
    """Run a job now if this caller wins the lease (``force`` skips the lease: run now)."""
    found = _every_job().get(name)
    if found is None:
        raise KeyError(name)
    if not force and not claim(name, found.every, holder):
        return None

    def start_run() -> JobRun:
        with session_scope(write=True) as session:
            started = JobRun(name=name, holder=holder, started_at=utcnow())
            session.add(started)
        return started

    def work() -> str:
        # Deferred on purpose: a job may read for long before it writes, and holding the write
        # lock that long would make staff saves wait; a refused write reruns it (idempotent).
        with session_scope() as session:
            return found.run(session)

    record = retry_when_busy(start_run)
    try:
        result = retry_when_busy(work)  # a job is idempotent: a refused write runs it again
        status = "ok"
    except Exception:
        log.exception("job %s failed", name)
        result, status = traceback.format_exc(limit=3)[-2000:], "failed"

    def finish_run() -> JobRun:
        with session_scope(write=True) as session:
            done = session.get(JobRun, record.id)
            done.finished_at, done.status, done.result = utcnow(), status, kept(result)[:4000]
            session.add(done)
            return done

    return retry_when_busy(finish_run)


def run_now(name: str, *, actor: str, client: str = "") -> JobRun:
    """An administrator's "run now": the job runs at once, outside its lease, and is audited."""
    run = run_job(name, force=True)
    assert run is not None  # forced runs always run
    with session_scope(write=True) as session:
        audit.record(
            session,
            actor=actor,
            action="job.run_now",
            entity="job",
            entity_id=name,
            changes={"status": [None, run.status]},
            client=client,
        )
    return run


def last_runs(session: Session) -> dict[str, JobRun]:
    runs: dict[str, JobRun] = {}
    for name in _every_job():
        run = session.exec(
            select(JobRun).where(JobRun.name == name).order_by(JobRun.id.desc())
        ).first()
        if run is not None:
            runs[name] = run
    return runs


_scheduler: BackgroundScheduler | None = None


def _new_scheduler() -> BackgroundScheduler:
    threads = 1 if engine().dialect.name == "sqlite" else JOB_THREADS
    scheduler = BackgroundScheduler(
        timezone="UTC", executors={"default": ThreadPoolExecutor(threads)}
    )
    # the first tick of every job waits a little after a (re)start
    first_run_after = timedelta(seconds=float(os.environ.get("BACKOFFICE_SCHEDULER_DELAY", "15")))
    for item in _every_job().values():
        scheduler.add_job(
            run_job,
            IntervalTrigger(seconds=item.every.total_seconds()),
            args=[item.name],
            id=item.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,  # a tick waiting for a free thread runs late, not never
            next_run_time=utcnow() + first_run_after,
        )
    return scheduler


def in_process() -> bool:
    return os.environ.get("BACKOFFICE_SCHEDULER", "on") != "off"


def start() -> BackgroundScheduler | None:
    """Start this app worker's scheduler, unless ``BACKOFFICE_SCHEDULER=off``."""
    global _scheduler
    if not in_process() or _scheduler is not None:
        return _scheduler
    _scheduler = _new_scheduler()
    _scheduler.start()
    return _scheduler


def serve(stop: threading.Event | None = None) -> int:
    """``python -m backoffice scheduler``: the scheduler as a process of its own, until SIGTERM
    or SIGINT (or ``stop``); a job that is running then is let finish."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    scheduler = _new_scheduler()
    scheduler.start()
    log.info("scheduler %s running %d jobs", HOLDER, len(_every_job()))
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
    return 0


def next_run(session: Session, name: str) -> datetime | None:
    """When the job is due next: this process's scheduler knows; otherwise the lease's last
    start plus the interval (the scheduler runs in another process)."""
    if _scheduler is not None:
        scheduled = _scheduler.get_job(name)
        if scheduled is not None and scheduled.next_run_time is not None:
            return scheduled.next_run_time
    found, lease = _every_job().get(name), session.get(JobLease, name)
    if found is None or lease is None or lease.last_started_at is None:
        return None
    return lease.last_started_at + found.every


def stop() -> None:
    global _scheduler
    if _scheduler is not None:
        _scheduler.shutdown(wait=False)
        _scheduler = None
