"""`make bench-api`: our REST API against Django REST Framework over the same 1,000,000-row
transaction table, in the same run, case by case: the first page of the list, a filtered page,
page 10,000 reached by cursor, and a subscription written. Median and p95 of each, measured
by one HTTP client (keep-alive) on this machine.

Data: the large demo data set of `make bench` (data/bench/backoffice.db, SQLite, generated
once). Both servers read and write that one file; each POST adds one transaction to it.

Ours: the API app (``backoffice.api.app:mounted``) under uvicorn, one worker, as a client of
the ``platform`` role made for this run (its key checked, its grants read, its rate counted on
every call): ``GET /api/v1/resources/transaction?limit=50`` (filters as the list page's URL
parameters, a keyset ``cursor``) and ``POST /api/v1/platform/orders`` with an
``Idempotency-Key`` (the suitability and sale rules, the audit entry and the kept answer, in
one transaction).

Theirs: Django REST Framework in its own virtual environment (data/bench-django-venv/, the one
``make bench-django`` uses; DRF and gunicorn added there on first use, never to the project's
environment), under gunicorn, one worker: a ``ModelViewSet`` over an unmanaged model of the
same table, token authentication, ``CursorPagination`` by ``-occurred_at``, 50 a page, filters
on kind, status and a minimum amount; ``create`` validates and inserts the row (no business
rule, no audit: that is what DRF gives).

The cursor cases walk 9,999 pages first (each side following its own next cursor), then time
page 10,000. Figures are printed side by side and written to bench-results/api.json; the exit
status is 1 when a case could not be measured on either side.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DRF_VERSION = "3.18.3"
GUNICORN_VERSION = "27.0.1"
WORK = ROOT / "data" / "bench-api"
DB_FILE = ROOT / "data" / "bench" / "backoffice.db"
# Each case's calls, taking turns side by side: on 2 shared cores one call in a few waits for
# a core, so 25 made medians move by a millisecond from run to run; 200 hold them still.
RUNS = 200
PAGE_SIZE = 50
DEEP_PAGE = 10_000
TOKEN = "bench" + "0" * 35  # DRF's token for the benchmark's user (a throw-away auth database)
ORDER_AMOUNT = "10000.00"

# Our list's URL parameters (scripts/bench.py's filtered page) and DRF's equivalents.
OURS_FILTER = {"kind": "redemption", "status": "settled", "amount__min": "10000"}
DRF_FILTER = {"kind": "redemption", "status": "settled", "amount_min": "10000"}
CASES = ("first page", "filter", f"page {DEEP_PAGE:,} by cursor", "subscription POST")


def _percentile95(times: list[float]) -> float:
    return sorted(times)[max(0, int(len(times) * 0.95) - 1)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the DRF side (gunicorn loads ``bench_api:drf_wsgi()`` in data/bench-django-venv) -------
def drf_wsgi() -> Any:
    """The DRF application over the benchmark's database (settings from BENCH_API_* vars)."""
    import types

    db_file = os.environ["BENCH_API_DB"]
    work = Path(os.environ["BENCH_API_WORK"])
    work.mkdir(parents=True, exist_ok=True)
    auth_db = work / "auth.db"
    for leftover in work.glob("auth.db*"):
        leftover.unlink()
    app_dir = work / "ledger"
    app_dir.mkdir(exist_ok=True)
    ledger = types.ModuleType("ledger")
    ledger.__path__ = [str(app_dir)]  # an app package with no files: models are made below
    ledger.__file__ = str(app_dir / "__init__.py")
    sys.modules["ledger"] = ledger
    urls = types.ModuleType("bench_api_urls")
    sys.modules["bench_api_urls"] = urls

    class Router:
        """The mapped table lives in the benchmark's database; Django's own in a scratch one."""

        def db_for_read(self, model: Any, **hints: Any) -> str | None:
            return "bench" if model._meta.app_label == "ledger" else None

        db_for_write = db_for_read

        def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
            return db == "default" and app_label != "ledger"

    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only-not-secret",  # noqa: S106  (a throw-away local site)
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        USE_TZ=True,
        TIME_ZONE="Asia/Shanghai",
        ROOT_URLCONF="bench_api_urls",
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "rest_framework",
            "rest_framework.authtoken",
            "ledger",
        ],
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        DATABASES={
            # persistent connections (as a deployment would set), like our engine's pool
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(auth_db),
                "CONN_MAX_AGE": None,
            },
            "bench": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": db_file,
                "CONN_MAX_AGE": None,
                "OPTIONS": {"timeout": 30},
            },
        },
        DATABASE_ROUTERS=[Router()],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        },
        LOGGING_CONFIG=None,
    )
    import django

    django.setup()

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import models
    from django.urls import include, path
    from django.utils import timezone
    from rest_framework import pagination, routers, serializers, viewsets
    from rest_framework.authtoken.models import Token

    class Transaction(models.Model):
        KINDS = [("subscription", "Subscription"), ("redemption", "Redemption")]
        STATUSES = [("pending", "Pending"), ("settled", "Settled"), ("failed", "Failed")]
        txn_no = models.CharField(max_length=24, unique=True)
        customer_id = models.IntegerField()
        product_id = models.IntegerField()
        kind = models.CharField(max_length=20, choices=KINDS)
        amount = models.DecimalField(max_digits=18, decimal_places=2)
        fee = models.DecimalField(max_digits=18, decimal_places=2, default=0)
        status = models.CharField(max_length=20, choices=STATUSES, default="pending")
        channel = models.CharField(max_length=20, default="api")
        campaign_id = models.IntegerField(null=True, blank=True)
        occurred_at = models.DateTimeField(default=timezone.now)
        created_at = models.DateTimeField(default=timezone.now)

        class Meta:
            app_label = "ledger"
            managed = False
            db_table = "transaction"

    class TransactionSerializer(serializers.ModelSerializer):
        class Meta:
            model = Transaction
            fields = (
                "id",
                "txn_no",
                "customer_id",
                "product_id",
                "kind",
                "amount",
                "fee",
                "status",
                "channel",
                "campaign_id",
                "occurred_at",
            )
            read_only_fields = ("id", "fee", "status", "channel", "occurred_at")

    class ByTime(pagination.CursorPagination):
        page_size = PAGE_SIZE
        ordering = "-occurred_at"

    class TransactionViewSet(viewsets.ModelViewSet):
        serializer_class = TransactionSerializer
        pagination_class = ByTime

        def get_queryset(self) -> Any:
            rows = Transaction.objects.all()
            query = self.request.query_params
            if query.get("kind"):
                rows = rows.filter(kind=query["kind"])
            if query.get("status"):
                rows = rows.filter(status=query["status"])
            if query.get("amount_min"):
                rows = rows.filter(amount__gte=query["amount_min"])
            return rows

    router = routers.DefaultRouter()
    router.register("transactions", TransactionViewSet, basename="transaction")
    urls.urlpatterns = [path("", include(router.urls))]

    call_command("migrate", database="default", verbosity=0, interactive=False)
    user = User.objects.create_user("bench")
    Token.objects.create(user=user, key=TOKEN)

    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


