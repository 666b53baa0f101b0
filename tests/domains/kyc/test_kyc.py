"""KYC case work: queues, claiming, maker ≠ checker for risky cases, screening and its
dispositions, reveal-for-a-reason, SLA escalation, periodic re-KYC and the evidence pack."""

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.domains.kyc import rules as kyc
from backoffice.domains.kyc import screening
from backoffice.domains.questionnaire import rules as questionnaire
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.platform.business_time import local_today
from models.audit import AuditEntry
from models.base import utcnow
from models.identity import User
from models.kyc import KycCase, ScreeningHit, WatchlistEntry
from models.notifications import Notification
from tests.factories import (
    CUSTOMER_ID_NUMBER,
    assert_refused_as_stale,
    make_customer,
    make_principal,
    make_questionnaire,
    make_user,
    open_kyc_case,
    rename,
    take,
)

CASE = get("kyc_case")
ID_NUMBER = CUSTOMER_ID_NUMBER  # the default customer's


def _score(session, officer, case, first=2, second=1):
    """Answer the active questionnaire (made on first use); returns (total, tolerance)."""
    version = questionnaire.active(session) or make_questionnaire(session)
    ids = [q.id for q in questionnaire.questions_of(session, version.id)]
    session.refresh(case)
    result = questionnaire.score_case(session, officer, case, {ids[0]: first, ids[1]: second})
    session.commit()
    return result


def _take(session, principal, case, key):
    return take(session, principal, CASE, case, key)


def test_claim_release_and_hand_over_are_audited_and_exclusive(session, officers):
    a, b = officers
    case = open_kyc_case(session, a, make_customer(session))
    assert case.case_no.startswith("K") and case.due_at > utcnow()
    kyc.claim(session, a, case)
    session.commit()
    session.refresh(case)
    assert (case.assignee, case.status) == ("kyc.a", "in_review")
    with pytest.raises(kyc.KycError, match=r"kyc\.claimed_by_other"):
        kyc.claim(session, b, case)
    with pytest.raises(kyc.KycError, match=r"kyc\.not_an_officer"):
        kyc.reassign(session, a, case, "somebody")
    kyc.reassign(session, a, case, "kyc.b")
    session.commit()
    session.refresh(case)
    assert case.assignee == "kyc.b"
    with pytest.raises(kyc.KycError, match=r"kyc\.not_yours"):
        kyc.release(session, a, case)
    actions = session.exec(
        select(AuditEntry.action).where(AuditEntry.entity == "kyc_case").order_by(AuditEntry.id)
    ).all()
    assert actions[-2:] == ["kyc_case.claim", "kyc_case.reassign"]


def test_a_low_risk_case_is_approved_by_its_officer_alone(session, officers):
    a, b = officers
    customer = make_customer(session)
    case = open_kyc_case(session, a, customer)
    kyc.claim(session, a, case)
    session.commit()
    assert _take(session, a, case, "approve").message == "kyc.not_scored"
    assert _score(session, a, case) == (6, "C3")  # 4 points × 1 + 1 point × 2
    assert _take(session, b, case, "approve").message == "kyc.not_yours"
    assert _take(session, a, case, "propose").message == "kyc.no_second_needed"
    assert _take(session, a, case, "approve").ok
    session.refresh(customer)
    assert (customer.kyc_status, customer.risk_tolerance) == ("approved", "C3")
    assert customer.kyc_review_due.year == local_today().year + 3


def test_a_high_risk_case_waits_for_a_second_officer(session, officers):
    a, b = officers
    customer = make_customer(session)
    case = open_kyc_case(session, a, customer, risk="high")
    kyc.claim(session, a, case)
    session.commit()
    _score(session, a, case)
    assert _take(session, a, case, "approve").message == "kyc.needs_second"
    assert _take(session, a, case, "propose").ok
    assert case.status == "pending_second"
    assert _take(session, a, case, "confirm").message == "workflow.maker_checker"
    assert customer.kyc_status != "approved"
    assert _take(session, b, case, "confirm").ok
    session.refresh(customer)
    assert (case.status, customer.kyc_status) == ("approved", "approved")
    assert customer.kyc_review_due.year == local_today().year + 1


