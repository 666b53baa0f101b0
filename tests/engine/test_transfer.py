"""Export of a filtered view and all-or-nothing import, on every database."""

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.engine import service, transfer
from backoffice.engine.resource import get
from backoffice.security import auth
from models.audit import AuditEntry
from models.partners import Partner
from tests.factories import make_user, run, sign_in

PARTNER = get("partner")
HEADER = ["机构名称", "类型", "牌照/注册号", "状态", "Commission rate"]


@pytest.fixture
def pm(session):
    user, _ = make_user(session, "pm.x", ["product_manager"])
    return auth.resolve(session, sign_in(session, user))


def _csv(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _import(session, pm, data, name="p.csv", commit=False):
    file = transfer.read_table(data, name)
    schema = service.schema_of(session, PARTNER)
    mapping = transfer.suggest_mapping(transfer.importable_fields(schema, pm), file.columns)
    return transfer.run_import(
        session,
        principal=pm,
        resource=PARTNER,
        file=file,
        mapping=mapping,
        lang="zh",
        commit=commit,
    )


def test_mapping_is_suggested_from_names_and_labels_in_either_language(session, pm):
    file = (
        transfer.read_table(_csv([]) + b"\n", "p.csv")
        if False
        else transfer.ImportFile(columns=[*HEADER, "备注?"], rows=[])
    )
    schema = service.schema_of(session, PARTNER)
    mapping = transfer.suggest_mapping(transfer.importable_fields(schema, pm), file.columns)
    assert mapping == ["name", "kind", "licence_no", "status", "commission_rate", ""]


def test_a_file_with_one_bad_row_imports_nothing_and_reports_each_problem(session, pm):
    data = _csv(
        [
            ["甲基金", "基金公司", "L1", "合作中", "0.5"],
            ["乙银行", "casino", "L2", "active", "0.123456"],
            ["丙保险", "Insurer", "L3", "Active", "1"],
        ]
    )
    check = _import(session, pm, data)
    assert [(e.row, e.field) for e in check.errors] == [(3, "类型"), (3, "佣金率")]
    assert check.errors[0].value == "casino"
    committed = _import(session, pm, data, commit=True)
    assert not committed.ok
    session.rollback()
    assert session.exec(select(Partner)).all() == []
    report = transfer.error_report(check, "zh").decode("utf-8-sig")
    assert "行号" in report and "请从列表中选择" in report


def test_a_clean_file_imports_every_row_with_labels_in_either_language(session, pm):
    data = _csv(
        [["甲基金", "基金公司", "L1", "合作中", "0.5"], ["丙保险", "Insurer", "L3", "Active", "1"]],
        encoding="gb18030",
    )
    check = _import(session, pm, data, commit=True)
    session.commit()
    assert check.ok and check.created == 2
    kinds = {p.name: p.kind for p in session.exec(select(Partner)).all()}
    assert kinds == {"甲基金": "fund_company", "丙保险": "insurer"}
    actions = session.exec(select(AuditEntry.action)).all()
    assert actions.count("partner.create") == 2 and "partner.import" in actions


def test_duplicates_inside_the_file_import_nothing(session, pm):
    data = _csv(
        [
            ["甲基金", "基金公司", "L1", "合作中", "0.5"],
            ["甲基金", "基金公司", "L2", "合作中", "0.5"],
        ]
    )
    check = _import(session, pm, data, commit=True)
    assert not check.ok and check.errors[0].row == 3
    session.rollback()
    assert session.exec(select(Partner)).all() == []


def test_xlsx_import_and_unreadable_files(session, pm):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["甲基金", "基金公司", "L1", "合作中", 0.5])
    out = io.BytesIO()
    book.save(out)
    assert _import(session, pm, out.getvalue(), "p.xlsx", commit=True).created == 1
    with pytest.raises(service.EngineError, match=r"import\.unreadable"):
        transfer.read_table(b"PK\x03\x04garbage", "p.xlsx")
    with pytest.raises(service.EngineError, match=r"import\.format"):
        transfer.read_table(b"x", "p.pdf")


