"""Saved list views, per user and optionally shared with everyone who may see the resource."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.engine import service
from backoffice.engine.resource import Resource
from backoffice.platform import audit
from backoffice.security.rbac import Principal
from models.identity import User
from models.views import SavedView

MAX_VIEWS_PER_USER = 50


def clean_params(session: Session, resource: Resource, query_string: str) -> str:
    """Keep only what a list view understands (filters, search, sort, size, columns)."""
    schema = service.schema_of(session, resource)
    raw = dict(parse_qsl(query_string[:2000]))
    query = service.parse_query(schema, raw)
    params = query.to_params()
    params.pop("page", None)
    columns = service.parse_columns(schema, raw.get("cols", ""))
    if columns:
        params["cols"] = ",".join(columns)
    return urlencode(params)


def save(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    name: str,
    query_string: str,
    shared: bool,
) -> str:
    """Save (or overwrite one's own view of that name); returns an i18n key of a problem."""
    name = name.strip()[:100]
    if not name:
        return "view.name_required"
    if not principal.can(resource.permission, "view"):
        return "auth.denied"
    params = clean_params(session, resource, query_string)
    existing = session.exec(
        select(SavedView).where(
            SavedView.user_id == principal.user_id,
            SavedView.resource == resource.key,
            SavedView.name == name,
        )
    ).first()
    if existing is None:
        count = session.execute(
            sa.select(sa.func.count())
            .select_from(SavedView)
            .where(SavedView.user_id == principal.user_id)
        ).scalar_one()
        if count >= MAX_VIEWS_PER_USER:
            return "view.too_many"
        existing = SavedView(user_id=principal.user_id, resource=resource.key, name=name)
    existing.params, existing.shared = params, bool(shared)
    existing.version += 1 if existing.id else 0
    session.add(existing)
    session.flush()
    audit.record(
        session,
        actor=principal.username,
        action="saved_view.save",
        entity="saved_view",
        entity_id=existing.id,
        changes={"name": [None, name], "params": [None, params], "shared": [None, bool(shared)]},
    )
    return ""


def visible(session: Session, *, principal: Principal, resource: Resource) -> list[dict]:
    """The caller's views and the shared ones, as {id, name, params, owner, mine}."""
    rows = session.exec(
        select(SavedView, User.username)
        .join(User, User.id == SavedView.user_id)
        .where(
            SavedView.resource == resource.key,
            SavedView.archived_at.is_(None),
            sa.or_(SavedView.user_id == principal.user_id, SavedView.shared.is_(True)),
        )
        .order_by(SavedView.name)
    ).all()
    return [
        {
            "id": str(v.id),
            "name": v.name,
            "params": v.params,
            "owner": owner,
            "mine": v.user_id == principal.user_id,
        }
        for v, owner in rows
    ]


def delete(session: Session, *, principal: Principal, view_id: int) -> bool:
    view = session.get(SavedView, view_id) if isinstance(view_id, int) else None
    if view is None or view.user_id != principal.user_id:
        return False
    session.delete(view)  # a personal preference, not a regulated record
    audit.record(
        session,
        actor=principal.username,
        action="saved_view.delete",
        entity="saved_view",
        entity_id=view_id,
        changes={"name": [view.name, None]},
    )
    return True