def test_screening_matches_characters_pinyin_birth_date_and_id_number(session, officers):
    a, _b = officers
    session.add_all(
        [
            WatchlistEntry(list_kind="pep", name="张伟", birth_date="1990-03-07"),
            WatchlistEntry(list_kind="sanctions", name="Zhang Wei", birth_date="1961-01-01"),
            WatchlistEntry(list_kind="internal_blacklist", name="李娜"),
            WatchlistEntry(
                list_kind="internal_blacklist",
                name="王某",
                id_number_hash=screening.id_hash(ID_NUMBER),
            ),
        ]
    )
    session.commit()
    case = open_kyc_case(session, a, make_customer(session))
    hits = session.exec(select(ScreeningHit).where(ScreeningHit.case_id == case.id)).all()
    entries = {session.get(WatchlistEntry, h.entry_id).name: h for h in hits}
    assert set(entries) == {"张伟", "王某"}  # the 1961 Zhang Wei differs in birth date
    assert entries["张伟"].matched_on == "name,birth_date" and entries["张伟"].score == 100
    assert entries["王某"].matched_on == "id_number"
    homophone = screening.compare(
        "张玮", date(1990, 3, 7), "", screening.load_lists(session)
    )  # another character, the same sound
    assert any(m.matched_on == ("name", "birth_date") for m in homophone)
    assert screening.rescreen_all(session).endswith("0 new hits")  # nothing repeated


def test_hits_need_a_reason_are_decided_once_and_gate_second_approval(session, officers):
    a, b = officers
    session.add(WatchlistEntry(list_kind="pep", name="张伟"))
    session.commit()
    case = open_kyc_case(session, a, make_customer(session))
    kyc.claim(session, a, case)
    session.commit()
    hit = session.exec(select(ScreeningHit)).one()
    _score(session, a, case)
    assert _take(session, a, case, "approve").message == "kyc.needs_second"
    assert (
        screening.dispose(session, hit_id=hit.id, status="false_positive", reason="", actor="kyc.a")
        == "screening.reason_required"
    )
    assert (
        screening.dispose(
            session,
            hit_id=hit.id,
            status="false_positive",
            reason="出生日期与证件不符，非同一人",
            actor="kyc.a",
        )
        is None
    )
    session.commit()
    assert (
        screening.dispose(
            session, hit_id=hit.id, status="true_match", reason="再次核对后确认", actor="kyc.b"
        )
        == "screening.already_disposed"
    )
    assert _take(session, a, case, "approve").ok
    del b


def test_personal_data_is_masked_and_revealed_only_with_a_reason(session, officers):
    a, _b = officers
    agent = make_principal(session, "cs.x", ["cs_agent"])
    customer = make_customer(session)
    masked = kyc.masked_identity(customer)
    assert masked["id_number"] == ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:]
    assert masked["phone"] == "138****5678" and masked["name"] == "张*"
    with pytest.raises(kyc.KycError, match=r"auth\.denied"):
        kyc.reveal(session, principal=agent, customer_id=customer.id, field="id_number", reason="x")
    with pytest.raises(kyc.KycError, match=r"kyc\.reveal_reason"):
        kyc.reveal(session, principal=a, customer_id=customer.id, field="id_number", reason=" ")
    value = kyc.reveal(
        session, principal=a, customer_id=customer.id, field="id_number", reason="核对证件照片"
    )
    session.commit()
    assert value == ID_NUMBER
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "customer.reveal")).one()
    assert entry.actor == "kyc.a" and "核对证件照片" in entry.changes
    assert ID_NUMBER not in entry.changes