# --- our side and the comparison (the project's environment) ---------------------------------
def ensure_drf() -> Path:
    """The Django benchmark's environment, with DRF and gunicorn added (once)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_django

    python = bench_django.ensure_django()
    marker = bench_django.VENV / f".drf-{DRF_VERSION}-gunicorn-{GUNICORN_VERSION}"
    if not marker.exists():
        print(f"installing Django REST Framework {DRF_VERSION} and gunicorn (once)…", flush=True)
        subprocess.run(  # noqa: S603
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                f"Django=={bench_django.DJANGO_VERSION}",
                f"djangorestframework=={DRF_VERSION}",
                f"gunicorn=={GUNICORN_VERSION}",
            ],
            check=True,
        )
        marker.touch()
    return python


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited:\n{log.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"{url}: no answer in 120 s:\n{log.read_text()[-2000:]}")


def _start(command: list[str], env: dict[str, str], name: str) -> tuple[subprocess.Popen, Path]:
    WORK.mkdir(parents=True, exist_ok=True)
    log = WORK / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, log


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def our_key() -> str:
    """A ``platform`` client made for this run (its key, shown once, kept in memory only)."""
    from backoffice import db
    from backoffice.domains.admin import users
    from backoffice.domains.integrations import clients
    from backoffice.security.rbac import Principal

    runner = Principal(
        user_id=0,
        username="bench.api",
        display_name="Bench",
        session_id=0,
        roles=frozenset({"admin"}),
        permissions=frozenset({("api_client", "create")}),
    )
    with db.session_scope(write=True) as session:
        users.ensure_roles(session)
        _client, key = clients.create_client(
            session,
            actor=runner,
            name=f"bench-api-{uuid.uuid4().hex[:8]}",
            role="platform",
            rate_per_minute=100_000,
        )
    return key


def _timed(send: Any, runs: int = RUNS) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        send()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _ok(response: Any, status: int = 200) -> Any:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.url}: HTTP {response.status_code} {response.text[:300]}"
        )
    return response.json()


def _walk(fetch_next: Any, second: Any) -> tuple[Any, float]:
    """Follow next cursors from page 2's to page DEEP_PAGE's: what opens it, seconds taken."""
    started = time.monotonic()
    link = second
    for page in range(2, DEEP_PAGE):
        link = fetch_next(link)  # page ``page`` fetched: ``link`` opens the one after
        if link is None:
            raise RuntimeError(f"the list ended at page {page}")
        if page % 2000 == 0:
            print(f"    … page {page:,}", flush=True)
    return link, time.monotonic() - started


def _subscriptions() -> list[tuple[int, int]]:
    """Customer and product pairs of past settled subscriptions, newest first."""
    import sqlite3

    with sqlite3.connect(f"file:{DB_FILE}?mode=ro", uri=True) as conn:
        pairs = conn.execute(
            'SELECT customer_id, product_id FROM "transaction" WHERE kind = ? AND status = ?'
            " ORDER BY id DESC LIMIT 300",
            ("subscription", "settled"),
        ).fetchall()
    return list(dict.fromkeys(pairs))


def _order(customer_id: int, product_id: int) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "product_id": product_id,
        "kind": "subscription",
        "amount": ORDER_AMOUNT,
    }


def _accepted_order(ours: Any) -> dict[str, Any]:
    """An order our rules accept (suitability, sale window): the first past pair that is."""
    last = None
    for pair in _subscriptions():
        body = _order(*pair)
        last = ours.post(
            "/platform/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        if last.status_code == 201:
            return body
        if last.status_code in (401, 403, 404, 405):
            break
    detail = f"HTTP {last.status_code} {last.text[:300]}" if last is not None else "no pair"
    raise RuntimeError(f"no order accepted: {detail}")


def measure(ours: Any, theirs: Any) -> dict[str, Any]:
    """Each case on both sides, taking turns run by run; a side that cannot run a case (its
    setup or first call fails) is reported and the other measured alone."""
    results: dict[str, Any] = {}

    def both(name: str, prepare: dict[str, Any], **extra: Any) -> None:
        found: dict[str, Any] = {**extra}
        live = {}
        for side, make in prepare.items():
            try:
                send = make()
                send()  # checked and warm
                live[side] = send
            except RuntimeError as error:
                print(f"    {side}: not measured: {error}", flush=True)
                found[side] = {"error": str(error)}
        times: dict[str, list[float]] = {side: [] for side in live}
        for _ in range(RUNS):
            for side, send in live.items():
                times[side] += _timed(send, 1)
        for side, measured in times.items():
            found[side] = {
                "ms": round(statistics.median(measured), 2),
                "p95_ms": round(_percentile95(measured), 2),
            }
        results[name] = found

    first = {"limit": str(PAGE_SIZE)}
    filtered = {**first, **OURS_FILTER}

    def ours_list(params: dict[str, str]) -> Any:
        return lambda: _ok(ours.get("/resources/transaction", params=params))

    def drf_list(link: str, params: dict[str, str] | None = None) -> Any:
        return lambda: _ok(theirs.get(link, params=params))

    print("  first page…", flush=True)
    both(
        "first page",
        {"ours": lambda: ours_list(first), "drf": lambda: drf_list("/transactions/")},
    )
    print("  filter…", flush=True)
    both(
        "filter",
        {
            "ours": lambda: ours_list(filtered),
            "drf": lambda: drf_list("/transactions/", DRF_FILTER),
        },
        ours_params=filtered,
        drf_params=DRF_FILTER,
    )

    deep_rows: dict[str, set[str]] = {}
    walked: dict[str, float] = {}  # mean ms a page over each side's walk (9,998 pages)

    def ours_deep() -> Any:
        print(f"  walking to page {DEEP_PAGE:,}: ours…", flush=True)
        cursor, seconds = _walk(
            lambda cursor: _ok(
                ours.get("/resources/transaction", params={**first, "cursor": cursor})
            )["next_cursor"],
            _ok(ours.get("/resources/transaction", params=first))["next_cursor"],
        )
        send = ours_list({**first, "cursor": cursor})
        deep_rows["ours"] = {row.get("txn_no") for row in send()["data"]}
        walked["ours"] = round(seconds * 1000 / (DEEP_PAGE - 2), 2)
        print(f"    ours walked in {seconds:.0f} s", flush=True)
        return send

    def drf_deep() -> Any:
        print(f"  walking to page {DEEP_PAGE:,}: DRF…", flush=True)
        link, seconds = _walk(
            lambda link: _ok(theirs.get(link))["next"],
            _ok(theirs.get("/transactions/"))["next"],
        )
        send = drf_list(link)
        deep_rows["drf"] = {row["txn_no"] for row in send()["results"]}
        walked["drf"] = round(seconds * 1000 / (DEEP_PAGE - 2), 2)
        print(f"    DRF walked in {seconds:.0f} s", flush=True)
        return send

    deep = f"page {DEEP_PAGE:,} by cursor"
    both(deep, {"ours": ours_deep, "drf": drf_deep})
    if len(deep_rows) == 2:
        results[deep]["same_rows"] = deep_rows["ours"] == deep_rows["drf"]
    results[deep]["walk_ms_a_page"] = walked

    print("  subscription POST…", flush=True)
    orders: dict[str, Any] = {}

    def ours_post() -> Any:
        body = orders["ours"] = _accepted_order(ours)

        def send() -> Any:
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            return _ok(ours.post("/platform/orders", json=body, headers=headers), 201)

        return send

    def drf_post() -> Any:
        body = orders.get("ours") or _order(*_subscriptions()[0])
        return lambda: _ok(
            theirs.post("/transactions/", json={**body, "txn_no": "D" + uuid.uuid4().hex[:20]}),
            201,
        )

    both("subscription POST", {"ours": ours_post, "drf": drf_post}, body=orders)
    return results


def main() -> int:
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench  # the project's benchmark: the data set (sets BACKOFFICE_DATA_DIR)
    import httpx

    bench.prepare()
    python = ensure_drf()
    key = our_key()
    ours_port, drf_port = _free_port(), _free_port()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    ours_server, ours_log = _start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "backoffice.api.app:mounted",
            *("--host", "127.0.0.1", "--port", str(ours_port)),
            *("--workers", "1", "--log-level", "warning", "--no-access-log"),
        ],
        env,
        "ours",
    )
    drf_env = {
        **env,
        "PYTHONPATH": str(ROOT / "scripts"),
        "BENCH_API_DB": str(DB_FILE),
        "BENCH_API_WORK": str(WORK / "drf"),
    }
    try:
        drf_server, drf_log = _start(
            [
                str(python.parent / "gunicorn"),
                *("--workers", "1", "--worker-class", "gthread", "--threads", "4"),
                *("--bind", f"127.0.0.1:{drf_port}", "--log-level", "warning"),
                "bench_api:drf_wsgi()",
            ],
            drf_env,
            "drf",
        )
    except BaseException:
        _stop(ours_server)  # no server outlives a run that could not start both
        raise
    try:
        ours_url, drf_url = f"http://127.0.0.1:{ours_port}/api/v1", f"http://127.0.0.1:{drf_port}"
        _wait_until_up(ours_url + "/whoami", ours_server, ours_log)
        _wait_until_up(drf_url + "/", drf_server, drf_log)
        with (
            httpx.Client(
                base_url=ours_url, headers={"Authorization": f"Bearer {key}"}, timeout=60
            ) as ours,
            httpx.Client(
                base_url=drf_url, headers={"Authorization": f"Token {TOKEN}"}, timeout=60
            ) as theirs,
        ):
            _ok(ours.get("/whoami"))
            rows = bench_rows()
            print(
                f"\nthe API over {rows:,} transactions (SQLite, {DB_FILE.relative_to(ROOT)}): ours "
                f"(uvicorn, 1 worker) and Django REST Framework {DRF_VERSION} (gunicorn, 1 worker),"
                f" median of {RUNS} runs taking turns (p95 in brackets)\n",
                flush=True,
            )
            results = measure(ours, theirs)
    finally:
        _stop(ours_server)
        _stop(drf_server)
    print(f"\n{'case':<26}{'ours ms':>16}{'DRF ms':>16}")

    def cell(figures: dict[str, Any]) -> str:
        if "ms" not in figures:
            return f"{'—':>16}"
        return f"{figures['ms']:>9.1f} ({figures['p95_ms']:>4.0f})"

    for name in CASES:
        found = results.get(name, {})
        print(f"{name:<26}{cell(found.get('ours', {}))}{cell(found.get('drf', {}))}")
    walks = results.get(f"page {DEEP_PAGE:,} by cursor", {}).get("walk_ms_a_page", {})
    if len(walks) == 2:
        print(
            f"(the walks there, {DEEP_PAGE - 2:,} pages each: ours {walks['ours']:.1f} ms a page,"
            f" DRF {walks['drf']:.1f})"
        )
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    load = os.getloadavg()
    (out / "api.json").write_text(
        json.dumps(
            {
                "rows": rows,
                "runs": RUNS,
                "drf": DRF_VERSION,
                "load_average": [round(x, 2) for x in load],
                "cases": results,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    missing = [
        f"{name} ({side})"
        for name in CASES
        for side in ("ours", "drf")
        if "ms" not in results.get(name, {}).get(side, {})
    ]
    print(
        f"\n(load average {load[0]:.1f}); written to bench-results/api.json"
        + (f"; not measured: {', '.join(missing)}" if missing else "")
    )
    return 1 if missing else 0


def bench_rows() -> int:
    import sqlite3

    with sqlite3.connect(f"file:{DB_FILE}?mode=ro", uri=True) as conn:
        return conn.execute('SELECT count(*) FROM "transaction"').fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
