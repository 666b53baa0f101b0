"""The notification centre: jobs and services post here, each notification of one kind; the
bell in the top bar groups them by kind and shows each person only the kinds they chose."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backoffice.i18n import translate
from backoffice.platform import audit
from backoffice.platform.business_time import shown_time
from backoffice.platform.refusal import Refusal
from backoffice.security.rbac import Principal
from models.notifications import Notification, NotificationPreference, NotificationRead

# every kind a notification can have, in the bell's order; labels `notify.kind.<kind>`
KINDS: tuple[str, ...] = (
    "audit_alert",
    "sign_in",
    "kyc_overdue",
    "suitability",
    "risk_indicator",
    "ticket_sla",
    "milestone",
    "kpi_alert",
    "contract",
    "product_change",
    "campaign_budget",
    "webhook",
    "general",
)
# security events reach the bell whatever a person chooses
ALWAYS: frozenset[str] = frozenset({"audit_alert", "sign_in"})
# kinds a role does not get on its bell until a person turns them on: each overdue KYC case is
# escalated and waits in the KYC landing page's "escalated" count, and compliance received one
# notification per case (99+ on the seed)
DEFAULT_OFF: dict[str, frozenset[str]] = {"compliance": frozenset({"kyc_overdue"})}


class NotificationError(Refusal, ValueError):
    pass


def notify(
    session: Session,
    *,
    kind: str,
    dedupe_key: str,
    title_zh: str,
    title_en: str,
    role: str | None = None,
    user_id: int | None = None,
    link: str = "",
    severity: str = "info",
) -> bool:
    """Post once per ``dedupe_key`` (a rerun of a job posts nothing new); True if posted."""
    if (role is None) == (user_id is None):
        raise ValueError("a notification goes to one role or one user")
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind: {kind}")
    if (
        session.exec(
            select(Notification.id).where(Notification.dedupe_key == dedupe_key[:200])
        ).first()
        is not None
    ):
        return False
    try:
        with session.begin_nested():
            session.add(
                Notification(
                    role=role,
                    user_id=user_id,
                    kind=kind,
                    severity=severity,
                    title_zh=title_zh[:300],
                    title_en=title_en[:300],
                    link=link[:300],
                    dedupe_key=dedupe_key[:200],
                )
            )
            session.flush()
    except IntegrityError:
        return False
    return True


def default_on(principal: Principal, kind: str) -> bool:
    """A kind reaches the bell by default unless every role of the person turns it off."""
    if kind in ALWAYS or not principal.roles:
        return True
    return not all(kind in DEFAULT_OFF.get(role, frozenset()) for role in principal.roles)


def bell_kinds(session: Session, *, principal: Principal) -> list[str]:
    """The kinds that reach the person's bell: their choices, else their roles' defaults."""
    chosen = dict(
        session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.bell).where(
                NotificationPreference.user_id == principal.user_id
            )
        ).all()
    )
    return [k for k in KINDS if k in ALWAYS or chosen.get(k, default_on(principal, k))]


@dataclass(frozen=True)
class Preference:
    kind: str
    label: str
    bell: bool
    locked: bool  # a security kind: always on


def preferences(session: Session, *, principal: Principal, lang: str) -> list[Preference]:
    on = set(bell_kinds(session, principal=principal))
    return [Preference(k, translate(f"notify.kind.{k}", lang), k in on, k in ALWAYS) for k in KINDS]


def set_preference(session: Session, *, principal: Principal, kind: str, bell: bool) -> bool:
    """Turn a kind on or off for the person's bell (audited); False when nothing changed."""
    if kind not in KINDS:
        raise NotificationError("notify.unknown_kind")
    if kind in ALWAYS:
        raise NotificationError("notify.always_on")
    before = kind in bell_kinds(session, principal=principal)
    if before == bell:
        return False
    row = session.get(NotificationPreference, (principal.user_id, kind))
    if row is None:
        session.add(NotificationPreference(user_id=principal.user_id, kind=kind, bell=bell))
    else:
        row.bell = bell
        session.add(row)
    audit.record(
        session,
        actor=principal.username,
        action="notification.preference_changed",
        entity="notification_preference",
        entity_id=f"{principal.user_id}:{kind}",
        changes={"bell": [before, bell], "kind": kind},
    )
    return True


def _addressees(principal: Principal) -> list[sa.ColumnElement[bool]]:
    return [Notification.user_id == principal.user_id] + [
        Notification.role == role for role in sorted(principal.roles)
    ]


def _mine(principal: Principal) -> sa.ColumnElement[bool]:
    return sa.or_(*_addressees(principal))


def _newest_mine(
    principal: Principal, kinds: Iterable[str], limit: int, *where: sa.ColumnElement[bool]
) -> sa.Subquery:
    """The ids and kinds of the newest ``limit`` notifications of each addressee (the user,
    each role) and kind.

    One walk of the (addressee, kind, id) index per pair, newest first, stopped at ``limit``.
    An OR over the addressees with ORDER BY id made every database walk the whole table
    backwards, so a clerk with few notifications read all of them on every page. A
    notification has one addressee and one kind, so the walks never return an id twice.
    """
    walks = [
        sa.select(inner.c.id, inner.c.kind)
        for addressee in _addressees(principal)
        for kind in kinds
        for inner in [
            sa.select(Notification.id, Notification.kind)
            .where(addressee, Notification.kind == kind, *where)
            .order_by(Notification.id.desc())
            .limit(limit)
            .subquery()
        ]
    ]
    if not walks:
        return sa.select(Notification.id, Notification.kind).where(sa.false()).subquery("mine")
    return sa.union_all(*walks).subquery("mine")