def test_overdue_cases_escalate_once_and_compliance_is_told(session, officers):
    a, _b = officers
    case = open_kyc_case(session, a, make_customer(session))
    case.due_at = utcnow() - timedelta(minutes=1)
    session.add(case)
    session.commit()
    assert kyc.escalate_overdue(session) == "escalated 1"
    session.commit()
    assert kyc.escalate_overdue(session) == "escalated 0"
    session.refresh(case)
    assert case.status == "escalated" and case.escalated_at is not None
    note = session.exec(select(Notification)).one()
    assert note.role == "compliance" and case.case_no in note.title_zh


def test_the_sla_and_periodic_jobs_work_in_committed_batches(session, officers):
    """A backlog larger than one batch is worked through in one run, batch by batch."""
    a, _b = officers
    customers = [make_customer(session, id_number=f"11010519900307{n:03d}X") for n in range(5)]
    for customer in customers[:3]:
        case = open_kyc_case(session, a, customer)
        case.due_at = utcnow() - timedelta(minutes=1)
        session.add(case)
    for customer in customers:
        customer.kyc_review_due = local_today() - timedelta(days=1)
        session.add(customer)
    session.commit()
    assert kyc.escalate_overdue(session, batch=2) == "escalated 3"
    assert len(session.exec(select(Notification)).all()) == 3
    # the two customers without an open case get one; the three with one are left alone
    assert kyc.open_periodic_reviews(session, batch=2) == "opened 2 periodic reviews"
    assert kyc.open_periodic_reviews(session, batch=2) == "opened 0 periodic reviews"


def test_periodic_reviews_open_one_case_when_due(session, officers):
    customer = make_customer(session)
    customer.kyc_review_due = local_today() - timedelta(days=1)
    session.add(customer)
    session.commit()
    assert kyc.open_periodic_reviews(session) == "opened 1 periodic reviews"
    session.commit()
    assert kyc.open_periodic_reviews(session) == "opened 0 periodic reviews"
    case = session.exec(select(KycCase).where(KycCase.customer_id == customer.id)).one()
    assert case.kind == "periodic" and case.status == "new"


def test_the_evidence_pack_holds_the_case_hits_documents_and_trail_without_clear_ids(
    session, officers
):
    from backoffice.platform import attachments

    a, _b = officers
    session.add(WatchlistEntry(list_kind="pep", name="张伟"))
    session.commit()
    case = open_kyc_case(session, a, make_customer(session))
    kyc.claim(session, a, case)
    attachments.add(
        session,
        principal=a,
        resource=CASE,
        record_id=case.id,
        filename="身份证.png",
        data=b"\x89PNG\r\n\x1a\n" + b"0" * 64,
        category="id_front",
    )
    session.commit()
    _score(session, a, case)
    name, data = kyc.evidence_pack(session, principal=a, case=case)
    session.commit()
    assert name == f"evidence-{case.case_no}.zip"
    pack = zipfile.ZipFile(io.BytesIO(data))
    names = pack.namelist()
    assert {"case.pdf", "audit.csv", "screening.json"} <= set(names)
    assert any(n.startswith("documents/") and n.endswith("身份证.png") for n in names)
    trail = list(csv.reader(io.StringIO(pack.read("audit.csv").decode("utf-8-sig"))))
    assert {"kyc_case.claim", "kyc_case.score"} <= {row[3] for row in trail[1:]}
    assert json.loads(pack.read("screening.json"))[0]["entry"] == "张伟"
    assert all(ID_NUMBER.encode() not in pack.read(n) for n in names)
    assert session.exec(
        select(AuditEntry).where(AuditEntry.action == "kyc_case.evidence_pack")
    ).one()
    header, *rows = trail
    assert header[-3:] == ["key_id", "prev_hash", "hash"]
    for row in rows:  # each row carries the hash of the entry before it in the whole chain
        entry = session.get(AuditEntry, int(row[0]))
        assert (row[-2], row[-1]) == (entry.prev_hash, entry.hash)
    manifest = json.loads(pack.read("manifest.json"))
    assert manifest["checkpoint"]["entry_id"] >= int(rows[-1][0])


