"""Invariant 7 under random input: bad input gets a clear error and changes nothing.

Hypothesis throws arbitrary text and JSON values (unicode, control characters, huge numbers,
NaN/Infinity, dates out of range, injection-like keys) at the engine's create / update /
validate and list parameters for several declared resources, generated CSV and XLSX files at
the import, and free text at a few services. Each property holds on every database: no
unhandled exception, a clean save or errors whose i18n keys exist in both catalogues, and
on refusal no table's row count moves.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlmodel import Session, SQLModel, select

import backoffice.domains  # noqa: F401  (registers every resource)
from backoffice.domains.hr import rules as hr
from backoffice.domains.kpi import rules as kpi
from backoffice.domains.kyc import rules as kyc
from backoffice.domains.tickets import rules as tickets
from backoffice.engine import fields as fieldlib
from backoffice.engine import service, transfer
from backoffice.engine.fields import FieldError, FieldSpec
from backoffice.engine.resource import PAGE_SIZES, Resource, get
from backoffice.i18n import catalogue
from backoffice.security.rbac import ACTIONS, RESOURCES, Principal
from models.partners import Partner
from models.products import Product
from tests.factories import open_ticket

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # the same examples on every database and every run, found bugs included
    derandomize=True,
)

# Someone who may do everything: the refusals under test are the input's, not the matrix's.
EVERYTHING = Principal(
    user_id=1,
    username="fuzz.admin",
    display_name="Fuzz",
    session_id=1,
    roles=frozenset({"admin"}),
    permissions=frozenset((r, a) for r in RESOURCES for a in ACTIONS),
)

NASTY_TEXT = [
    "", " ", "\t\r\n", "\x00", "a\x00b", "\x07\x1b[31m", "\ud800", "x\udfffy", "\u202eevil",
    "\ufeff", "𝕏" * 300, "x" * 100_000, "NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity",
    "inf", "1e30", "1E+400", "-1e-400", "1e999999999", "9" * 30, "9" * 5000, "-0", "0x10",
    "1_000", "1,000.50", "1,2,3", "¥1,000", "10%", "%", "٣", "９９", "½", "0000-00-00",
    "0001-01-01", "0001-01-01T00:00:00", "9999-12-31", "9999-12-31T23:59:59-05:00",
    "2026-02-30", "2026-13-01", "20261301", "2026-W53-7", "99999-01-01", "-2026-01-01",
    "'; DROP TABLE partner; --", "\" OR 1=1 --", "_", "\\", "%_%", "<script>alert(1)</script>",
    "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "@SUM(A1)", "-2+3",
    "{customer_name}", "{0.__class__}", "true", "是", "off", ",,,", "1,,2", "1,x",
    "1e16", "123456789012345.5", "99999999999999999",  # past NUMERIC(18,4), within parsing
]  # fmt: skip
NASTY_JSON: list[Any] = [
    None, True, False, 0, -1, 2**31, 2**63, 2**64, 10**30, -(10**40), 1.5, -0.0, 1e308,
    float("nan"), float("inf"), float("-inf"), [], ["1", "2"], [None], {"a": 1}, {},
]  # fmt: skip
INJECTED_KEYS = {
    "id": 424242,
    "version": 99,
    "archived_at": "2020-01-01",
    "created_at": "1999-01-01",
    "__class__": "x",
    "status' OR '1'='1": "x",
}

nasty = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(NASTY_JSON),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8).map(lambda t: t + "\x00"),
)


def _known(key: str) -> bool:
    return key in catalogue("zh") and key in catalogue("en")


def _counts(session: Session) -> dict[str, int]:
    """Every table's row count, in one statement."""
    tables = SQLModel.metadata.sorted_tables
    row = session.execute(
        sa.select(
            *[
                sa.select(sa.func.count()).select_from(t).scalar_subquery().label(t.name)
                for t in tables
            ]
        )
    ).one()
    return dict(zip([t.name for t in tables], row, strict=True))


