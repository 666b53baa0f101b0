"""Drill: PostgreSQL goes away for a few seconds under load (the full run is `make drill`).

Needs the PostgreSQL server of BACKOFFICE_DRILL_DB_URL (default: the test server); skipped
where none answers, except under CI=true.
"""

import os

import pytest
import sqlalchemy as sa

from backoffice.db import make_engine
from backoffice.ops.drills import run_db_outage

URL = os.environ.get("BACKOFFICE_DRILL_DB_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _reachable() -> bool:
    engine = make_engine(URL, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def test_saves_fail_clearly_during_an_outage_and_nothing_is_half_written():
    if not _reachable():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true: the drill needs PostgreSQL at {URL}")
        pytest.skip(f"no PostgreSQL at {URL}")
    report = run_db_outage(URL, threads=3, warmup=1.0, outage=3.0, after=2.0, progress=print)
    print("\n".join(report.summary()))
    assert report.ok, report.problems
    assert report.successes_inside_outage() == 0, "the outage was real"
    refused = [o for o in report.failed if report.outage_started <= o.started < report.outage_ended]
    assert len(refused) >= 10
    assert report.failed and max(o.seconds for o in report.failed) < 10
    assert report.recovery_seconds is not None and report.recovery_seconds < 5
    assert report.rows == report.create_entries > 0
    assert report.chain_checked == report.create_entries + report.edit_entries
