"""`make bench-django`: the transactions list in Django admin against ours, same data, same run.

Django is installed only for this comparison, into its own virtual environment under
data/bench-django-venv/ (created on first use with ``python -m venv`` and ``pip install
Django==DJANGO_VERSION`` from PyPI: the one download this benchmark makes). It is never part of
the project's environment or dependencies.

The Django side runs as a subprocess in that environment. It builds a minimal project in code:
settings pointing at the very same SQLite file as `make bench` (data/bench/backoffice.db,
opened read-only), unmanaged models mapping the ``transaction`` and ``product`` tables, a
``ModelAdmin`` with our list's columns, filters on kind and status, search on the transaction
number, ordering by -occurred_at and 25 rows a page, and a signed-in superuser. Each page is
requested with Django's test ``Client`` (in process, no network): middleware, session, user,
changelist queries and the HTML template, as a browser would receive it.

Our side is the real event handler as `make bench` times it (``bench.handler_ms``: session and
grants, permission, SQL, formatting, state update), and again with what follows it on the
server (the state delta resolved and serialised as the websocket message): that second figure
is the one compared with Django's response. The two sides take turns case by case, so a burst
of load on the machine hits both alike.

Two Django lines: as Django ships (``show_full_result_count`` on, an exact ``COUNT(*)`` of the
filtered rows for the paginator, search by ``icontains``, the product joined in), and its
cheapest settings that keep the page's behaviour (no full-table count, a prefix search like
ours, product names fetched by primary key instead of a JOIN). Neither caps the paginator's
count of the filtered rows: Django has no setting for that. Both use persistent database
connections, as a deployment would (our engine keeps a pool).

Figures are printed side by side and written to bench-results/django.json.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DJANGO_VERSION = "5.2.19"  # the 5.2 LTS line; Django 6 needs Python 3.12
VENV = ROOT / "data" / "bench-django-venv"
WORK = ROOT / "data" / "bench-django"
DB_FILE = ROOT / "data" / "bench" / "backoffice.db"

# Our list's URL parameters per case (scripts/bench.py CASES) and Django admin's equivalents.
# The amount column is the 5th of list_display; with actions on (Django's default) the check-box
# column comes first, so Django's sort parameter names index 5.
DJANGO_PARAMS = {
    "first page": {},
    "filtered page": {"kind": "redemption", "status": "settled", "amount__gte": "10000"},
    "sorted page": {"o": "-5"},
    "search": {"q": "t0000012345"},
    "deep page": {"p": "300"},
}
VARIANTS = ("django default", "django tuned")
# A page that takes seconds is timed MIN_RUNS times once BUDGET_S has passed, not RUNS times
# (the run count is written beside each figure); BENCH_DJANGO_BUDGET_S=600 times every case
# RUNS times (about a quarter of an hour more on this machine).
MIN_RUNS = 5
BUDGET_S = float(os.environ.get("BENCH_DJANGO_BUDGET_S", "20"))


def _percentile95(times: list[float]) -> float:
    return sorted(times)[max(0, int(len(times) * 0.95) - 1)]


# --- the Django side (runs in data/bench-django-venv) ---------------------------------------
def django_side(db_file: str, runs: int) -> None:
    """Answer one line of JSON per case name read from stdin: timings of both admin lines."""
    import types

    WORK.mkdir(parents=True, exist_ok=True)
    auth_db = WORK / "auth.db"
    for leftover in WORK.glob("auth.db*"):
        leftover.unlink()
    app_dir = WORK / "ledger"
    app_dir.mkdir(exist_ok=True)
    ledger = types.ModuleType("ledger")
    ledger.__path__ = [str(app_dir)]  # an app package with no files: models are made below
    ledger.__file__ = str(app_dir / "__init__.py")
    sys.modules["ledger"] = ledger
    urls = types.ModuleType("bench_urls")
    sys.modules["bench_urls"] = urls

    class Router:
        """The mapped tables live in the benchmark's database; Django's own in a scratch one."""

        def db_for_read(self, model: Any, **hints: Any) -> str | None:
            return "bench" if model._meta.app_label == "ledger" else None

        db_for_write = db_for_read

        def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
            return db == "default" and app_label != "ledger"

    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only-not-secret",  # noqa: S106  (a throw-away in-process site)
        ALLOWED_HOSTS=["testserver"],
        USE_TZ=True,
        TIME_ZONE="Asia/Shanghai",
        ROOT_URLCONF="bench_urls",
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "ledger",
        ],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        DATABASES={
            # persistent connections (as a deployment would set), like our engine's pool
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(auth_db),
                "CONN_MAX_AGE": None,
            },
            "bench": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": f"file:{db_file}?mode=ro",
                "OPTIONS": {"uri": True},
                "CONN_MAX_AGE": None,
            },
        },
        DATABASE_ROUTERS=[Router()],
        STATIC_URL="/static/",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        LOGGING_CONFIG=None,
    )
    import django

    django.setup()

    from django.contrib import admin
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connections, models
    from django.db.backends.signals import connection_created
    from django.test import Client
    from django.urls import path

    seen: list[str] | None = None  # the SQL of one request, when recording

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if seen is not None and context["connection"].alias == "bench":
            seen.append(sql)
        return execute(sql, params, many, context)

    def on_connect(sender: Any, connection: Any, **kwargs: Any) -> None:
        connection.execute_wrappers.append(record)

    connection_created.connect(on_connect)

    class Product(models.Model):
        code = models.CharField(max_length=32)
        name = models.CharField(max_length=200)

        class Meta:
            app_label = "ledger"
            managed = False
            db_table = "product"

        def __str__(self) -> str:
            return self.name

    class Transaction(models.Model):
        KINDS = [("subscription", "Subscription"), ("redemption", "Redemption")]
        STATUSES = [("pending", "Pending"), ("settled", "Settled"), ("failed", "Failed")]
        txn_no = models.CharField("Transaction no.", max_length=24)
        occurred_at = models.DateTimeField("Time")
        customer_id = models.IntegerField()
        product = models.ForeignKey(Product, on_delete=models.DO_NOTHING, db_constraint=False)
        kind = models.CharField(max_length=20, choices=KINDS)
        amount = models.DecimalField(max_digits=18, decimal_places=2)
        fee = models.DecimalField(max_digits=18, decimal_places=2)
        status = models.CharField(max_length=20, choices=STATUSES)
        channel = models.CharField(max_length=20)

        class Meta:
            app_label = "ledger"
            managed = False
            db_table = "transaction"

    columns = ("txn_no", "occurred_at", "product", "kind", "amount", "status")

    class AsShipped(admin.ModelAdmin):
        list_display = columns
        list_filter = ("kind", "status")
        search_fields = ("txn_no",)  # Django's default lookup: icontains
        ordering = ("-occurred_at",)
        list_per_page = 25

    class Tuned(AsShipped):
        show_full_result_count = False  # no second COUNT(*) over the whole table
        search_fields = ("txn_no__startswith",)  # a prefix search, as ours
        list_select_related = ()  # no JOIN: the product names come one by one, by primary key

    shipped_site, tuned_site = admin.AdminSite("shipped"), admin.AdminSite("tuned")
    shipped_site.register(Transaction, AsShipped)
    tuned_site.register(Transaction, Tuned)
    urls.urlpatterns = [
        path("shipped/", shipped_site.urls),
        path("tuned/", tuned_site.urls),
    ]

    call_command("migrate", database="default", verbosity=0, interactive=False)
    user = User.objects.create_superuser("bench", "bench@example.invalid", None)
    client = Client()
    client.force_login(user)
    prefixes = {"django default": "/shipped/ledger/transaction/", "django tuned": "/tuned/"}
    prefixes["django tuned"] += "ledger/transaction/"
    total = connections["bench"].cursor().execute('SELECT count(*) FROM "transaction"')
    print(json.dumps({"ready": True, "rows": total.fetchone()[0]}), flush=True)

    for line in sys.stdin:
        case = line.strip()
        if not case:
            continue
        from urllib.parse import urlencode

        answer: dict[str, Any] = {"case": case}
        for variant in VARIANTS:
            url = prefixes[variant] + "?" + urlencode(DJANGO_PARAMS[case])
            seen = []
            response = client.get(url)
            queries, seen = seen, None
            body = response.content.decode()
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            rows_shown = body.count('name="_selected_action"')
            times: list[float] = []
            spent = time.perf_counter()
            while len(times) < runs and (
                len(times) < MIN_RUNS or time.perf_counter() - spent < BUDGET_S
            ):
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            answer[variant] = {
                "url": url,
                "ms": round(statistics.median(times), 2),
                "p95_ms": round(_percentile95(times), 2),
                "rows_shown": rows_shown,
                "runs": len(times),
                "queries": queries,
            }
        print(json.dumps(answer), flush=True)


# --- our side (runs in the project's environment) -------------------------------------------
def ensure_django() -> Path:
    python = VENV / "bin" / "python"
    marker = VENV / f".django-{DJANGO_VERSION}"
    if not marker.exists():
        print(f"installing Django {DJANGO_VERSION} into {VENV.relative_to(ROOT)} (once)…")
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)  # noqa: S603
        subprocess.run(  # noqa: S603
            [str(python), "-m", "pip", "install", "--quiet", f"Django=={DJANGO_VERSION}"],
            check=True,
        )
        marker.touch()
    return python


def update_ms(bench: Any, token: str, params: dict[str, str]) -> float:
    """Like ``bench.handler_ms``, plus what the server then does to send the page: the state
    delta resolved and serialised as the websocket message (our side's equivalent of Django
    rendering its HTML)."""
    import asyncio
    from urllib.parse import urlencode

    from reflex.istate.data import RouterData
    from reflex.state import State, StateUpdate
    from reflex.utils import format

    from state.auth import carry_cookie
    from state.resource import ResourceListState

    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {
            "headers": {"origin": "http://localhost:3000"},
            "asPath": "/r/transaction?" + urlencode(params),
            "pathname": "/r/transaction",
        }
    )
    carry_cookie(root, token)
    state = root.get_substate(ResourceListState.get_full_name().split(".")[1:])

    async def event() -> str:
        await ResourceListState.event_handlers["open"].fn(state, "transaction")
        delta = await root._get_resolved_delta()
        root._clean()
        return format.json_dumps(StateUpdate(delta=delta))

    started = time.perf_counter()
    message = asyncio.run(event())
    elapsed = (time.perf_counter() - started) * 1000
    assert "rows" in message, "the update carries no rows"
    return elapsed


def main() -> int:
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench  # the project's benchmark: data set, handler timing, cases

    token = bench.prepare()
    python = ensure_django()
    runs = bench.RUNS
    django = subprocess.Popen(  # noqa: S603  (this very script, in the Django venv)
        [str(python), str(Path(__file__).resolve()), "--django-side", str(DB_FILE), str(runs)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert django.stdin is not None and django.stdout is not None
    ready = json.loads(django.stdout.readline() or "{}")
    if not ready.get("ready"):
        django.wait()
        print("the Django side did not start", file=sys.stderr)
        return 1
    print(
        f"\ntransactions list over {ready['rows']:,} rows (SQLite, {DB_FILE.relative_to(ROOT)}), "
        f"median of {runs} runs (p95 in brackets), cases taking turns\n"
    )
    header = f"{'case':<15}{'ours ms':>16}{'ours + update ms':>20}"
    print(header + "".join(f"{v + ' ms':>22}" for v in VARIANTS) + "  ours faster?")
    results: dict[str, Any] = {}
    for name, params in bench.CASES.items():
        bench.handler_ms(token, params)  # warm caches
        ours = [bench.handler_ms(token, params) for _ in range(runs)]
        sent = [update_ms(bench, token, params) for _ in range(runs)]
        django.stdin.write(name + "\n")
        django.stdin.flush()
        theirs = json.loads(django.stdout.readline())
        median, p95 = statistics.median(ours), _percentile95(ours)
        full, full95 = statistics.median(sent), _percentile95(sent)
        # the verdict compares the page as sent (handler + update) with Django's response
        faster = {v: full < theirs[v]["ms"] for v in VARIANTS}
        results[name] = {
            "ours": {"params": params, "ms": round(median, 2), "p95_ms": round(p95, 2)},
            "ours_with_update": {"ms": round(full, 2), "p95_ms": round(full95, 2)},
            **{v: theirs[v] for v in VARIANTS},
            "ours_faster": faster,
        }
        cells = "".join(f"{theirs[v]['ms']:>14.1f} ({theirs[v]['p95_ms']:>5.0f})" for v in VARIANTS)
        verdict = "/".join("yes" if faster[v] else "NO" for v in VARIANTS)
        ours_cells = f"{median:>9.1f} ({p95:>4.0f}){full:>13.1f} ({full95:>4.0f})"
        print(f"{name:<15}{ours_cells}{cells}  {verdict}")
    django.stdin.close()
    django.wait()
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    load = os.getloadavg()
    (out / "django.json").write_text(
        json.dumps(
            {
                "rows": ready["rows"],
                "runs": runs,
                "django": DJANGO_VERSION,
                "load_average": [round(x, 2) for x in load],
                "cases": results,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    every = all(all(r["ours_faster"].values()) for r in results.values())
    print(
        f"\nours faster than Django admin in every case: {'yes' if every else 'NO'} "
        f"(load average {load[0]:.1f}); written to bench-results/django.json"
    )
    return 0 if every else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--django-side":
        django_side(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
