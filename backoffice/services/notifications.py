"""The notification centre: jobs and services post here; the bell in the top bar reads it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backoffice.security.rbac import Principal
from backoffice.services.business_time import shown_time
from models.notifications import Notification, NotificationRead


def notify(
    session: Session,
    *,
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


def _mine(principal: Principal) -> sa.ColumnElement[bool]:
    return sa.or_(
        Notification.user_id == principal.user_id,
        Notification.role.in_(sorted(principal.roles) or [""]),
    )


def _newest_mine(principal: Principal, limit: int, *where: sa.ColumnElement[bool]) -> sa.Subquery:
    """The ids of the newest ``limit`` notifications of each addressee (the user, each role).

    One index walk per addressee, newest first, stopped at ``limit``. ``_mine``'s OR over two
    columns with ORDER BY id made every database walk the whole table backwards instead, so
    a clerk with few notifications read all of them on every page. A notification has one
    addressee, so the walks never return the same id twice.
    """
    addressees = [Notification.user_id == principal.user_id] + [
        Notification.role == role for role in sorted(principal.roles)
    ]
    walks = [
        sa.select(
            sa.select(Notification.id)
            .where(addressee, *where)
            .order_by(Notification.id.desc())
            .limit(limit)
            .subquery()
            .c.id
        )
        for addressee in addressees
    ]
    return sa.union_all(*walks).subquery("mine")


def _read_by(principal: Principal) -> sa.ColumnElement[bool]:
    """The user's read mark of the notification in the query: one look-up of the mark's key
    (a user's marks can be thousands; listing them for an IN read them all)."""
    return sa.and_(
        NotificationRead.notification_id == Notification.id,
        NotificationRead.user_id == principal.user_id,
    )


@dataclass(frozen=True)
class Item:
    id: int
    title: str
    link: str
    severity: str
    at: str
    read: bool


def recent(session: Session, *, principal: Principal, lang: str, limit: int = 20) -> list[Item]:
    newest = _newest_mine(principal, limit)
    rows = session.exec(
        select(Notification, NotificationRead.user_id.is_not(None))
        .join(newest, newest.c.id == Notification.id)
        .outerjoin(NotificationRead, _read_by(principal))
        .order_by(Notification.id.desc())
        .limit(limit)
    ).all()
    return [
        Item(
            n.id,
            n.title_en if lang == "en" else n.title_zh,
            n.link,
            n.severity,
            shown_time(n.created_at),
            bool(is_read),
        )
        for n, is_read in rows
    ]


UNREAD_CAP = 99  # the bell shows "99+"; counting a busy role's thousands on every page is waste


def unread_count(session: Session, *, principal: Principal, cap: int = UNREAD_CAP) -> int:
    """Unread notifications, counted up to ``cap + 1`` (more than ``cap`` shows as "cap+")."""
    unread = _newest_mine(principal, cap + 1, ~sa.exists().where(_read_by(principal)))
    counted = session.execute(sa.select(sa.func.count()).select_from(unread)).scalar_one()
    return min(counted, cap + 1)


def mark_all_read(session: Session, *, principal: Principal) -> int:
    unread = ~sa.exists().where(_read_by(principal))
    ids = session.exec(select(Notification.id).where(_mine(principal), unread)).all()
    for notification_id in ids:
        session.add(NotificationRead(notification_id=notification_id, user_id=principal.user_id))
    return len(ids)
