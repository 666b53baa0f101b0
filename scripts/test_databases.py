"""Run the database tests (pytest -m db) against PostgreSQL and MariaDB/MySQL.

Each URL is tried first; one that does not answer is skipped with a note, except under CI=true,
where every database must be there.
"""

import os
import subprocess
import sys

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
        print(f"== database tests on {name}", flush=True)
        env = {**os.environ, "BACKOFFICE_TEST_DB_URL": url}
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-m", "db", "-q", "-p", "no:cacheprovider"],
            env=env,
            check=False,
        )
        failed = failed or result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
