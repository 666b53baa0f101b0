"""State handlers called directly, without a browser."""

import json

from state.home import OverviewState
from state.ui import UIState
from tests.factories import redirected_to


def _handler(state_cls, name):
    return state_cls.event_handlers[name].fn


def _ui_on(url: str = "/") -> UIState:
    from reflex.istate.data import RouterData
    from reflex.state import State

    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data({"asPath": url, "pathname": url.split("?")[0]})
    return root.get_substate(UIState.get_full_name().split(".")[1:])


def test_language_switch_accepts_only_known_languages():
    from tests.factories import run

    state = _ui_on()
    run(_handler(UIState, "set_language")(state, "en"))
    assert state.lang == "en"
    run(_handler(UIState, "set_language")(state, "fr"))
    assert state.lang == "en"
    run(_handler(UIState, "set_language")(state, ["zh"]))
    assert state.lang == "en", "a list is not a language"


def test_a_language_switch_runs_the_open_page_loads_again_with_its_address():
    """Every text a state built in the old language is built again, in the same event chain,
    by the page's own loads: a list with its query, the KPI dashboard, the Gantt plan."""
    import backoffice.backoffice  # noqa: F401  (the app and its pages' loads)
    from state.kpi import KpiState
    from state.projects import ProjectPlanState
    from state.resource import ResourceListState
    from tests.factories import run

    def loads_on(url: str) -> list:
        state = _ui_on(url)
        events = run(_handler(UIState, "set_language")(state, "en"))
        assert state.lang == "en"
        return [getattr(e, "handler", e) for e in events or []], events

    handlers, events = loads_on("/r/product?status=on_sale&sort=-name")
    assert ResourceListState.open in handlers  # it reads the URL: filters and sort are kept
    assert "product" in str(events[handlers.index(ResourceListState.open)].args)
    assert KpiState.load in loads_on("/kpi")[0]
    assert ProjectPlanState.load in loads_on("/projects/gantt")[0]
    state = _ui_on("/kpi")
    state.lang = "en"
    # the same language again rebuilds nothing
    assert run(_handler(UIState, "set_language")(state, "en")) is None


def test_a_sign_in_error_is_said_again_in_the_new_language(session):
    from reflex.state import State

    from backoffice.i18n import translate
    from state.login import LoginState
    from tests.factories import make_user, run

    make_user(session, "clerk", ["cs_agent"])
    root = State(_reflex_internal_init=True)
    login = root.get_substate(LoginState.get_full_name().split(".")[1:])
    ui = root.get_substate(UIState.get_full_name().split(".")[1:])
    ui.lang = "zh"
    run(_handler(LoginState, "submit_password")(login, {"username": "clerk", "password": "x"}))
    assert login.error and login.error == translate(login._error_key, "zh")
    run(_handler(UIState, "set_language")(ui, "en"))
    assert login.error == translate(login._error_key, "en") != translate(login._error_key, "zh")


def test_overview_counts_only_the_modules_the_caller_may_view(session):

    from reflex.state import State

    from state.auth import carry_cookie
    from tests.factories import make_user, run, sign_in

    user, _ = make_user(session, "agent", ["cs_agent"])
    root = State(_reflex_internal_init=True)
    carry_cookie(root, sign_in(session, user))
    state = root.get_substate(OverviewState.get_full_name().split(".")[1:])
    run(_handler(OverviewState, "load")(state))
    assert state.loaded
    assert state.counts["tickets_open"] == "0"
    assert "transactions" not in state.counts and "employees" not in state.counts


def test_overview_leaves_out_a_figure_the_caller_may_not_count(session):
    """An executive sees the KYC module but not the watch lists: no watch-list figure."""
    from reflex.state import State

    from state.auth import carry_cookie
    from tests.factories import make_user, run, sign_in

    user, _ = make_user(session, "exec", ["executive"])
    root = State(_reflex_internal_init=True)
    carry_cookie(root, sign_in(session, user))
    state = root.get_substate(OverviewState.get_full_name().split(".")[1:])
    run(_handler(OverviewState, "load")(state))
    assert state.counts["kyc_open"] == "0"
    assert "watchlist" not in state.counts


