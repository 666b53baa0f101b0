"""The versioned write: no lost updates, one rule for every record that carries a version.

``UPDATE … SET …, version = seen + 1 WHERE id = … AND version = seen`` misses when someone
saved the record after the caller read it; the write is then refused with who changed it, when
and which fields (their labels in both languages), read from the audit trail, and nothing is
written. A write that lands is audited in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.config import LANGUAGES, get_settings
from backoffice.engine import custom
from backoffice.engine.fields import to_text
from backoffice.engine.resource import get as get_resource
from backoffice.i18n import translate
from backoffice.platform import audit
from backoffice.platform.refusal import Refusal
from models.audit import AuditEntry
from models.base import utcnow
from models.identity import User


class StaleRecord(Refusal):
    """The record changed since the caller read it; ``key`` and ``params`` are the message."""


def field_label(session: Session, entity: str, name: str, lang: str) -> str:
    """A changed field's label: the resource's declaration (custom fields included), else the
    ``history.field.*`` catalogue, else the name itself."""
    resource = get_resource(entity)
    if resource is not None:
        spec = resource.field(name)
        if spec is None and name.startswith(custom.PREFIX):
            spec = next((s for s in custom.specs(session, entity) if s.name == name), None)
        if spec is not None:
            return spec.label(lang)
    try:
        return translate(f"history.field.{name}", lang)
    except KeyError:
        return name


# actors that are no person: the portal's own jobs
SYSTEM_ACTORS = frozenset({"system", "job", "scheduler"})


def display_name(session: Session, username: str) -> str:
    """The person's name as staff know it; the login only when the account is gone."""
    name = session.exec(select(User.display_name).where(User.username == username)).first()
    return name or username


def display_names(session: Session, usernames: Iterable[str], lang: str) -> dict[str, str]:
    """{login: what staff see for it}: the display name, 系统/System for the portal's jobs,
    the operator for a command run on the server; the login only when the account is gone."""
    wanted = {u for u in usernames if u}
    found = dict(
        session.execute(
            sa.select(User.username, User.display_name).where(
                User.username.in_(wanted - SYSTEM_ACTORS)
            )
        ).all()
        if wanted - SYSTEM_ACTORS
        else []
    )
    names = {}
    for username in wanted:
        if username in SYSTEM_ACTORS or username.startswith("system:"):
            names[username] = translate("history.actor.system", lang)
        elif username.startswith("os:"):
            names[username] = translate(
                "history.actor.operator", lang, who=username.removeprefix("os:")
            )
        else:
            names[username] = found.get(username) or username
    return names


# how many of a record's newest entries a stale refusal looks through for its last change
STALE_LOOKBACK = 200


def stale(session: Session, entity: str, record_id: int | str) -> StaleRecord:
    """The refusal for a write on an out-of-date version: who changed the record last, when,
    and which fields (``fields_zh`` / ``fields_en``: each catalogue uses its own). Reads
    (a reveal, a download, an export) changed nothing and are passed over."""
    newest = session.exec(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(record_id))
        .order_by(AuditEntry.id.desc())
        .limit(STALE_LOOKBACK)
    ).all()
    last = next((e for e in newest if not audit.is_read(e.action)), None)
    if last is None:
        return StaleRecord("record.stale")
    names = sorted(json.loads(last.changes))
    fields = {
        f"fields_{lang}": translate("common.list_separator", lang).join(
            field_label(session, entity, n, lang) for n in names
        )
        or "—"
        for lang in LANGUAGES
    }
    return StaleRecord(
        "record.stale_by",
        who=display_name(session, last.actor),
        when=last.at.astimezone(get_settings().zone).strftime("%H:%M:%S"),
        **fields,
    )


def text_changes(record: Any, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """[before, after] as text for each value that differs from the record's."""
    return {
        name: [to_text(getattr(record, name)), to_text(value)]
        for name, value in values.items()
        if getattr(record, name) != value
    }


def write_versioned(
    session: Session,
    model: Any,
    record: Any,
    seen_version: int,
    values: Mapping[str, Any],
    *,
    actor: str,
    action: str,
    entity: str,
    changes: dict[str, Any] | None = None,
    client: str = "",
    refuse: Callable[..., Exception] = StaleRecord,
) -> dict[str, Any]:
    """Write ``values`` to ``record`` if it is still at ``seen_version`` and audit it (the
    changes given, or each value that differs, as text). On a miss nothing is written and
    ``refuse(key, **params)`` is raised (a domain's own error class, or :class:`StaleRecord`).
    Returns the audited changes; ``record`` is expired, so it reads afresh."""
    table = model.__table__ if hasattr(model, "__table__") else model
    if changes is None:
        changes = text_changes(record, values)
    result = session.execute(
        sa.update(table)
        .where(table.c.id == record.id, table.c.version == seen_version)
        .values(**values, version=seen_version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:
        refusal = stale(session, entity, record.id)
        raise refuse(refusal.key, **refusal.params)
    session.expire(record)
    audit.record(
        session,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=record.id,
        changes=changes,
        client=client,
    )
    return changes


def check_version(
    session: Session,
    entity: str,
    record: Any,
    seen_version: int,
    refuse: Callable[..., Exception] = StaleRecord,
) -> None:
    """Refuse early (before any work) when the caller's version is already out of date."""
    if record.version != seen_version:
        refusal = stale(session, entity, record.id)
        raise refuse(refusal.key, **refusal.params)
