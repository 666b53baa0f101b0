"""Invariant 8 across processes: several scheduler processes on one database, each trying every
job at every tick, and each tick's job runs exactly once (SQLite file, PostgreSQL, MariaDB)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.platform import audit
from models.audit import AuditEntry
from models.jobs import JobRun

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 3
TICKS = 3
EVERY = 2.5  # seconds; the lease lasts 90 % of it
JOB = "test.process_tick"


def _scheduler_process(
    url: str, schema: str | None, start: multiprocessing.Value, ready: multiprocessing.Barrier
) -> list[int]:
    """One app worker's scheduler: try the job at each tick; return the ticks whose run it won."""
    from backoffice import db
    from backoffice.db import make_engine
    from backoffice.platform import jobs

    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    engine = make_engine(url, **({"connect_args": connect_args} if connect_args else {}))
    db.set_engine(engine)

    @jobs.job(JOB, timedelta(seconds=EVERY))
    def tick(session: Session) -> str:
        audit.record(session, actor="system", action=JOB, entity="job", entity_id=jobs.HOLDER)
        time.sleep(0.05)  # a job takes a while: the others try meanwhile
        return "ticked"

    with Session(engine) as session:  # connected before the first tick, as a running worker is
        jobs.last_runs(session)
    ready.wait(timeout=60)
    ready.wait(timeout=60)  # the parent has set the start time between the two waits
    won = []
    for n in range(TICKS):
        time.sleep(max(0.0, start.value + n * EVERY - time.time()))
        if jobs.run_job(JOB) is not None:
            won.append(n)
    engine.dispose()
    return won


def _worker(url, schema, start, ready, results) -> None:
    results.put(_scheduler_process(url, schema, start, ready))


def test_several_scheduler_processes_run_each_tick_once(clean_db):
    url = clean_db.url.render_as_string(hide_password=False)
    schema = None
    if clean_db.dialect.name == "postgresql":
        with clean_db.connect() as conn:
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
    context = multiprocessing.get_context("spawn")
    start = context.Value("d", 0.0)
    ready = context.Barrier(PROCESSES + 1)
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(url, schema, start, ready, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        ready.wait(timeout=60)  # every process has started and connected its engine
        start.value = time.time() + 0.2
        ready.wait(timeout=60)
        wins = [results.get(timeout=TICKS * EVERY + 30) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
    assert all(worker.exitcode == 0 for worker in workers)

    with Session(clean_db) as session:
        runs = session.exec(select(JobRun).where(JobRun.name == JOB).order_by(JobRun.id)).all()
        effects = session.exec(select(AuditEntry).where(AuditEntry.action == JOB)).all()
        chain = audit.verify_chain(session)
    assert sorted(tick for won in wins for tick in won) == list(range(TICKS)), (
        f"ticks won by each process: {wins}"
    )
    assert len(runs) == TICKS and len(effects) == TICKS
    assert all(run.status == "ok" and run.result == "ticked" for run in runs)
    assert {run.holder for run in runs} == {effect.entity_id for effect in effects}
    assert chain.ok


def test_the_scheduler_runs_as_a_process_of_its_own_and_stops_on_sigterm(clean_db):
    """Production: web workers with BACKOFFICE_SCHEDULER=off and `python -m backoffice
    scheduler` beside them. Every job runs in that process, and SIGTERM ends it cleanly."""
    from backoffice.platform import jobs

    url = clean_db.url.render_as_string(hide_password=False)
    if clean_db.dialect.name == "postgresql":
        with clean_db.connect() as conn:
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
        url += ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    env = {
        **os.environ,
        "BACKOFFICE_DB_URL": url,
        "BACKOFFICE_SCHEDULER_DELAY": "0.5",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "backoffice", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # the app's jobs (other tests register test.* jobs in this process only)
    expected = {job.name for job in jobs.registered() if not job.name.startswith("test.")}
    assert len(expected) > 10
    finished: set[str] = set()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and finished != expected:
            time.sleep(0.5)
            with Session(clean_db) as session:
                finished = set(
                    session.exec(select(JobRun.name).where(JobRun.status != "running")).all()
                )
            assert process.poll() is None, process.stdout.read().decode()[-2000:]
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = process.stdout.read().decode()
    assert finished >= expected, f"not run: {expected - finished}\n{output[-2000:]}"
    assert code == 0, f"exit {code}\n{output[-3000:]}"
    with Session(clean_db) as session:
        holders = set(session.exec(select(JobRun.holder).where(JobRun.name.in_(expected))).all())
    assert len(holders) == 1 and not holders & {jobs.HOLDER}  # all in that one other process
