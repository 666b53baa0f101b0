"""Drill: the database goes away for a few seconds under load (``make drill``).

Usage: python scripts/drill_db_outage.py [POSTGRES_URL] [--outage SECONDS] [--threads N]
The URL names a PostgreSQL server the drill may create and drop a database on (default: the
test server, postgresql+psycopg://postgres@127.0.0.1:5432/test). Exit status 1 on any problem.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from backoffice.ops.drills import run_db_outage

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("POSTGRES_TEST_URL", DEFAULT_URL))
    parser.add_argument("--outage", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    report = run_db_outage(args.url, threads=args.threads, outage=args.outage)
    for line in report.summary():
        print(line)
    print("drill passed" if report.ok else "drill FAILED")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