def _valid(spec: FieldSpec, ids: dict[str, list[int]]) -> st.SearchStrategy[Any]:
    """Values a form could really send for the field, so that saves happen too."""
    if spec.name == "quarter":
        return st.from_regex(r"\A20[2-3][0-9]-Q[1-4]\Z")
    if spec.upper_case:  # a code: what a form would send, in either case
        return st.from_regex(r"\A[A-Za-z0-9]{3,12}\Z")
    kind = spec.kind
    if kind in ("text", "longtext"):
        return st.text(min_size=1, max_size=min(spec.max_length or 30, 30))
    if kind == "int":
        return st.integers(0, 10_000).map(str)
    if kind in ("money", "decimal"):
        return st.decimals(0, 10**9, places=2).map(str)
    if kind == "percent":
        return st.decimals(0, 100, places=4).map(str)
    if kind == "date":
        return st.dates(date(2000, 1, 1), date(2040, 12, 31)).map(date.isoformat)
    if kind == "datetime":
        return st.dates(date(2000, 1, 1), date(2040, 12, 31)).map(lambda d: f"{d}T09:30")
    if kind == "bool":
        return st.sampled_from(["true", "false", "是", "否"])
    if kind == "choice":
        return st.sampled_from(list(spec.choices))
    if kind == "multi_choice":
        return st.lists(st.sampled_from(list(spec.choices)), max_size=3).map(",".join)
    known = ids.get(spec.ref) or [1]
    if kind == "ref":
        return st.sampled_from(known).map(str)
    return st.lists(st.sampled_from(known), max_size=3).map(lambda v: ",".join(map(str, v)))


def _values(resource: Resource, ids: dict[str, list[int]]) -> st.SearchStrategy[dict]:
    """A form's values: every editable field valid-looking (optional ones maybe left out),
    then up to three of them made nasty or removed, and maybe keys that are no fields at all
    (which must be ignored). Both saves and refusals happen."""
    editable = [spec for spec in resource.fields if spec.editable]

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for spec in editable:
            if spec.required or draw(st.booleans()):
                values[spec.name] = draw(_valid(spec, ids))
        for name in draw(st.lists(st.sampled_from([s.name for s in editable]), max_size=3)):
            if draw(st.integers(0, 4)) == 0:
                values.pop(name, None)
            else:
                values[name] = draw(nasty)
        for key in draw(st.lists(st.sampled_from(sorted(INJECTED_KEYS)), max_size=2)):
            values[key] = INJECTED_KEYS[key]
        return values

    return build()


RESOURCES_FUZZED = (
    "partner",
    "product",
    "product_change",
    "campaign",
    "training_program",
    "risk_indicator",
    "employee",
    "headcount_plan",
    "watchlist_entry",
    "kpi_alert_rule",
)


@pytest.fixture
def world(session: Session) -> dict[str, list[int]]:
    """One valid record of each resource the fuzzed ones point at; their ids by resource."""
    from tests.factories import GOOD_PARTNER

    def make(key: str, values: dict[str, Any]) -> int:
        result = service.create(session, principal=EVERYTHING, resource=get(key), values=values)
        assert result.ok, (key, result)
        session.commit()
        return result.record_id

    partner = make("partner", GOOD_PARTNER)
    product = make(
        "product",
        {
            "code": "P1",
            "name": "稳盈90天",
            "product_type": "fixed_term",
            "partner_id": str(partner),
            "risk_level": "R2",
            "min_purchase": "1000",
            "term_days": "90",
            "early_redemption": "not_allowed",
        },
    )
    live = make(
        "product",
        {
            "code": "P2",
            "name": "活期宝",
            "product_type": "money_market",
            "partner_id": str(partner),
            "risk_level": "R1",
            "min_purchase": "1",
        },
    )
    session.execute(sa.update(Product).where(Product.id == live).values(status="on_sale"))
    session.commit()  # on sale: change requests apply to it
    team = make("team", {"code": "wealth_1", "name_zh": "财富一组", "name_en": "Wealth 1"})
    employee = make(
        "employee",
        {
            "name": "张三",
            "team_id": str(team),
            "position": "顾问",
            "hire_date": "2024-03-01",
            "status": "active",
            "salary": "25000",
        },
    )
    return {
        "partner": [partner],
        "product": [product, live],
        "team": [team],
        "employee": [employee],
    }