def _customer_and_product(session):
    """Customer 1 and a bond product of a bank: what a transaction row needs."""
    from datetime import UTC, datetime

    from models.customers import Customer
    from models.partners import Partner
    from models.products import Product

    session.add(
        Customer(id=1, customer_no="C1", name_masked="x", name_cipher="x", name_hash="h",
                 id_number_cipher="x", id_number_hash="h", phone_cipher="x", phone_hash="h",
                 registered_at=datetime.now(UTC))
    )  # fmt: skip
    bank = Partner(name="甲银行", kind="bank", licence_no="1", status="active")
    session.add(bank)
    session.flush()
    product = Product(code="A", name="a", product_type="bond", partner_id=bank.id, risk_level="R2")
    session.add(product)
    session.flush()
    return product


def test_a_read_only_record_opens_without_a_version_column(session):
    """Transactions have no version column; their record page opened with an error toast
    (found by scripts/bench_ws.py, whose staff open records from the transactions list)."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from reflex.istate.data import RouterData
    from reflex.state import State

    import backoffice.domains  # noqa: F401  (registers the transaction resource)
    from models.transactions import Transaction
    from state.auth import carry_cookie
    from state.resource import ResourceRecordState
    from tests.factories import make_user, run, sign_in

    product = _customer_and_product(session)
    txn = Transaction(
        txn_no="T1",
        customer_id=1,
        product_id=product.id,
        kind="subscription",
        status="settled",
        amount=Decimal("100.00"),
        occurred_at=datetime(2026, 10, 3, tzinfo=UTC),
    )
    session.add(txn)
    session.commit()
    user, _ = make_user(session, "ceo", ["executive"])
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {
            "headers": {"origin": "http://localhost:3000"},
            "asPath": f"/r/transaction/record?id={txn.id}",
            "pathname": "/r/transaction/record",
        }
    )
    carry_cookie(root, sign_in(session, user))
    state = root.get_substate(ResourceRecordState.get_full_name().split(".")[1:])
    result = run(_handler(ResourceRecordState, "open")(state, "transaction"))
    assert result is None, str(result)[:3000]
    assert state.loaded and state.title == "T1" and state.version == 0


def test_an_event_chain_resolves_the_caller_once_and_a_new_browser_event_again(session):
    """The on_load handlers a page's navigation enqueues share what the chain's first event
    resolved; the browser's next event resolves afresh, so disabling the user applies to it."""
    import sqlalchemy as sa
    from reflex.state import State
    from reflex_base.event.context import EventContext

    from models.identity import User
    from state.auth import SessionState, carry_cookie
    from tests.factories import make_user, sign_in

    user, _ = make_user(session, "lead", ["cs_lead"])
    root = State(_reflex_internal_init=True)
    state = root.get_substate(SessionState.get_full_name().split(".")[1:])
    carry_cookie(root, sign_in(session, user))

    def event(parent: str | None, txid: str) -> EventContext:
        return EventContext(
            token="tab", state_manager=None, enqueue_impl=None, txid=txid, parent_txid=parent
        )

    queries = []

    def count(*_args: object) -> None:
        queries.append(1)

    sa.event.listen(session.get_bind(), "before_cursor_execute", count)
    try:
        with event(None, "navigation"):  # on_load_internal, sent by the browser
            assert state._resolve() is not None
        resolved_once = len(queries)
        for handler in ("gate", "open"):  # the handlers it enqueued on the server
            with event("navigation", handler):
                assert state._resolve().username == "lead"
        assert len(queries) == resolved_once, "the chain's own events did not query again"

        session.execute(sa.update(User).where(User.id == user.id).values(is_active=False))
        session.commit()
        with event("navigation", "late"):  # still the chain the user started when active
            assert state._resolve() is not None
        with event(None, "click"):  # the browser's next event
            assert state._resolve() is None
        assert state.username == "" and state.modules == []
    finally:
        sa.event.remove(session.get_bind(), "before_cursor_execute", count)