def test_a_cases_customer_is_fixed_once_the_case_exists(session, officers):
    a, _b = officers
    case = open_kyc_case(session, a, make_customer(session))
    other = make_customer(session, "李娜", "11010119850101" + "002" + "X")
    result = service.update(
        session,
        principal=a,
        resource=CASE,
        record_id=case.id,
        version=case.version,
        values={"customer_id": str(other.id), "aml_risk": "medium"},
    )
    assert result.errors == {"customer_id": "field.fixed"}
    session.rollback()
    session.refresh(case)
    assert case.aml_risk == "low"  # nothing of the refused edit was kept
    unchanged = service.update(
        session,
        principal=a,
        resource=CASE,
        record_id=case.id,
        version=case.version,
        values={"customer_id": str(case.customer_id), "aml_risk": "medium"},
    )
    assert unchanged.ok, unchanged.errors


def test_watch_list_id_numbers_are_validated_and_kept_only_as_a_hash(session, officers):
    a, _b = officers
    entries = get("watchlist_entry")
    bad = service.create(
        session,
        principal=a,
        resource=entries,
        values={"list_kind": "sanctions", "name": "王某", "id_number_hash": "110101199003071230"},
    )
    assert bad.errors == {"id_number_hash": "field.not_an_id_number"}  # wrong check character
    made = service.create(
        session,
        principal=a,
        resource=entries,
        values={"list_kind": "sanctions", "name": "王某", "id_number_hash": ID_NUMBER.lower()},
    )
    session.commit()
    assert made.ok, made.errors
    entry = session.get(WatchlistEntry, made.record_id)
    assert entry.id_number_hash == screening.id_hash(ID_NUMBER) and ID_NUMBER not in str(
        session.exec(select(AuditEntry.changes)).all()
    )
    kept = service.update(
        session,
        principal=a,
        resource=entries,
        record_id=entry.id,
        version=entry.version,
        values={"id_number_hash": "", "source": "OFAC"},
    )
    session.commit()
    session.refresh(entry)
    assert kept.ok and entry.id_number_hash == screening.id_hash(ID_NUMBER)  # blank keeps it
    case = open_kyc_case(session, a, make_customer(session, "张伟"))
    hit = session.exec(select(ScreeningHit).where(ScreeningHit.case_id == case.id)).one()
    assert (hit.entry_id, hit.matched_on) == (entry.id, "id_number")


def test_a_watch_list_imports_with_id_numbers_hashed(session, officers):
    from backoffice.engine import transfer

    a, _b = officers
    entries = get("watchlist_entry")
    file = transfer.read_table(
        (
            "名单类型,姓名,证件号码,来源\n"
            f"制裁名单,王某,{ID_NUMBER},OFAC\n"
            "政治公众人物,李某,,公开资料\n"
        ).encode(),
        "list.csv",
    )
    fields_ = transfer.importable_fields(service.schema_of(session, entries), a)
    mapping = transfer.suggest_mapping(fields_, file.columns)
    assert "id_number_hash" in mapping
    check = transfer.run_import(
        session, principal=a, resource=entries, file=file, mapping=mapping, lang="zh", commit=True
    )
    session.commit()
    assert (check.ok, check.created) == (True, 2), check.errors
    stored = session.exec(select(WatchlistEntry).order_by(WatchlistEntry.id)).all()
    assert [e.id_number_hash for e in stored] == [screening.id_hash(ID_NUMBER), ""]
    bad = transfer.read_table(
        f"名单类型,姓名,证件号码\n制裁名单,赵某,{ID_NUMBER[:-1]}0\n".encode(), "b.csv"
    )
    refused = transfer.run_import(
        session,
        principal=a,
        resource=entries,
        file=bad,
        mapping=mapping[:3],
        lang="zh",
        commit=True,
    )
    session.rollback()
    assert refused.errors and len(session.exec(select(WatchlistEntry)).all()) == 2