# --- (a) the engine -------------------------------------------------------------------------
@pytest.mark.parametrize("key", RESOURCES_FUZZED)
def test_create_saves_cleanly_or_refuses_with_known_keys_and_writes_nothing(
    session: Session, world: dict[str, list[int]], key: str
) -> None:
    resource = get(key)
    assert resource is not None
    outcomes: set[str] = set()

    @FUZZ
    @given(values=_values(resource, world))
    def check(values: dict[str, Any]) -> None:
        before = _counts(session)
        result = service.create(session, principal=EVERYTHING, resource=resource, values=values)
        if result.ok:
            record = session.get(resource.model, result.record_id)
            assert record is not None and record.id != INJECTED_KEYS["id"]
            assert getattr(record, "version", 1) == 1
            assert getattr(record, "archived_at", None) is None
            after = _counts(session)
            assert after[resource.model.__tablename__] == before[resource.model.__tablename__] + 1
            assert after["audit_entry"] > before["audit_entry"]
            session.commit()
            outcomes.add("saved")
            return
        outcomes.add("refused")
        assert result.errors or result.message
        assert all(_known(k) for k in [*result.errors.values(), result.message] if k), result
        assert set(result.errors) <= {f.name for f in resource.fields} | {""}
        assert _counts(session) == before, "a refused create changed the database"
        session.rollback()

    check()
    assert outcomes == {"saved", "refused"}, f"only {outcomes}: the fuzz missed a path"


UPDATED = {
    "partner": "partner",
    "product": "product",
    "employee": "employee",
}


@pytest.mark.parametrize("key", UPDATED)
def test_update_saves_cleanly_or_refuses_and_changes_nothing(
    session: Session, world: dict[str, list[int]], key: str
) -> None:
    resource = get(key)
    assert resource is not None
    record_id = world[key][0]
    schema = service.schema_of(session, resource)
    outcomes: set[str] = set()

    @FUZZ
    @given(values=_values(resource, world))
    def check(values: dict[str, Any]) -> None:
        session.expire_all()
        record = session.get(resource.model, record_id)
        version = record.version
        stored = service.record_values(session, schema, record)
        before = _counts(session)
        result = service.update(
            session,
            principal=EVERYTHING,
            resource=resource,
            record_id=record_id,
            version=version,
            values=values,
        )
        session.expire_all()
        record = session.get(resource.model, record_id)
        if result.ok:
            assert record.version in (version, version + 1)
            assert record.id == record_id
            session.commit()
            outcomes.add("saved")
            return
        outcomes.add("refused")
        assert all(_known(k) for k in [*result.errors.values(), result.message] if k), result
        assert record.version == version
        assert service.record_values(session, schema, record) == stored
        assert _counts(session) == before, "a refused edit changed the database"
        session.rollback()

    check()
    assert outcomes == {"saved", "refused"}, f"only {outcomes}: the fuzz missed a path"


LISTED = ("partner", "product", "transaction", "employee", "ticket", "kyc_case", "milestone")


@pytest.mark.parametrize("key", LISTED)
def test_list_parameters_are_whitelisted_and_never_crash_the_query(
    session: Session, world: dict[str, list[int]], key: str
) -> None:
    resource = get(key)
    assert resource is not None
    schema = service.schema_of(session, resource)
    declared = sorted(service.filter_keys(schema))
    keys = st.sampled_from(
        [
            *declared,
            *("q", "sort", "page", "size", "archived", "queue", "cols", "id", "version"),
            *("kind; DROP TABLE x", "name' OR '1'='1", "__class__", "amount__gte", "x__min"),
        ]
    )
    sorts = st.sampled_from(
        [
            *sorted(service.sortable(resource)),
            "-id",
            "salary",
            "version); DROP TABLE partner; --",
            "-",
            "--id",
            "id desc",
            "archived_at",
        ]
    )
    params = st.dictionaries(keys, st.one_of(nasty.map(str), sorts), max_size=6)

    @FUZZ
    @given(params=params)
    def check(params: dict[str, str]) -> None:
        query = service.parse_query(schema, params)
        assert set(query.filters) <= set(declared)
        assert query.sort == "" or query.sort.lstrip("-") in service.sortable(resource)
        assert 1 <= query.page <= service.MAX_PAGE and query.page_size in PAGE_SIZES
        page = service.list_page(
            session, principal=EVERYTHING, resource=resource, query=query, lang="en"
        )
        assert set(page.errors) <= {k.partition("__")[0] for k in declared}
        assert len(page.rows) <= query.page_size
        service.parse_columns(schema, params.get("cols", ""))
        session.rollback()

    check()


