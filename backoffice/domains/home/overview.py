"""Record counts per module for the overview page."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from backoffice.domains import manifests
from backoffice.engine.resource import get as get_resource
from backoffice.platform.manifest import Stat
from backoffice.security.rbac import Principal

# every domain's counts (``Manifest.stats``)
STATS: dict[str, Stat] = {stat.key: stat for m in manifests() for stat in m.stats}


def record_counts(
    session: Session, keys: list[str] | None = None, principal: Principal | None = None
) -> dict[str, int]:
    """Counts for the named statistics (all when ``keys`` is None); unknown keys are refused.
    With a caller, only the statistics they may view are counted, and a scoped statistic
    counts only the records they may see."""
    wanted = list(STATS) if keys is None else keys
    unknown = [k for k in wanted if k not in STATS]
    if unknown:
        raise ValueError(f"unknown statistics: {unknown}")
    if principal is not None:
        wanted = [k for k in wanted if principal.can(STATS[k].right, "view")]
    counts = {}
    for key in wanted:
        stat = STATS[key]
        query = sa.select(sa.func.count()).select_from(stat.model)
        if stat.where is not None:
            query = query.where(stat.where())
        if principal is not None and (scope := _row_scope(stat, principal)) is not None:
            query = query.where(scope)
        counts[key] = session.execute(query).scalar_one()
    return counts


def _row_scope(stat: Stat, principal: Principal) -> sa.ColumnElement[bool] | None:
    """A statistic over records with a row scope counts only the rows the caller sees."""
    resource = get_resource(stat.scoped_by) if stat.scoped_by else None
    if resource is None or resource.row_scope is None:
        return None
    return resource.row_scope(principal)