def test_a_list_click_loads_its_page_in_the_same_event_and_pushes_its_url(session):
    """Paging, sorting and filtering answer in one event: the rows for the new query and a
    history.pushState of its URL (the back button and a reload load that URL). An unfiltered
    list on a table without an archive column counts its rows (it once counted 1: the count's
    SELECT lost its FROM clause)."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from reflex.istate.data import RouterData
    from reflex.state import State

    import backoffice.domains  # noqa: F401  (registers the transaction resource)
    from backoffice.engine.resource import PAGE_SIZES
    from models.transactions import Transaction
    from state.auth import carry_cookie
    from state.resource import ResourceListState
    from tests.factories import make_user, run, sign_in

    product = _customer_and_product(session)
    rows = PAGE_SIZES[0] + 5
    for n in range(rows):
        session.add(
            Transaction(txn_no=f"T{n:03d}", customer_id=1, product_id=product.id,
                        kind="redemption" if n % 2 else "subscription", status="settled",
                        amount=Decimal(100 + n), occurred_at=datetime(2026, 10, 3, tzinfo=UTC))
        )  # fmt: skip
    session.commit()
    user, _ = make_user(session, "ceo", ["executive"])
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {"headers": {"origin": "http://localhost:3000"}, "asPath": "/r/transaction",
         "pathname": "/r/transaction"}
    )  # fmt: skip
    carry_cookie(root, sign_in(session, user))
    state = root.get_substate(ResourceListState.get_full_name().split(".")[1:])
    assert run(_handler(ResourceListState, "open")(state, "transaction")) is None
    assert state.total_text == str(rows) and state.pages == 2

    def pushed(events: object) -> str:
        (spec,) = events
        return str(spec.args[0][1]._var_value)

    events = run(_handler(ResourceListState, "go_to_page")(state, 2))
    assert pushed(events) == "window.history.pushState(null, '', \"/r/transaction?page=2\")"
    assert state.page == 2 and len(state.rows) == 5
    events = run(_handler(ResourceListState, "apply")(state, {"kind": "redemption", "q": ""}))
    assert '"/r/transaction?kind=redemption"' in pushed(events)
    assert state.page == 1 and state.total_text == str(rows // 2)
    assert {r["kind"] for r in state.rows} == {"赎回"}


def _every_state() -> list[type]:
    from reflex.state import State

    import backoffice.backoffice  # noqa: F401  (registers every state)

    found, todo = [], [State]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.get_substates())
    return found


def test_no_state_var_holds_a_plotly_figure():
    """A hydration (new tab, reload, reconnect) copies every var's default of every state, and
    each event pickles its states into Redis: a Figure default cost about 20 ms per copy (220 ms
    a hydration). Charts are kept as the JSON plotly.js draws (state/charts.py)."""
    import plotly.graph_objects as go

    figures = [
        f"{cls.__name__}.{name}"
        for cls in _every_state()
        for name, var in cls.base_vars.items()
        if "Figure" in str(var._var_type) or isinstance(cls.get_fields()[name].default, go.Figure)
    ]
    assert figures == []
    charts = [
        (cls.__name__, name)
        for cls in _every_state()
        for name in cls.base_vars
        if name.endswith(("chart", "chart0", "gantt", "history", "forecast_aum"))
    ]
    assert len(charts) >= 6, charts  # the check above looked at the chart vars


def test_a_chart_is_plain_json_without_its_template():
    import plotly.graph_objects as go

    from state.charts import as_chart

    chart = as_chart(go.Figure(go.Bar(x=["a", "b"], y=[1, 2]), layout={"title": "t"}))
    assert chart["data"][0]["type"] == "bar" and chart["data"][0]["y"] == [1, 2]
    assert chart["layout"]["title"]["text"] == "t" and "template" not in chart["layout"]
    assert json.loads(json.dumps(chart)) == chart


def _tab_on(path: str, token: str):
    from reflex.istate.data import RouterData
    from reflex.state import State

    from state.auth import carry_cookie

    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {"headers": {"origin": "http://localhost:3000"}, "asPath": path, "pathname": path}
    )
    carry_cookie(root, token)
    return root


def test_a_page_load_does_the_gates_work_before_its_own(session):
    """A page whose first on_load is a guarded handler registers no separate gate event: the
    handler signs out a stranger, keeps a user out of a module they may not open (to the home
    page, audited) and counts the bell's unread notices before it loads anything."""
    from sqlmodel import select

    import backoffice.backoffice  # noqa: F401  (registers every page)
    from backoffice.platform import notifications
    from models.audit import AuditEntry
    from pages.layout import registered_pages
    from state.auth import PAGE_LOAD_ATTR, SessionState
    from state.hr import HrOverviewState
    from state.notifications import NotificationState
    from tests.factories import make_user, run, sign_in

    loads = {route: on_load for route, _title, _page, on_load in registered_pages}
    assert loads["/hr/overview"] == [HrOverviewState.load]
    assert getattr(HrOverviewState.load.fn, PAGE_LOAD_ATTR)
    for route, on_load in loads.items():  # no page goes without the gate's work
        first = getattr(on_load[0], "handler", on_load[0])
        assert first == SessionState.gate or getattr(first.fn, PAGE_LOAD_ATTR, False), route

    load = HrOverviewState.load.fn
    agent, _ = make_user(session, "agent.g", ["cs_agent"])
    hr, _ = make_user(session, "hr.g", ["hr"])
    notifications.notify(
        session, kind="general", role="hr", dedupe_key="g1", title_zh="通知", title_en="Notice"
    )
    session.commit()

    def overview(token: str):
        root = _tab_on("/hr/overview", token)
        return root, root.get_substate(HrOverviewState.get_full_name().split(".")[1:])

    _root, state = overview("not-a-session")
    assert redirected_to(run(load(state))) == ["/login"]
    assert state.quarter == ""

    _root, state = overview(sign_in(session, agent))
    assert redirected_to(run(load(state))) == ["/"]
    assert state.quarter == ""
    refusal = session.exec(
        select(AuditEntry).where(
            AuditEntry.actor == "agent.g", AuditEntry.action == "access.denied"
        )
    ).one()
    assert refusal.entity_id == "page /hr"

    root, state = overview(sign_in(session, hr))
    assert run(load(state)) is None
    assert state.quarter != ""
    bell = root.get_substate(NotificationState.get_full_name().split(".")[1:])
    assert bell.unread == 1 and bell.groups == []  # the groups are read when the bell opens
    run(NotificationState.open_bell.fn(bell, True))
    assert [item["title"] for g in bell.groups for item in g["items"]] == ["通知"]