KIND_SPECS = [
    FieldSpec("t", max_length=20, required=True),
    FieldSpec("i", kind="int", min_value=0),
    FieldSpec("m", kind="money"),
    FieldSpec("p", kind="percent", min_value=Decimal(0), max_value=Decimal(100)),
    FieldSpec("d", kind="decimal"),
    FieldSpec("dt", kind="date"),
    FieldSpec("ts", kind="datetime"),
    FieldSpec("b", kind="bool"),
    FieldSpec("c", kind="choice", choices=("a", "b")),
    FieldSpec("mc", kind="multi_choice", choices=("a", "b")),
    FieldSpec("r", kind="ref", ref="partner"),
]


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(spec=st.sampled_from(KIND_SPECS), raw=nasty)
def test_parsing_any_value_gives_a_value_or_a_known_error(spec: FieldSpec, raw: Any) -> None:
    try:
        value = fieldlib.parse(spec, raw)
    except FieldError as error:
        assert _known(error.key), error.key
        return
    if spec.kind in ("money", "percent", "decimal") and value is not None:
        assert value.is_finite() and value.adjusted() < fieldlib.MAX_DIGITS
        assert spec.kind != "money" or abs(value) <= fieldlib.MAX_MONEY
    if spec.kind in ("text", "longtext"):
        assert "\x00" not in value and value.encode("utf-8")  # storable on every database
    fieldlib.to_text(value)


# --- (b) imports ----------------------------------------------------------------------------
HEADER = ["机构名称", "类型", "牌照/注册号", "状态", "Commission rate", "Notes"]
PARTNER = get("partner")
cell = st.one_of(
    st.sampled_from(["甲基金", "基金公司", "fund_company", "L1", "合作中", "active", "0.5", ""]),
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=20),
)


def _xlsx_text(text: str) -> str:
    """What a spreadsheet can hold: no control characters, no lone surrogates."""
    return ILLEGAL_CHARACTERS_RE.sub("", text).encode("utf-8", "ignore").decode("utf-8")


@st.composite
def partner_files(draw: st.DrawFn) -> tuple[bytes, str]:
    """A CSV or XLSX with some of the expected columns (any order, extra ones), any cells."""
    columns = draw(st.lists(st.sampled_from([*HEADER, "extra", "", "类型"]), max_size=8))
    rows = draw(
        st.lists(st.lists(cell, min_size=0, max_size=len(columns) + 2), min_size=0, max_size=6)
    )
    if draw(st.booleans()):  # duplicate the first row: a second record with the same key
        rows += rows[:1]
    if draw(st.booleans()):
        book = Workbook()
        sheet = book.active
        for line in [columns, *rows]:
            sheet.append([_xlsx_text(c) for c in line])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), "p.xlsx"
    text = io.StringIO()
    csv.writer(text).writerows([columns, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]))
    data = text.getvalue().encode(encoding, errors="replace")
    return data, "p.csv"


files = st.one_of(
    partner_files(),
    st.tuples(st.binary(max_size=300), st.sampled_from(["p.csv", "p.xlsx", "p.txt"])),
    st.tuples(
        st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b), st.just("p.xlsx")
    ),  # a zip that is not a workbook
    st.tuples(st.binary(max_size=200).map(lambda b: b"\xef\xbb\xbf" + b), st.just("p.csv")),
)