def test_mapping_to_a_forbidden_or_duplicate_field_is_refused(session, pm):
    file = transfer.ImportFile(columns=["a", "b"], rows=[["1", "2"]])
    for mapping in (["name", "version"], ["name", "name"]):
        with pytest.raises(service.EngineError):
            transfer.run_import(
                session,
                principal=pm,
                resource=PARTNER,
                file=file,
                mapping=mapping,
                lang="zh",
                commit=False,
            )


def test_export_follows_the_view_and_is_audited(session, pm):
    _import(
        session,
        pm,
        _csv(
            [
                ["甲基金", "基金公司", "L1", "合作中", "0.5"],
                ["乙银行", "银行", "L2", "合作中", "1.25"],
            ]
        ),
        commit=True,
    )
    session.commit()
    schema = service.schema_of(session, PARTNER)
    query = service.parse_query(schema, {"kind": "bank"})
    content, name, count = transfer.export_view(
        session, principal=pm, resource=PARTNER, query=query, lang="en", fmt="csv"
    )
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert count == 1 and name.startswith("partner-") and name.endswith(".csv")
    assert lines[0][:3] == ["ID", "Name", "Kind"]
    assert lines[1][1:3] == ["乙银行", "Bank"] and "1.2500" in lines[1]
    xlsx, _, _ = transfer.export_view(
        session, principal=pm, resource=PARTNER, query=service.ListQuery(), lang="zh", fmt="xlsx"
    )
    rows = list(load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][1] == "机构名称"
    exports = session.exec(select(AuditEntry).where(AuditEntry.action == "partner.export")).all()
    assert len(exports) == 2 and '"kind": "bank"' in exports[0].changes


def test_export_needs_the_export_permission(session):
    user, _ = make_user(session, "mkt.x", ["marketing"])
    marketing = auth.resolve(session, sign_in(session, user))
    with pytest.raises(service.EngineError):
        transfer.export_view(
            session,
            principal=marketing,
            resource=PARTNER,
            query=service.ListQuery(),
            lang="zh",
            fmt="csv",
        )


def _xlsx_of_one_cell_rows(count: int) -> bytes:
    """A minimal workbook of ``count`` one-cell rows, written as XML directly (seconds faster
    than openpyxl for a million rows); it states its size up front, as Excel does."""
    import zipfile

    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>x</t></is></c></row>'
        for n in range(1, count + 1)
    )
    ns = "http://schemas.openxmlformats.org"
    rels = f"{ns}/package/2006/relationships"
    office = f"{ns}/officeDocument/2006/relationships"
    main = f"{ns}/spreadsheetml/2006/main"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{kind}.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{rels}"><Relationship Id="rId1" '
            f'Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{office}">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{rels}"><Relationship Id="rId1" '
            f'Type="{office}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{main}"><dimension ref="A1:A{count}"/>'
            f"<sheetData>{rows}</sheetData></worksheet>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def test_a_million_row_file_is_refused_after_reading_just_past_the_limit(monkeypatch):
    data = _xlsx_of_one_cell_rows(1_000_000)
    assert len(data) < transfer.MAX_FILE_BYTES  # refused for its rows, not its size
    read = 0
    rows_of = transfer._xlsx_rows

    def counted(data: bytes, limit: int):
        nonlocal read
        for row in rows_of(data, limit):
            read += 1
            yield row

    monkeypatch.setattr(transfer, "_xlsx_rows", counted)
    with pytest.raises(service.EngineError) as refused:
        transfer.read_table(data, "big.xlsx", limit=1000)
    assert refused.value.key == "import.too_many_rows"
    assert read == 1002  # the header, the limit, and the one row past it: no more


def test_a_csv_past_the_limit_stops_being_read_there(monkeypatch):
    data = ("name\n" + "x\n" * 100_000).encode()
    read = 0
    rows_of = transfer._csv_rows

    def counted(data: bytes, limit: int):
        nonlocal read
        for row in rows_of(data, limit):
            read += 1
            yield row

    monkeypatch.setattr(transfer, "_csv_rows", counted)
    with pytest.raises(service.EngineError) as refused:
        transfer.read_table(data, "big.csv", limit=10)
    assert refused.value.key == "import.too_many_rows"
    assert read == 12
    # blank rows count towards a bound of their own
    read = 0
    with pytest.raises(service.EngineError):
        transfer.read_table(("name\n" + ",\n" * 100_000).encode(), "blank.csv", limit=10)
    assert read <= transfer.BLANK_ROWS_FACTOR * 11 + 1


