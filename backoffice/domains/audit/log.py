"""The audit log as compliance and administrators read it: filtered and paged in SQL, newest
first, with people's names and translated action labels; the CSV export, itself audited."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.domains.audit import anchor as audit_anchor
from backoffice.engine import service as engine
from backoffice.engine.resource import get as get_resource
from backoffice.i18n import catalogue
from backoffice.platform import audit, like
from backoffice.platform.business_time import shown_time
from backoffice.platform.refusal import Refusal
from backoffice.platform.versioned import display_names
from backoffice.security.rbac import Principal
from models.audit import AuditEntry
from models.identity import User

PAGE_SIZE = 50
MAX_PAGE = 1000  # deeper than this, narrow the filters
EXPORT_LIMIT = 100_000

# what the "security events" preset shows (the actions these paths actually write)
SECURITY_ACTIONS = (
    "access.denied",
    "auth.sign_in_failed",
    "auth.sign_in_while_locked",
    "auth.totp_failed",
    "auth.locked_out",
    "auth.unlocked",
    "auth.recovery_code_used",
    "auth.password_change_refused",
    "auth.password_changed",
    "customer.reveal",
    "kyc_case.reveal",
    *audit.EXPORT_EXTRA_ACTIONS,
    "role.grant",
    "role.revoke",
    "role.defaults_created",
    "user.create",
    "user.enable",
    "user.set_roles",
    "user.reset_password",
    "user.reset_totp",
    "session.revoke",
    "field_keys.rotate",
    "system.restore",
)
PRESETS = ("", "security")
_TEXT = re.compile(r"^[^\x00-\x1f]*$")


class AuditLogError(Refusal, ValueError):
    """A refusal or bad filter: ``key`` is an i18n key."""


@dataclass(frozen=True)
class Filters:
    actor: str = ""
    action: str = ""  # a prefix: "auth." is every sign-in event
    entity: str = ""
    entity_id: str = ""
    since: str = ""  # local days, YYYY-MM-DD, both inclusive
    until: str = ""
    preset: str = ""


def parse_filters(raw: dict[str, object]) -> Filters:
    """Filters from a form or the address bar; AuditLogError on a malformed one."""

    def text(name: str, limit: int) -> str:
        value = raw.get(name, "")
        value = value.strip() if isinstance(value, str) else ""
        if len(value) > limit or not _TEXT.match(value):
            raise AuditLogError("audit_log.bad_filter")
        return value

    filters = Filters(
        actor=text("actor", 100),
        action=text("action", 60),
        entity=text("entity", 60),
        entity_id=text("entity_id", 64),
        since=text("since", 10),
        until=text("until", 10),
        preset=text("preset", 20),
    )
    if filters.preset not in PRESETS:
        raise AuditLogError("audit_log.bad_filter")
    since, until = _day(filters.since), _day(filters.until)
    if since and until and since > until:
        raise AuditLogError("audit_log.bad_range")
    return filters


def _day(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise AuditLogError("audit_log.bad_date") from error


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=get_settings().zone)


def _where(session: Session, filters: Filters) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if filters.actor:
        # a username, or a person's display name
        named = session.exec(
            select(User.username).where(User.display_name == filters.actor).limit(5)
        ).all()
        where.append(AuditEntry.actor.in_([filters.actor, *named]))
    if filters.action:
        where.append(like.starts_with(AuditEntry.action, filters.action))
    if filters.entity:
        where.append(AuditEntry.entity == filters.entity)
    if filters.entity_id:
        where.append(AuditEntry.entity_id == filters.entity_id)
    if since := _day(filters.since):
        where.append(AuditEntry.at >= _local_midnight(since))
    if until := _day(filters.until):
        where.append(AuditEntry.at < _local_midnight(until + timedelta(days=1)))
    if filters.preset == "security":
        where.append(
            sa.or_(
                AuditEntry.action.in_(SECURITY_ACTIONS),
                *(like.ends_with(AuditEntry.action, suffix) for suffix in audit.EXPORT_SUFFIXES),
            )
        )
    return where


@dataclass(frozen=True)
class Row:
    id: int
    at: str
    actor: str
    actor_name: str
    action: str
    action_label: str
    entity: str
    entity_label: str
    entity_id: str
    changes: str
    client: str


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    page: int
    has_more: bool


def action_label(action: str, lang: str) -> str:
    """The action in words where the catalogue has them: ``audit.action.<action>``, else the
    resource's name with ``audit.verb.<last part>``; else the action as written."""
    words = catalogue(lang)
    if (key := f"audit.action.{action}") in words:
        return words[key]
    head, _, step = action.partition(".transition.")
    owner = get_resource(head) if step else None
    transition = owner.workflow.get(step) if owner and owner.workflow else None
    if transition is not None:
        return f"{owner.label(lang)} · {transition.label(lang)}"  # type: ignore[union-attr]
    entity, _, verb = action.rpartition(".")
    resource, verb_key = f"resource.{entity}", f"audit.verb.{verb}"
    if resource in words and verb_key in words:
        return f"{words[resource]} · {words[verb_key]}"
    return action


