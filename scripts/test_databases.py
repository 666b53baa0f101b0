"""Run the database tests (pytest -m db) against PostgreSQL and MariaDB/MySQL.

Each URL is tried first; one that does not answer is skipped with a note, except under CI=true,
where every database must be there. The databases are tested at the same time (each run in its
own schema or database, see tests/conftest.py): most of a run is spent waiting on its server, so
two runs take little longer than one. Each run's output is printed whole when it ends.
"""

import os
import subprocess
import sys
import tempfile
import time

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from backoffice.db import make_engine


def reachable(url: str) -> str | None:
    try:
        engine = make_engine(url)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return str(exc).splitlines()[0]


def main(urls: list[str]) -> int:
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    failed = False
    runs: list[tuple[str, subprocess.Popen, object, float]] = []
    for url in urls:
        name = url.split("://", 1)[0]
        problem = reachable(url)
        if problem:
            print(f"== {name}: not reachable ({problem})")
            if ci:
                print("   CI=true: every database must be reachable")
                failed = True
            else:
                print("   skipped; start it (see README) to run the database tests there")
            continue
        print(f"== database tests on {name}: started", flush=True)
        env = {**os.environ, "BACKOFFICE_TEST_DB_URL": url}
        output = tempfile.TemporaryFile(mode="w+")
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-m", "db", "-q", "-p", "no:cacheprovider"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        runs.append((name, process, output, time.monotonic()))
    for name, process, output, started in runs:
        returncode = process.wait()
        output.seek(0)
        print(f"== database tests on {name} ({time.monotonic() - started:.0f} s)", flush=True)
        sys.stdout.write(output.read())
        sys.stdout.flush()
        output.close()
        failed = failed or returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