def _as_read(case: KycCase) -> KycCase:
    """The case as a caller read it: a copy that a later write by someone else leaves behind."""
    return KycCase(**case.model_dump())


def _case_row(session, case_id):
    session.expire_all()
    case = session.get(KycCase, case_id)
    audit_ids = session.exec(select(AuditEntry.id)).all()
    return case.model_dump(), audit_ids


def test_a_stale_claim_names_who_claimed_first_and_the_fields_by_label(session, officers):
    a, b = officers
    rename(session, "kyc.b", "周婷")
    case = open_kyc_case(session, a, make_customer(session))
    seen = _as_read(case)  # both officers opened the new case …
    kyc.claim(session, b, case)  # … and 周婷 claimed it first
    session.commit()
    before = _case_row(session, case.id)
    with pytest.raises(kyc.KycError) as refused:
        kyc.claim(session, a, seen)
    session.rollback()
    labels = [CASE.field(n) for n in ("assignee", "status")]
    assert_refused_as_stale(
        refused.value.key,
        refused.value.params,
        who="周婷",
        fields=[(s.label("zh"), s.label("en")) for s in labels],
    )
    assert _case_row(session, case.id) == before


def test_a_stale_score_names_who_changed_the_case_and_the_fields_by_label(session, officers):
    a, b = officers
    rename(session, "kyc.b", "周婷")
    case = open_kyc_case(session, a, make_customer(session))
    kyc.claim(session, a, case)
    session.commit()
    session.refresh(case)
    version = questionnaire.active(session) or make_questionnaire(session)
    ids = [q.id for q in questionnaire.questions_of(session, version.id)]
    seen = _as_read(case)  # kyc.a opened the questionnaire …
    noted = service.update(  # … and 周婷 wrote a note on the case meanwhile
        session,
        principal=b,
        resource=CASE,
        record_id=case.id,
        version=case.version,
        values={"decision_note": "客户资料已核对"},
    )
    assert noted.ok, (noted.errors, noted.message)
    session.commit()
    before = _case_row(session, case.id)
    with pytest.raises(questionnaire.QuestionnaireError) as refused:
        questionnaire.score_case(session, a, seen, {ids[0]: 2, ids[1]: 1})
    session.rollback()
    note = CASE.field("decision_note")
    assert_refused_as_stale(
        refused.value.key,
        refused.value.params,
        who="周婷",
        fields=[(note.label("zh"), note.label("en"))],
    )
    assert _case_row(session, case.id) == before


def test_who_opened_or_changed_a_case_gives_no_second_approval_and_an_edit_sends_it_back(
    session, officers
):
    a, b = officers
    opener, checker = (
        make_principal(session, "kyc.c", ["compliance"]),
        make_principal(session, "kyc.d", ["compliance"]),
    )
    case = open_kyc_case(session, opener, make_customer(session), risk="high")
    kyc.claim(session, a, case)
    session.commit()
    _score(session, a, case)
    assert _take(session, a, case, "propose").ok
    assert _take(session, opener, case, "confirm").message == "workflow.maker_checker"
    session.refresh(case)
    edited = service.update(
        session,
        principal=b,
        resource=CASE,
        record_id=case.id,
        version=case.version,
        values={"decision_note": "补充了资金来源说明"},
    )
    session.commit()
    session.refresh(case)
    assert edited.ok and edited.sent_back and case.status == "in_review"
    assert _take(session, a, case, "propose").ok
    for who in (a, b, opener):
        assert _take(session, who, case, "confirm").message == "workflow.maker_checker"
    assert _take(session, checker, case, "confirm").ok
    assert case.status == "approved"


def _evidence_pack(session, officers) -> bytes:
    a, _b = officers
    case = open_kyc_case(session, a, make_customer(session))
    kyc.claim(session, a, case)
    session.commit()
    _score(session, a, case)
    _name, data = kyc.evidence_pack(session, principal=a, case=case)
    session.commit()
    return data


