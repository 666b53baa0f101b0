"""Watch-list screening: customers compared with sanctions, politically exposed persons and the
internal blacklist by name (Chinese characters and pinyin, fuzzy), date of birth and ID number.

Every resemblance above the threshold becomes a hit that an officer disposes of (true match or
false positive, with a reason). A hit is raised once per customer and entry; re-screening after
a list changes adds only new hits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz
from sqlmodel import Session, select

from backoffice.db import write_batches
from backoffice.platform import audit
from backoffice.platform.jobs import Outcome
from backoffice.security import fields
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.customers import Customer
from models.jobs import JobRun
from models.kyc import HitStatus, KycCase, ScreeningHit, WatchlistEntry

THRESHOLD = 85  # name similarity (0-100) from which a resemblance is a hit
PINYIN_WEIGHT = 0.9
ID_PURPOSE = "customer.id_number"  # the blind-index purpose shared with customers


def pinyin_of(name: str) -> str:
    """张三 → "zhang san"; Latin names are lower-cased as they are."""
    return " ".join(part.strip().lower() for part in lazy_pinyin(name) if part.strip())


def id_hash(id_number: str) -> str:
    return fields.blind_index(id_number.strip().upper(), ID_PURPOSE) if id_number.strip() else ""


@dataclass(frozen=True)
class Candidate:
    entry_id: int
    name: str
    pinyin: str
    birth_date: str
    id_number_hash: str


@dataclass(frozen=True)
class Match:
    entry_id: int
    score: int
    matched_on: tuple[str, ...]


def load_lists(session: Session) -> list[Candidate]:
    rows = session.execute(
        sa.select(
            WatchlistEntry.id,
            WatchlistEntry.name,
            WatchlistEntry.name_pinyin,
            WatchlistEntry.birth_date,
            WatchlistEntry.id_number_hash,
        ).where(WatchlistEntry.archived_at.is_(None))
    ).all()
    return [
        Candidate(i, name, pinyin_of(name), birth or "", hashed or "")  # a renamed entry too
        for i, name, _pinyin, birth, hashed in rows
    ]


def compare(
    name: str, birth_date: date | None, id_number_hash: str, candidates: Iterable[Candidate]
) -> list[Match]:
    """The entries a person resembles: the same ID number always; otherwise a name similar in
    characters or in pinyin (a date of birth that agrees raises the score, one that differs
    lowers it)."""
    spelled = pinyin_of(name)
    born = birth_date.isoformat() if birth_date else ""
    matches = []
    for entry in candidates:
        if id_number_hash and entry.id_number_hash == id_number_hash:
            matches.append(Match(entry.entry_id, 100, ("id_number",)))
            continue
        by_name = max(  # the same sound written differently counts a little less
            fuzz.ratio(name, entry.name),
            PINYIN_WEIGHT * fuzz.token_sort_ratio(spelled, entry.pinyin)
            if spelled and entry.pinyin
            else 0,
        )
        if by_name < THRESHOLD - 10:
            continue
        on = ["name"]
        score = by_name
        if born and entry.birth_date:
            if born == entry.birth_date:
                score, on = min(100, score + 10), [*on, "birth_date"]
            else:
                score -= 15
        if score >= THRESHOLD:
            matches.append(Match(entry.entry_id, round(score), tuple(on)))
    return matches


def screen_customer(
    session: Session,
    customer: Customer,
    *,
    candidates: list[Candidate] | None = None,
    case_id: int | None = None,
    actor: str = "system",
) -> list[ScreeningHit]:
    """Screen one customer; returns the hits raised now (earlier ones are not repeated)."""
    candidates = load_lists(session) if candidates is None else candidates
    name = fields.decrypt(customer.name_cipher)
    matches = compare(name, customer.birth_date, customer.id_number_hash, candidates)
    if not matches:
        return []
    known = set(
        session.exec(
            select(ScreeningHit.entry_id).where(ScreeningHit.customer_id == customer.id)
        ).all()
    )
    raised = []
    for match in matches:
        if match.entry_id in known:
            continue
        hit = ScreeningHit(
            customer_id=customer.id,
            entry_id=match.entry_id,
            case_id=case_id,
            score=match.score,
            matched_on=",".join(match.matched_on),
        )
        session.add(hit)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="screening.hit",
            entity="kyc_case" if case_id else "customer",
            entity_id=case_id or customer.id,
            changes={"hit": [None, f"#{hit.id} entry {match.entry_id} score {match.score}"]},
        )
        raised.append(hit)
    return raised


# A hit names the listed person and tells that the customer resembles a sanctions or PEP entry:
# only those who work the watch lists (KYC/AML) may learn either, not even how many hits exist.
HITS_RIGHT = ("watchlist", "view")


def hits_for(
    session: Session, principal: Principal, customer_id: int
) -> list[tuple[ScreeningHit, WatchlistEntry]]:
    """The customer's hits for a caller who works the watch lists; none for anyone else."""
    if not principal.can(*HITS_RIGHT):
        return []
    return hits_of(session, customer_id)