def test_imports_never_crash_report_each_row_and_write_all_or_nothing(
    session: Session, world: dict[str, list[int]]
) -> None:
    @FUZZ
    @given(upload=files)
    def check(upload: tuple[bytes, str]) -> None:
        data, name = upload
        try:
            file = transfer.read_table(data, name)
        except service.EngineError as error:
            assert _known(error.key), error.key
            return
        schema = service.schema_of(session, PARTNER)
        fields = transfer.importable_fields(schema, EVERYTHING)
        mapping = transfer.suggest_mapping(fields, file.columns)
        before = _counts(session)
        try:
            checked = transfer.run_import(
                session,
                principal=EVERYTHING,
                resource=PARTNER,
                file=file,
                mapping=mapping,
                lang="zh",
                commit=False,
            )
        except service.EngineError as error:  # e.g. two columns mapped to one field
            assert error.key in ("import.mapping_duplicate", "import.mapping_invalid")
            return
        assert _counts(session) == before, "checking a file wrote something"
        assert all(2 <= e.row <= len(file.rows) + 1 and e.message for e in checked.errors)
        imported = transfer.run_import(
            session,
            principal=EVERYTHING,
            resource=PARTNER,
            file=file,
            mapping=mapping,
            lang="zh",
            commit=True,
        )
        if checked.errors:
            assert imported.errors, "a file that failed the check was imported"
        if imported.ok:
            after = _counts(session)
            assert imported.created == len(file.rows)
            assert after["partner"] == before["partner"] + len(file.rows)
            session.commit()
            return
        assert imported.errors and all(e.message for e in imported.errors)
        transfer.error_report(imported, "en")
        session.rollback()  # what the page's unit of work does with a failed import
        assert _counts(session) == before, "a failed import left rows behind"

    check()


def test_exported_text_never_becomes_a_formula_in_a_spreadsheet(session: Session) -> None:
    """Text that looks like a formula is imported as text and exported as text: a spreadsheet
    opened later shows it, never evaluates it."""
    formulas = [
        '=HYPERLINK("http://evil.example","click")',
        "+SUM(1,2)",
        "@cmd",
        "=1+1",
        "bell\x07 and escape\x1b",  # storable, but not in an XLSX file as such
    ]
    for index, text in enumerate(formulas):
        result = service.create(
            session,
            principal=EVERYTHING,
            resource=PARTNER,
            values={
                "name": text,
                "kind": "bank",
                "licence_no": f"L{index}",
                "status": "active",
                "notes": text,
            },
        )
        assert result.ok, result
    session.commit()
    content, _, _ = transfer.export_view(
        session,
        principal=EVERYTHING,
        resource=PARTNER,
        query=service.ListQuery(),
        lang="en",
        fmt="xlsx",
    )
    sheet = load_workbook(io.BytesIO(content)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.value for c in cells if c.data_type == "f"], "a formula reached the export"
    names = {c.value for c in cells}
    assert set(formulas[:-1]) <= names and "bell and escape" in names
    csv_content, _, _ = transfer.export_view(
        session,
        principal=EVERYTHING,
        resource=PARTNER,
        query=service.ListQuery(),
        lang="en",
        fmt="csv",
    )
    lines = list(csv.reader(io.StringIO(csv_content.decode("utf-8-sig"))))
    for line in lines[1:]:
        assert not any(c[:1] in ("=", "+", "@") for c in line), line
    names_in_db = set(session.exec(select(Partner.name)).all())
    assert set(formulas) <= names_in_db  # stored exactly as typed


# --- (c) services with free text and ids ----------------------------------------------------
@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(start=nasty.map(str), end=nasty.map(str))
def test_kpi_periods_parse_or_refuse_with_a_known_key(start: str, end: str) -> None:
    try:
        period = kpi.parse_period(start, end)
    except kpi.KpiError as error:
        assert _known(error.key), error.key
        return
    assert period.start <= period.end <= kpi.local_today()


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(
    quarter=st.one_of(
        nasty,
        st.from_regex(r"\A[0-9]{4}-Q[0-9]\Z"),
        st.sampled_from(["0000-Q1", "9999-Q4", "2026-Q4\n", "٢٠٢٦-Q1", "2026-q1", "2026-Q0"]),
    )
)
def test_hr_quarters_parse_or_refuse_with_a_known_key(quarter: Any) -> None:
    try:
        start, end = hr.quarter_bounds(quarter)
    except hr.HrError as error:
        assert _known(error.key), error.key
        return
    assert start <= end and hr.quarter_of(start) == hr.quarter_of(end) == quarter