def _read_by(principal: Principal) -> sa.ColumnElement[bool]:
    """The user's read mark of the notification in the query: one look-up of the mark's key
    (a user's marks can be thousands; listing them for an IN read them all)."""
    return sa.and_(
        NotificationRead.notification_id == Notification.id,
        NotificationRead.user_id == principal.user_id,
    )


UNREAD_CAP = 99  # the bell shows "99+"; counting a busy role's thousands on every page is waste


def unread_by_kind(
    session: Session, *, principal: Principal, kinds: Iterable[str], cap: int = UNREAD_CAP
) -> dict[str, int]:
    """Unread notifications per kind (of ``kinds``), each counted up to ``cap + 1``."""
    unread = _newest_mine(principal, kinds, cap + 1, ~sa.exists().where(_read_by(principal)))
    rows = session.execute(sa.select(unread.c.kind, sa.func.count()).group_by(unread.c.kind)).all()
    return {kind: min(count, cap + 1) for kind, count in rows}


def unread_count(session: Session, *, principal: Principal, cap: int = UNREAD_CAP) -> int:
    """Unread notifications of the kinds that reach the bell, counted up to ``cap + 1``
    (more than ``cap`` shows as "cap+")."""
    muted = sorted(set(KINDS) - set(bell_kinds(session, principal=principal)))
    where = [~sa.exists().where(_read_by(principal))]
    if muted:
        where.append(Notification.kind.not_in(muted))
    # one walk per addressee, newest first (the page gate runs this on every page: a walk per
    # addressee and kind cost SQLAlchemy a dozen subqueries to build each time)
    walks = [
        sa.select(
            sa.select(Notification.id)
            .where(addressee, *where)
            .order_by(Notification.id.desc())
            .limit(cap + 1)
            .subquery()
            .c.id
        )
        for addressee in _addressees(principal)
    ]
    unread = sa.union_all(*walks).subquery("mine")
    counted = session.execute(sa.select(sa.func.count()).select_from(unread)).scalar_one()
    return min(counted, cap + 1)


@dataclass(frozen=True)
class Item:
    id: int
    kind: str
    title: str
    link: str
    severity: str
    at: str
    read: bool


def recent(
    session: Session,
    *,
    principal: Principal,
    lang: str,
    limit: int = 20,
    per_kind: int | None = None,
    kinds: Iterable[str] | None = None,
) -> list[Item]:
    """The newest ``limit`` notifications of the kinds that reach the bell (or of ``kinds``),
    at most ``per_kind`` of each kind."""
    kinds = list(bell_kinds(session, principal=principal) if kinds is None else kinds)
    per_kind = per_kind or limit
    newest = _newest_mine(principal, kinds, per_kind)
    rows = session.exec(
        select(Notification, NotificationRead.user_id.is_not(None))
        .join(newest, newest.c.id == Notification.id)
        .outerjoin(NotificationRead, _read_by(principal))
        .order_by(Notification.id.desc())
    ).all()
    items: list[Item] = []
    for n, is_read in rows[:limit]:
        items.append(
            Item(
                n.id,
                n.kind,
                n.title_en if lang == "en" else n.title_zh,
                n.link,
                n.severity,
                shown_time(n.created_at),
                bool(is_read),
            )
        )
    return items


@dataclass(frozen=True)
class Group:
    kind: str
    label: str
    unread: int  # up to UNREAD_CAP + 1
    items: list[Item]


def groups(session: Session, *, principal: Principal, lang: str, per_group: int = 3) -> list[Group]:
    """The bell's content: one group per kind that reaches it and holds something, the ones
    with unread notifications first, each with its unread count and newest items."""
    kinds = bell_kinds(session, principal=principal)
    unread = unread_by_kind(session, principal=principal, kinds=kinds)
    items = recent(
        session,
        principal=principal,
        lang=lang,
        limit=per_group * len(kinds),
        per_kind=per_group,
        kinds=kinds,
    )
    by_kind: dict[str, list[Item]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    found = [
        Group(k, translate(f"notify.kind.{k}", lang), unread.get(k, 0), by_kind[k])
        for k in kinds
        if k in by_kind
    ]
    # unread groups first, then the newest; the catalogue order breaks ties
    return sorted(found, key=lambda g: (g.unread == 0, -g.items[0].id))


def mark_read(session: Session, *, principal: Principal, kind: str | None = None) -> int:
    """Mark the person's unread notifications read: all of them, or one kind's."""
    if kind is not None and kind not in KINDS:
        raise NotificationError("notify.unknown_kind")
    unread = ~sa.exists().where(_read_by(principal))
    query = select(Notification.id).where(_mine(principal), unread)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    ids = session.exec(query).all()
    for notification_id in ids:
        session.add(NotificationRead(notification_id=notification_id, user_id=principal.user_id))
    return len(ids)


def mark_all_read(session: Session, *, principal: Principal) -> int:
    return mark_read(session, principal=principal)