def test_other_events_are_answered_while_a_million_row_import_is_checked():
    import asyncio
    import time

    from backoffice.platform import offload

    data = _xlsx_of_one_cell_rows(1_000_000)

    async def scenario() -> tuple[int, float, float]:
        ticks, longest = 0, 0.0
        done = asyncio.Event()

        async def another_user() -> None:
            nonlocal ticks, longest
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                ticks, longest = ticks + 1, max(longest, now - last)
                last = now

        ticker = asyncio.create_task(another_user())
        started = time.perf_counter()
        with pytest.raises(service.EngineError) as refused:
            await offload.run(transfer.read_table, data, "big.xlsx")
        elapsed = time.perf_counter() - started
        done.set()
        await ticker
        assert refused.value.key == "import.too_many_rows"
        return ticks, longest, elapsed

    ticks, longest, elapsed = run(scenario())
    assert elapsed < 10  # stopped at the limit: a twentieth of the file
    assert ticks >= 5  # called on the loop, the check would let it tick not once
    assert longest < 2  # the loop was never held for long (2 shared cores: generous)


def test_a_workbook_that_unpacks_to_gigabytes_is_refused_unparsed(monkeypatch):
    import zipfile

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (transfer.MAX_XLSX_UNPACKED_BYTES + 1))
    assert len(packed.getvalue()) < transfer.MAX_FILE_BYTES
    monkeypatch.setattr(transfer, "load_workbook", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(service.EngineError) as refused:
        transfer.read_table(packed.getvalue(), "bomb.xlsx")
    assert refused.value.key == "import.too_large"


def test_the_import_page_answers_other_events_while_it_refuses_a_million_rows(session):
    """The upload handler itself: another coroutine on the worker's loop keeps ticking while
    the file is read, and the file is refused for its rows."""
    import asyncio
    import time

    from state.resource import ResourceImportState
    from tests.factories import make_user, run, state_for

    user, _ = make_user(session, "pm.upload", ["product_manager"])
    state = state_for(session, user, ResourceImportState)
    state.resource_key = "partner"
    data = _xlsx_of_one_cell_rows(1_000_000)

    class Upload:
        name, size = "big.xlsx", len(data)

        async def read(self) -> bytes:
            return data

    upload = ResourceImportState.event_handlers["upload"].fn

    async def scenario() -> tuple[int, float]:
        ticks, longest, done = 0, 0.0, asyncio.Event()

        async def another_user() -> None:
            nonlocal ticks, longest
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                ticks, longest = ticks + 1, max(longest, now - last)
                last = now

        ticker = asyncio.create_task(another_user())
        await upload(state, [Upload()])
        done.set()
        await ticker
        return ticks, longest

    ticks, longest = run(scenario())
    assert "50,000" in state.message or "50000" in state.message, state.message
    assert ticks >= 5 and longest < 2  # on the loop: not one tick


def test_a_sheet_that_does_not_state_its_size_is_counted_before_openpyxl_reads_it(monkeypatch):
    """openpyxl would parse every row of such a sheet to learn its size before the first one."""
    stated = _xlsx_of_one_cell_rows(300_000)
    unstated = _without_dimension(stated)
    monkeypatch.setattr(transfer, "load_workbook", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(service.EngineError) as refused:
        transfer.read_table(unstated, "big.xlsx", limit=1000)
    assert refused.value.key == "import.too_many_rows"
    assert refused.value.params == {"limit": 1000}


def _without_dimension(data: bytes) -> bytes:
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename.endswith("sheet1.xml"):
                content = re.sub(rb"<dimension[^>]*/>", b"", content)
                assert b"<dimension" not in content
            target.writestr(member.filename, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()
