"""What a related-record picker offers: titles of the referenced resource's records."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from backoffice.engine import fields as fieldlib
from backoffice.engine.resource import get as get_resource
from backoffice.platform import like, numerals
from backoffice.security.rbac import Principal

REF_OPTIONS_LIMIT = 200


def ref_options(
    session: Session,
    principal: Principal,
    spec: fieldlib.FieldSpec,
    text: str = "",
    current: str = "",
) -> list[dict[str, str]]:
    """Up to REF_OPTIONS_LIMIT records of the referenced resource whose title (or search
    field) starts with ``text``, always including the ones the form already holds, so a picker
    works on large tables too.

    The search sees what the caller's list of that resource would: its row scope applies, and
    a caller without the right to view that resource is offered only the records already
    chosen (their titles are on the record the caller opened), never the others."""
    target = get_resource(spec.ref)
    if target is None:
        return []
    title = getattr(target.model, target.title_field)
    rows: list[sa.Row] = []
    if principal.can(target.permission, "view"):
        query = sa.select(target.model.id, title).order_by(title).limit(REF_OPTIONS_LIMIT)
        if target.row_scope is not None:
            scope = target.row_scope(principal)
            if scope is not None:
                query = query.where(scope)
        if text.strip():
            fields = tuple(dict.fromkeys((target.title_field, *target.search_fields)))
            needles = list(dict.fromkeys([text.strip()[:50], text.strip()[:50].upper()]))
            query = query.where(
                sa.or_(
                    *[
                        like.starts_with(getattr(target.model, f), n)
                        for f in fields
                        for n in needles
                    ]
                )
            )
        rows = list(session.execute(query).all())
    shown = {str(i) for i, _t in rows}
    chosen = (numerals.whole(i) for i in current.split(",") if i not in shown)
    missing = [i for i in chosen if fieldlib.is_id(i)]
    if missing:  # the records already chosen stay offered whatever the filter
        rows += session.execute(
            sa.select(target.model.id, title).where(target.model.id.in_(missing[:500]))
        ).all()
    return [{"value": str(i), "label": str(t)} for i, t in rows]