def test_a_refused_load_or_search_leaves_no_rows_and_says_why(session):
    """Marketing loses "partner view" while its list is on screen: a search from that tab is
    refused and the rows go with it, with the reason; reloading the page sends the user home
    at once (audited) and shows nothing of the list either."""
    from sqlmodel import select

    import backoffice.backoffice  # noqa: F401  (registers every page: the list gates its page)
    from backoffice.domains.admin import users
    from models.audit import AuditEntry
    from models.partners import Partner
    from state.resource import ResourceListState
    from tests.factories import make_user, run, sign_in

    session.add(Partner(name="甲银行", kind="bank", licence_no="1", status="active"))
    admin, _ = make_user(session, "admin.r", ["admin"])
    marketer, _ = make_user(session, "mkt.r", ["marketing"])
    token = sign_in(session, marketer)
    root = _tab_on("/r/partner", token)
    state = root.get_substate(ResourceListState.get_full_name().split(".")[1:])
    assert run(_handler(ResourceListState, "open")(state, "partner")) is None
    assert [row["name"] for row in state.rows] == ["甲银行"] and state.error == ""

    actor = _principal_of(session, admin)
    assert not users.set_permission(
        session, actor=actor, role="marketing", resource="partner", action="view", granted=False
    )
    session.commit()

    run(_handler(ResourceListState, "apply")(state, {"q": "甲"}))
    assert state.rows == [] and state.total_text == ""
    assert state.error == "您无权查看这些数据，页面已清空。"

    root = _tab_on("/r/partner", token)
    state = root.get_substate(ResourceListState.get_full_name().split(".")[1:])
    state.rows = [{"id": "1", "name": "甲银行"}]  # what the tab held before the reload
    assert redirected_to(run(_handler(ResourceListState, "open")(state, "partner"))) == ["/"]
    assert state.rows == [] and state.error != ""
    assert session.exec(
        select(AuditEntry.entity_id)
        .where(AuditEntry.actor == "mkt.r", AuditEntry.action == "access.denied")
        .order_by(AuditEntry.id)
    ).all() == ["ResourceListState.apply", "page /r/partner"]