def _rewrite(data: bytes, name: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.namelist():
            content = source.read(item)
            target.writestr(item, change(content) if item == name else content)
    return out.getvalue()


def test_verify_pack_accepts_a_pack_as_made_and_rejects_an_edited_one(
    session, officers, tmp_path, capsys
):
    from backoffice import cli
    from backoffice.domains.audit import anchor as audit_anchor

    data = _evidence_pack(session, officers)
    good = tmp_path / "pack.zip"
    good.write_bytes(data)
    public = audit_anchor.public_key()
    assert cli.main(["verify-pack", str(good), "--public-key", public]) == 0
    out = capsys.readouterr().out
    assert "pack intact" in out and "under signed checkpoint 1" in out

    # an audit row edited in the pack (who claimed the case)
    edited = tmp_path / "edited.zip"
    edited.write_bytes(_rewrite(data, "audit.csv", lambda c: c.replace(b"kyc.a", b"kyc.z")))
    assert cli.main(["verify-pack", str(edited)]) == 1
    out = capsys.readouterr().out
    assert "pack REJECTED" in out and "audit.csv was changed after the pack was signed" in out

    # the edit hidden by a manifest re-signed with another key, and the rows re-hashed
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forger = Ed25519PrivateKey.generate()

    def forge(content: bytes) -> bytes:
        manifest = json.loads(content)
        manifest.pop("sig")
        csv_bytes = zipfile.ZipFile(io.BytesIO(data)).read("audit.csv")
        manifest["files"]["audit.csv"] = hashlib.sha256(
            csv_bytes.replace(b"kyc.a", b"kyc.z")
        ).hexdigest()
        manifest["signer"] = audit_anchor._b64(forger.public_key().public_bytes_raw())
        body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
        return json.dumps({**manifest, "sig": audit_anchor._b64(forger.sign(body))}).encode()

    forged = _rewrite(
        _rewrite(data, "audit.csv", lambda c: c.replace(b"kyc.a", b"kyc.z")),
        "manifest.json",
        forge,
    )
    report = audit_anchor.verify_pack(forged, public=public)
    assert "the manifest is signed by another key than the one given" in report.problems
    assert "the checkpoint is signed by another key than the manifest" in report.problems
    assert any("its content does not match its hash" in p for p in report.problems)


def test_no_evidence_pack_is_signed_over_a_broken_audit_chain(session, officers):
    import sqlalchemy as sa

    from backoffice.domains.audit import anchor as audit_anchor
    from tests.factories import bypassing_audit_triggers

    a, _b = officers
    case = open_kyc_case(session, a, make_customer(session))
    kyc.claim(session, a, case)
    session.commit()
    claim = session.exec(select(AuditEntry).where(AuditEntry.action == "kyc_case.claim")).one()
    with bypassing_audit_triggers(session.connection()):
        session.execute(
            sa.update(AuditEntry).where(AuditEntry.id == claim.id).values(actor="someone.else")
        )
    session.commit()
    with pytest.raises(kyc.KycError) as refused:
        kyc.evidence_pack(session, principal=a, case=case)
    assert refused.value.key == "kyc.pack_chain_broken"
    # nor over an edited row below a checkpoint that covers it already
    session.rollback()
    with bypassing_audit_triggers(session.connection()):
        session.execute(
            sa.update(AuditEntry).where(AuditEntry.id == claim.id).values(actor="kyc.a")
        )
    session.commit()
    _score(session, a, case)
    audit_anchor.write_checkpoint(session)
    with bypassing_audit_triggers(session.connection()):
        session.execute(sa.update(AuditEntry).where(AuditEntry.id == claim.id).values(actor="x"))
    session.commit()
    with pytest.raises(kyc.KycError) as refused:
        kyc.evidence_pack(session, principal=a, case=case)
    assert refused.value.key == "kyc.pack_chain_broken"


def test_watch_list_hits_reach_only_those_who_work_the_lists(session, officers):
    """A customer-service agent (customer.view) and an executive (kyc_case.view) open the same
    customer and case as the officer: the officer sees the hit with the listed name, they see no
    hit at all, not even how many."""
    from state.kyc import KycPanelState
    from state.resource import ResourceRecordState
    from tests.factories import run, state_for

    a, _b = officers
    session.add(WatchlistEntry(list_kind="pep", name="张伟", birth_date="1990-03-07"))
    session.commit()
    customer = make_customer(session)
    case = open_kyc_case(session, a, customer)
    officer = session.exec(select(User).where(User.username == "kyc.a")).one()
    agent, _ = make_user(session, "cs.kyc", ["cs_agent"])
    boss, _ = make_user(session, "ceo.kyc", ["executive"])
    handlers = KycPanelState.event_handlers

    seen = state_for(session, officer, KycPanelState, f"/r/customer?id={customer.id}")
    run(handlers["load_customer"].fn(seen))
    assert [(h["entry"], h["list"]) for h in seen.hits] == [("张伟", "政治公众人物")]

    for user, handler, url in (
        (agent, "load_customer", f"/r/customer?id={customer.id}"),
        (boss, "load_case", f"/r/kyc_case?id={case.id}"),
    ):
        state = state_for(session, user, KycPanelState, url)
        run(handlers[handler].fn(state))
        assert state.customer_id == customer.id  # the panel loaded
        assert state.hits == []
        assert "张伟" not in json.dumps(state.dict(), ensure_ascii=False)

    # the case page's summary line counts hits for the officer only
    def summary(user):
        page = state_for(session, user, ResourceRecordState, f"/r/kyc_case/record?id={case.id}")
        run(ResourceRecordState.event_handlers["open"].fn(page, "kyc_case"))
        return {row["label"]: row["value"] for row in page.summary}

    assert summary(officer)["名单命中"].startswith("1") and "时效" in summary(officer)
    assert "名单命中" not in summary(boss) and "时效" in summary(boss)


def test_the_tickets_case_picker_offers_an_agent_only_the_case_already_linked(session, officers):
    """An agent (no right to view KYC cases) editing a ticket sees the case the ticket names,
    never the other case numbers; a compliance officer picks from every case."""
    from backoffice.engine.ref_options import ref_options

    officer = officers[0]
    linked = open_kyc_case(session, officer, make_customer(session))
    other = open_kyc_case(session, officer, make_customer(session, "李娜", "110101199003070011"))
    agent = make_principal(session, "agent.k", ["cs_agent"])
    spec = get("ticket").field("kyc_case_id")

    offered = ref_options(session, agent, spec, current=str(linked.id))
    assert [o["value"] for o in offered] == [str(linked.id)]
    assert ref_options(session, agent, spec, text="K") == []
    everything = {o["value"] for o in ref_options(session, officer, spec)}
    assert {str(linked.id), str(other.id)} <= everything


def test_the_evidence_packs_case_document_names_people_and_choices_not_logins(session, officers):
    import re

    import pypdfium2 as pdfium

    from tests.factories import rename

    a, _b = officers
    rename(session, "kyc.a", "刘洋")
    case = open_kyc_case(session, a, make_customer(session))
    kyc.claim(session, a, case)
    session.commit()
    _score(session, a, case)
    _name, data = kyc.evidence_pack(session, principal=a, case=case)
    document = pdfium.PdfDocument(zipfile.ZipFile(io.BytesIO(data)).read("case.pdf"))
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    assert "经办 Officer: 刘洋" in text
    assert "开户识别 Onboarding" in text, "the kind by its label in both languages"
    assert "kyc.a" not in text, "no login name"
    trail = text[text.index("审计记录") :]
    assert "刘洋" in trail and not re.search(r"\b[a-z]+_[a-z_]+\b", trail), trail