def hits_of(session: Session, customer_id: int) -> list[tuple[ScreeningHit, WatchlistEntry]]:
    """A customer's hits with the entries they resemble, oldest first."""
    return list(
        session.exec(
            select(ScreeningHit, WatchlistEntry)
            .join(WatchlistEntry, WatchlistEntry.id == ScreeningHit.entry_id)
            .where(ScreeningHit.customer_id == customer_id)
            .order_by(ScreeningHit.id)
        ).all()
    )


def open_case_of(session: Session, customer_id: int) -> int | None:
    from models.kyc import OPEN_CASE_STATES

    return session.exec(
        select(KycCase.id)
        .where(KycCase.customer_id == customer_id, KycCase.status.in_(OPEN_CASE_STATES))
        .order_by(KycCase.id.desc())
    ).first()


def rescreen_all(session: Session, batch: int = 100) -> str:
    """Screen every customer against the current lists (after a list changed)."""
    candidates = load_lists(session)
    if not candidates:
        return "no list entries"
    last_id, seen, raised = 0, 0, 0
    with write_batches(session) as batches:
        while True:
            customers = session.exec(
                select(Customer).where(Customer.id > last_id).order_by(Customer.id).limit(batch)
            ).all()
            if not customers:
                break
            for customer in customers:
                hits = screen_customer(
                    session,
                    customer,
                    candidates=candidates,
                    case_id=open_case_of(session, customer.id),
                )
                raised += len(hits)
                batches.done_one()
            seen += len(customers)
            last_id = customers[-1].id
            batches.commit()
    return Outcome("job.result.kyc.screened", seen=seen, raised=raised)


def lists_changed_since(session: Session, since: object) -> bool:
    latest = session.execute(sa.select(sa.func.max(WatchlistEntry.updated_at))).scalar()
    return latest is not None and (since is None or latest > since)


def dispose(
    session: Session, *, hit_id: int, status: str, reason: str, actor: str, client: str = ""
) -> str | None:
    """Record the officer's decision on a hit; returns an i18n refusal or None."""
    if status not in (HitStatus.TRUE_MATCH, HitStatus.FALSE_POSITIVE):
        return "screening.bad_disposition"
    if len(reason.strip()) < 4:
        return "screening.reason_required"
    hit = session.get(ScreeningHit, hit_id)
    if hit is None:
        return "error.not_found"
    if hit.status != HitStatus.OPEN:
        return "screening.already_disposed"
    updated = session.execute(
        sa.update(ScreeningHit)
        .where(ScreeningHit.id == hit.id, ScreeningHit.status == HitStatus.OPEN)
        .values(
            status=status,
            reason=reason.strip()[:2000],
            decided_by=actor,
            decided_at=utcnow(),
            version=ScreeningHit.version + 1,
            updated_at=utcnow(),
        )
    )
    if updated.rowcount != 1:  # another officer decided first
        return "screening.already_disposed"
    audit.record(
        session,
        actor=actor,
        action="kyc_case.hit_disposed",
        entity="kyc_case" if hit.case_id else "customer",
        entity_id=hit.case_id or hit.customer_id,
        changes={"hit": [f"#{hit.id} open", f"#{hit.id} {status}: {reason.strip()[:200]}"]},
        client=client,
    )
    session.expire(hit)
    return None


def rescreen_after_list_changes(session: Session) -> str:
    """Screen every customer again when a watch list changed since the last full screening
    (the last run of the re-screening job that screened)."""
    last = session.exec(
        select(JobRun.started_at)
        .where(JobRun.name == "kyc.rescreen", JobRun.status == "ok")
        .where(JobRun.result.startswith("screened"))
        .order_by(JobRun.started_at.desc())
    ).first()
    if not lists_changed_since(session, last):
        return Outcome("job.result.kyc.lists_unchanged")
    return rescreen_all(session)