def _principal_of(session, user):
    from backoffice.security import auth
    from tests.factories import sign_in

    return auth.resolve(session, sign_in(session, user))


def test_a_verified_step_up_runs_the_action_it_interrupted(session):
    """An administrator whose last TOTP is stale deactivates a user: refused, the step-up
    dialog opens; once the fresh code is verified, the deactivation goes ahead by itself."""
    import pyotp
    from reflex.state import State

    from models.identity import User
    from state.admin import AdminUsersState
    from state.auth import StepUpState, carry_cookie
    from tests.factories import make_user, run, sign_in

    admin, secret = make_user(session, "stale.admin", ["admin"])
    victim, _ = make_user(session, "victim", ["cs_agent"])
    root = State(_reflex_internal_init=True)
    carry_cookie(root, sign_in(session, admin, stale_totp=True))
    admin_state = root.get_substate(AdminUsersState.get_full_name().split(".")[1:])
    run(_handler(AdminUsersState, "set_active")(admin_state, victim.id, False))
    step_up = root.get_substate(StepUpState.get_full_name().split(".")[1:])
    assert step_up.open
    session.refresh(victim)
    assert victim.is_active

    async def in_chain(parent: str | None, txid: str, call):
        """As the event ``txid``: sent by the browser (no parent) or enqueued by ``parent``."""
        from reflex_base.event.context import EventContext

        context = EventContext(
            token="tab", state_manager=None, enqueue_impl=None, txid=txid, parent_txid=parent
        )
        with context:
            return await call

    code = {"code": pyotp.TOTP(secret).now()}
    events = run(in_chain(None, "submit", _handler(StepUpState, "submit")(step_up, code)))
    assert not step_up.open and step_up.error == ""
    (resumed,) = [e for e in events if getattr(e.handler, "state_full_name", "")]
    assert resumed.handler.state_full_name == AdminUsersState.get_full_name()
    assert resumed.handler.fn.__name__ == "set_active"
    arguments = [value._var_value for _name, value in resumed.args]
    assert arguments == [victim.id, False]
    # the returned event runs in the submit's chain, whose caller was resolved before the code
    run(in_chain("submit", "resumed", resumed.handler.fn(admin_state, *arguments)))
    session.rollback()  # end this session's read, to see the handler's commit
    assert not session.get(User, victim.id).is_active
    # a second verification has nothing left to run
    assert step_up._pending is None


def test_the_user_dialog_shows_the_roles_of_the_user_it_edits(session):
    """The edit dialog's role boxes start from the user's roles (they started empty, so a
    save without ticking every role again was refused or dropped roles)."""
    from reflex.state import State

    from state.admin import AdminUsersState
    from state.auth import carry_cookie
    from tests.factories import make_user, run, sign_in

    admin, _ = make_user(session, "admin.d", ["admin"])
    first, _ = make_user(session, "two.roles", ["cs_agent", "hr"])
    second, _ = make_user(session, "one.role", ["pmo"])
    root = State(_reflex_internal_init=True)
    carry_cookie(root, sign_in(session, admin))
    state = root.get_substate(AdminUsersState.get_full_name().split(".")[1:])
    run(_handler(AdminUsersState, "edit")(state, first.id))
    assert state.editing_roles == ["cs_agent", "hr"]
    run(_handler(AdminUsersState, "edit")(state, second.id))
    assert (state.editing_user_id, state.editing_roles) == (second.id, ["pmo"])


