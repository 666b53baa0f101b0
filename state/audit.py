"""The audit log page: filters, one page of entries, the export (``audit.export``)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, TypedDict
from urllib.parse import urlencode

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.audit import log as audit_log
from backoffice.i18n import translate
from backoffice.platform import offload
from state.auth import requires
from state.base import StaffState

FILTER_FIELDS = ("actor", "action", "entity", "entity_id", "since", "until", "preset")


class AuditRow(TypedDict):
    """``audit_log.Row`` as the page shows it."""

    id: str
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


class AuditLogState(StaffState, rx.State):
    filters: dict[str, str] = {}  # audit_log.Filters by field name
    rows: list[AuditRow] = []
    page: int = 1
    has_more: bool = False
    can_export: bool = False
    error: str = ""

    async def _fill(self, raw: dict[str, object], number: int) -> Any:
        lang = await self._lang()
        principal = await self._principal()
        try:
            filters = audit_log.parse_filters(raw)
            with session_scope() as session:
                found = audit_log.page(
                    session, principal=principal, filters=filters, number=number, lang=lang
                )
        except audit_log.AuditLogError as error:
            self.error = translate(error.key, lang)
            return rx.toast.error(self.error)
        self.error = ""
        self.filters = {k: v for k, v in asdict(filters).items()}
        self.rows = [{k: str(v) for k, v in asdict(row).items()} for row in found.rows]
        self.page, self.has_more = found.page, found.has_more
        self.can_export = principal.can("audit", "export")
        # the address bar holds the filters, so a reload or a language switch keeps them
        query = urlencode({k: v for k, v in self.filters.items() if k in FILTER_FIELDS and v})
        url = "/audit" + (f"?{query}" if query else "")
        return rx.call_script(f"window.history.replaceState(null, '', {json.dumps(url)})")

    @rx.event
    @requires("audit", "view")
    async def load(self) -> Any:
        """The page's filters come from the address bar (a notification links to a person)."""
        query = self.router.url.query_parameters
        return await self._fill({k: query.get(k, "") for k in FILTER_FIELDS}, 1)

    @rx.event
    @requires("audit", "view")
    async def apply(self, form_data: dict) -> Any:
        raw = form_data if isinstance(form_data, dict) else {}
        return await self._fill({**raw, "preset": self.filters.get("preset", "")}, 1)

    @rx.event
    @requires("audit", "view")
    async def security_events(self, on: bool) -> Any:
        return await self._fill({**self.filters, "preset": "security" if on is True else ""}, 1)

    @rx.event
    @requires("audit", "view")
    async def clear(self) -> Any:
        return await self._fill({}, 1)

    @rx.event
    @requires("audit", "view")
    async def go(self, number: int) -> Any:
        if not isinstance(number, int) or isinstance(number, bool):
            return None
        return await self._fill(dict(self.filters), number)

    @rx.event
    @requires("audit", "export")
    async def export(self) -> Any:
        caller = await self._caller()
        try:
            filters = audit_log.parse_filters(dict(self.filters))
            principal, client = caller.principal, caller.client

            def build() -> bytes | str:
                with session_scope() as session:
                    data, rows = audit_log.export_csv(
                        session, principal=principal, filters=filters, lang=caller.lang
                    )
                with self._write_scope() as session:
                    audit_log.record_export(
                        session, principal=principal, filters=filters, rows=rows, client=client
                    )
                return data

            data = await offload.run(build)
        except audit_log.AuditLogError as error:
            return self._refusal(error, caller.lang)
        return rx.download(data=data, filename="audit-log.csv")