def test_ticket_posts_and_reveal_reasons_refuse_bad_text_and_change_nothing(
    session: Session, desk_setup: dict[str, Any]
) -> None:
    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    ticket_id = open_ticket(session, lead, customer).id

    @FUZZ
    @given(
        kind=st.one_of(st.sampled_from(["reply", "note", "customer"]), nasty),
        body=nasty,
        ticket=st.one_of(st.just(ticket_id), st.sampled_from([0, -1, 2**63, "1", None])),
    )
    def post(kind: Any, body: Any, ticket: Any) -> None:
        before = _counts(session)
        try:
            tickets.post(session, lead, ticket, kind, body)
        except tickets.TicketError as error:
            assert _known(error.key), error.key
            assert _counts(session) == before
            session.rollback()
            return
        session.commit()

    post()

    @FUZZ
    @given(
        field=st.one_of(st.sampled_from(sorted(kyc.REVEALABLE)), nasty),
        reason=nasty,
        customer=st.one_of(
            st.just(customer.id), st.sampled_from([0, -1, 2**63, "1", None, 1.5]), st.integers()
        ),
    )
    def reveal(field: Any, reason: Any, customer: Any) -> None:
        before = _counts(session)
        try:
            kyc.reveal(
                session, principal=EVERYTHING, customer_id=customer, field=field, reason=reason
            )
        except kyc.KycError as error:
            assert _known(error.key), error.key
            assert _counts(session) == before
            session.rollback()
            return
        assert _counts(session)["audit_entry"] == before["audit_entry"] + 1
        session.commit()

    reveal()


# --- regressions: each input below crashed before its fix -----------------------------------
@pytest.mark.parametrize(
    ("spec", "raw", "key"),
    [
        # Decimal.quantize raised InvalidOperation; an exponent is no number staff type
        (KIND_SPECS[2], "1e30", "field.not_a_number"),
        (KIND_SPECS[3], 1e308, "field.not_a_number"),  # a JSON float, same
        (KIND_SPECS[2], "9" * 30, "field.too_large"),
        (KIND_SPECS[1], "9" * 5000, "field.not_an_integer"),  # int() refuses > 4300 digits
        (KIND_SPECS[1], str(2**64), "field.too_large"),  # no database column holds it
        (KIND_SPECS[10], str(2**63), "field.not_found"),
        (KIND_SPECS[6], "0001-01-01T00:00", "field.not_a_date"),  # astimezone overflowed
        (KIND_SPECS[6], "9999-12-31T23:59-05:00", "field.not_a_date"),
        (KIND_SPECS[0], "a\x00b", "field.invalid"),  # PostgreSQL refuses NUL in text
        (KIND_SPECS[0], "x\ud800", "field.invalid"),  # not encodable: every driver failed
    ],
)
def test_values_that_used_to_crash_parsing_are_refused(spec: FieldSpec, raw: Any, key: str) -> None:
    with pytest.raises(FieldError) as refused:
        fieldlib.parse(spec, raw)
    assert refused.value.key == key


def test_linked_ids_in_other_scripts_digits_are_refused() -> None:
    spec = get("campaign").field("product_ids")
    assert spec is not None
    with pytest.raises(FieldError) as refused:
        fieldlib.parse(spec, "1,²")  # str.isdigit() said yes, int() then raised
    assert refused.value.key == "field.not_found"