def test_a_signed_out_page_load_goes_to_sign_in_without_a_refusal_toast(session):
    """Opening a page signed out is no refused request: the visitor is sent to sign in with no
    "请先登录" toast (still audited); a call a signed-out tab makes still says why."""
    from sqlmodel import select

    import backoffice.backoffice  # noqa: F401  (registers every page)
    from models.audit import AuditEntry
    from state.hr import HrOverviewState
    from state.tickets import TicketReportState
    from tests.factories import run

    page = _tab_on("/hr/overview", "")
    load = page.get_substate(HrOverviewState.get_full_name().split(".")[1:])
    quiet = run(HrOverviewState.load.fn(load))
    assert redirected_to(quiet) == ["/login"]
    assert not isinstance(quiet, list) or len(quiet) == 1, "a redirect and nothing else"

    tab = _tab_on("/tickets/reports", "")
    report = tab.get_substate(TicketReportState.get_full_name().split(".")[1:])
    told = run(TicketReportState.apply.fn(report, {}))
    assert isinstance(told, list) and len(told) == 2 and redirected_to(told) == ["/login"]
    denied = session.exec(select(AuditEntry).where(AuditEntry.action == "access.denied")).all()
    assert len(denied) == 2, "both refusals are audited"


def test_the_jobs_page_shows_a_run_in_the_readers_language(session):
    """A run keeps what it did as a message, not as English text: the jobs page shows it, and
    its status, in the reader's language (a run kept as plain text stays as it is)."""
    from reflex.state import State

    from backoffice.platform import jobs
    from state.admin import JobsState
    from state.auth import carry_cookie
    from tests.factories import make_user, run, sign_in

    kept = jobs.run_job("campaigns.schedule", force=True)
    assert kept.status == "ok" and json.loads(kept.result)["key"] == "job.result.campaigns.schedule"
    assert jobs.shown(kept.result, "en") == "started 0, ended 0"
    assert jobs.shown("Traceback (most recent call last)", "zh").startswith("Traceback")
    user, _ = make_user(session, "admin2", ["admin"])
    root = State(_reflex_internal_init=True)
    carry_cookie(root, sign_in(session, user))
    rows = {}
    for lang in ("zh", "en"):
        root.get_substate(UIState.get_full_name().split(".")[1:]).lang = lang
        page = root.get_substate(JobsState.get_full_name().split(".")[1:])
        run(_handler(JobsState, "load")(page))
        rows[lang] = next(r for r in page.rows if r["name"] == "campaigns.schedule")
    assert (rows["zh"]["status"], rows["zh"]["result"]) == ("成功", "开始 0 个，结束 0 个")
    assert (rows["en"]["status"], rows["en"]["result"]) == ("ok", "started 0, ended 0")
    every = {r["name"]: r["every"] for r in page.rows}
    assert (every["webhooks.deliver"], every["campaigns.schedule"]) == ("30 s", "1 min")


def test_a_new_webhook_address_saved_with_a_stale_code_asks_for_a_fresh_one_then_saves(session):
    """The record page's save of a subscription's new address (which needs what its secret
    needs) by an administrator whose last TOTP is stale changes nothing and opens the step-up
    dialog, whose verified code then saves the same form."""
    from reflex.state import State

    from backoffice.domains.integrations import webhooks
    from models.integrations import WebhookSubscription
    from state.auth import StepUpState, carry_cookie
    from state.resource import ResourceRecordState
    from tests.factories import make_principal, make_user, run, sign_in

    subscription, _secret = webhooks.create_subscription(
        session,
        actor=make_principal(session, "it.maker", ["admin"]),
        name="platform",
        url="https://a.example/h",
        events=["ticket.resolved"],
    )
    session.commit()
    admin, _ = make_user(session, "stale.it", ["admin"])
    root = State(_reflex_internal_init=True)
    carry_cookie(root, sign_in(session, admin, stale_totp=True))
    page = root.get_substate(ResourceRecordState.get_full_name().split(".")[1:])
    page.resource_key, page.record_id, page.version = "webhook_subscription", subscription.id, 1
    form = {"url": "https://b.example/h"}
    run(_handler(ResourceRecordState, "save")(page, form))
    step_up = root.get_substate(StepUpState.get_full_name().split(".")[1:])
    assert step_up.open
    assert step_up._pending is not None and step_up._pending[1:] == ("save", [form])
    session.expire_all()
    stored = session.get(WebhookSubscription, subscription.id)
    assert stored.url == "https://a.example/h" and stored.version == 1