def entity_label(entity: str, lang: str) -> str:
    """The kind of record in words where the catalogue has it, else as written."""
    return catalogue(lang).get(f"resource.{entity}", entity)


def _require(principal: Principal, action: str) -> None:
    if not principal.can("audit", action):
        raise AuditLogError("auth.denied")


def page(
    session: Session, *, principal: Principal, filters: Filters, number: int = 1, lang: str = "zh"
) -> Page:
    """One page of entries, newest first (the page size plus one read, nothing more)."""
    _require(principal, "view")
    number = min(max(int(number), 1), MAX_PAGE)
    entries = session.exec(
        select(AuditEntry)
        .where(*_where(session, filters))
        .order_by(AuditEntry.id.desc())
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    shown = entries[:PAGE_SIZE]
    names = dict(
        session.exec(
            select(User.username, User.display_name).where(
                User.username.in_({e.actor for e in shown} or {""})
            )
        ).all()
    )
    described = engine.describe_trail(session, principal=principal, entries=list(shown), lang=lang)
    return Page(
        rows=[
            Row(
                id=e.id or 0,
                at=shown_time(e.at, seconds=True),
                actor=e.actor,
                actor_name=names.get(e.actor, ""),
                action=e.action,
                action_label=action_label(e.action, lang),
                entity=e.entity,
                entity_label=entity_label(e.entity, lang),
                entity_id=e.entity_id,
                changes=_shorter(text["changes"]),
                client=e.client,
            )
            for e, text in zip(shown, described, strict=True)
        ],
        page=number,
        has_more=len(entries) > PAGE_SIZE,
    )


EXTRA_COLUMNS = ("local_at", "person", "action_label")


def _shorter(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def export_csv(
    session: Session, *, principal: Principal, filters: Filters, lang: str = "zh"
) -> tuple[bytes, int]:
    """The filtered entries as CSV, newest first, at most EXPORT_LIMIT, read in batches: the
    chain's columns as stored (previous hash and hash included, so the file can be checked
    against the chain), then the time in the company's zone, the person's name and the action
    in words; the header in the staff's language. Returns the file and its row count; the
    caller then audits it with :func:`record_export` (in a short write of its own: the reading
    takes no write lock)."""
    _require(principal, "export")
    where = _where(session, filters)
    zone = get_settings().zone
    out = io.StringIO()
    writer = csv.writer(out)
    words = catalogue(lang)
    writer.writerow(
        [words[f"audit_log.file.{c}"] for c in (*audit_anchor.AUDIT_COLUMNS, *EXTRA_COLUMNS)]
    )
    count, before = 0, None
    while count < EXPORT_LIMIT:
        batch = session.exec(
            select(AuditEntry)
            .where(*where, *([AuditEntry.id < before] if before else []))
            .order_by(AuditEntry.id.desc())
            .limit(min(5000, EXPORT_LIMIT - count))
        ).all()
        if not batch:
            break
        names = display_names(session, {e.actor for e in batch}, lang)
        for entry in batch:
            extra = (
                entry.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                names.get(entry.actor, entry.actor),
                action_label(entry.action, lang),
            )
            writer.writerow([_cell(value) for value in (*audit_anchor.audit_row(entry), *extra)])
        count += len(batch)
        before = batch[-1].id
    return ("\ufeff" + out.getvalue()).encode(), count


def record_export(
    session: Session, *, principal: Principal, filters: Filters, rows: int, client: str = ""
) -> None:
    _require(principal, "export")
    audit.record(
        session,
        actor=principal.username,
        action="audit.export",
        entity="audit_entry",
        changes={
            "filters": [None, {k: v for k, v in asdict(filters).items() if v}],
            "rows": [None, rows],
        },
        client=client,
    )


def _cell(value: str) -> str:
    """Text, never a formula, when the file is opened in a spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