def test_values_wider_than_their_column_are_refused_on_every_database(session: Session) -> None:
    """A risk threshold is NUMERIC(18,4): at most 14 digits before the point. PostgreSQL and
    MariaDB used to raise on a wider one at the save, SQLite to keep it."""
    indicator = get("risk_indicator")
    _clean, errors = service.validate(
        session,
        principal=EVERYTHING,
        resource=indicator,
        values={"warning_threshold": "100000000000000", "breach_threshold": "99999999999999"},
        creating=False,
    )
    assert errors == {"warning_threshold": "field.too_large"}
    spec = indicator.field("breach_threshold")
    assert service.column_problem(indicator, spec, Decimal("-1e14")) == "field.too_large"
    assert service.column_problem(indicator, spec, Decimal("-99999999999999.9999")) is None


def test_a_search_with_characters_no_database_takes_finds_nothing_odd(
    session: Session, world: dict[str, list[int]]
) -> None:
    schema = service.schema_of(session, PARTNER)
    for text in ("\ud800", "a\x00", "%%", "\\_"):
        query = service.parse_query(schema, {"q": text})
        page = service.list_page(session, principal=EVERYTHING, resource=PARTNER, query=query)
        assert "\x00" not in query.search and page.total <= 1


@pytest.mark.parametrize("quarter", ["0000-Q1", "9999-Q4", "٢٠٢٦-Q1", "2026-Q4\n", None])
def test_quarters_without_dates_are_refused(quarter: Any) -> None:
    with pytest.raises(hr.HrError):
        hr.quarter_bounds(quarter)


def test_ticket_posts_with_odd_bodies_and_ids_are_refused(
    session: Session, desk_setup: dict[str, Any]
) -> None:
    lead = desk_setup["cs.lead"]
    ticket_id = open_ticket(session, lead, desk_setup["customer"]).id
    for ticket, body, key in (
        (ticket_id, True, "field.invalid"),
        (ticket_id, ["hi"], "field.invalid"),
        (ticket_id, "hi\x00", "field.invalid"),
        (2**63, "hi", "error.not_found"),
        (str(ticket_id), "hi", "error.not_found"),
    ):
        with pytest.raises(tickets.TicketError) as refused:
            tickets.post(session, lead, ticket, "note", body)
        assert refused.value.key == key


def test_a_reveal_needs_a_real_field_reason_and_customer_id(
    session: Session, desk_setup: dict[str, Any]
) -> None:
    customer = desk_setup["customer"]
    field = sorted(kyc.REVEALABLE)[0]
    for kwargs, key in (
        ({"field": ["id_number"], "reason": "checking the card"}, "kyc.not_revealable"),
        ({"field": field, "reason": ["checking", "card"]}, "kyc.reveal_reason"),
        ({"field": field, "reason": "check\x00ing"}, "kyc.reveal_reason"),
    ):
        with pytest.raises(kyc.KycError) as refused:
            kyc.reveal(session, principal=EVERYTHING, customer_id=customer.id, **kwargs)
        assert refused.value.key == key
    for customer_id in (True, 2**63, str(customer.id)):  # True used to reveal customer 1
        with pytest.raises(kyc.KycError, match=r"error\.not_found"):
            kyc.reveal(
                session,
                principal=EVERYTHING,
                customer_id=customer_id,
                field=field,
                reason="checking the card",
            )


def test_the_headcount_page_ignores_a_quarter_without_dates(session: Session) -> None:
    """``pick_quarter("0000-Q1")`` passed the page's pattern and then crashed the handler."""
    from reflex.istate.data import RouterData
    from reflex.state import State

    from state.auth import carry_cookie
    from state.hr import HrOverviewState
    from tests.factories import make_user, run, sign_in

    user, _ = make_user(session, "hr.fuzz", ["hr"])
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {"headers": {"origin": "http://localhost:3000"}, "asPath": "/hr", "pathname": "/hr"}
    )
    carry_cookie(root, sign_in(session, user))
    page = root.get_substate(HrOverviewState.get_full_name().split(".")[1:])
    pick = HrOverviewState.event_handlers["pick_quarter"].fn
    run(pick(page, "2026-Q1"))
    assert page.quarter == "2026-Q1"
    for quarter in ("0000-Q1", "9999-Q4", ["2026-Q2"], "2026-Q5"):
        run(pick(page, quarter))
        assert page.quarter == "2026-Q1"
