"""Administration: users, roles and the permission matrix, live sessions."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any, TypedDict

import reflex as rx

from backoffice.config import get_settings
from backoffice.db import session_scope
from backoffice.domains.admin import users
from backoffice.engine import custom
from backoffice.engine.resource import all_resources
from backoffice.engine.resource import get as get_resource
from backoffice.i18n import translate
from backoffice.platform import jobs
from backoffice.platform.business_time import shown_time
from backoffice.security import auth, rbac
from state.auth import requires
from state.base import Choice, StaffState
from state.ui import language


async def _messages(state: rx.State, problems: list[str]) -> str:
    lang = await language(state)
    return translate("common.separator", lang).join(translate(p, lang) for p in problems)


def _at(moment: datetime | None, zone: tzinfo) -> str:
    return shown_time(moment, seconds=True)


def _checked_roles(form_data: dict) -> list[str]:
    return [
        code for code in rbac.STAFF_ROLES if form_data.get(f"role_{code}") in ("on", True, "true")
    ]


class UserRow(TypedDict):
    id: int
    username: str
    display_name: str
    roles: str
    is_active: bool
    totp: bool
    last_login: str


class AdminUsersState(StaffState, rx.State):
    rows: list[UserRow] = []
    error: str = ""
    editing_user_id: int = 0
    editing_username: str = ""
    editing_employee_no: str = ""
    editing_roles: list[str] = []

    def _reload(self) -> None:
        with session_scope() as session:
            self.rows = [
                {
                    "id": r.id,
                    "username": r.username,
                    "display_name": r.display_name,
                    "roles": ", ".join(r.roles),
                    "is_active": r.is_active,
                    "totp": r.totp_enrolled,
                    "last_login": r.last_login,
                }
                for r in users.list_users(session)
            ]

    async def _done(self, problems: list[str], success_key: str) -> Any:
        if problems:
            self.error = await _messages(self, problems)
            return rx.toast.error(self.error)
        self.error = ""
        self._reload()
        lang = await self._lang()
        return rx.toast.success(translate(success_key, lang))

    @rx.event
    @requires("user", "view")
    def load(self) -> None:
        self._reload()

    @rx.event
    @requires("user", "manage")
    async def create_user(self, form_data: dict) -> Any:
        actor = await self._principal()
        with self._write_scope() as session:
            _user, problems = users.create_user(
                session,
                actor=actor,
                username=str(form_data.get("username", "")),
                display_name=str(form_data.get("display_name", "")),
                email=str(form_data.get("email", "")),
                password=str(form_data.get("password", "")),
                roles=_checked_roles(form_data),
            )
        return await self._done(problems, "admin.user_created")

    @rx.event
    @requires("user", "manage")
    async def set_active(self, user_id: int, active: bool) -> Any:
        actor = await self._principal()
        with self._write_scope() as session:
            problems = users.set_active(session, actor=actor, user_id=user_id, active=bool(active))
        return await self._done(problems, "admin.saved")

    @rx.event
    @requires("user", "manage")
    async def reset_totp(self, user_id: int) -> Any:
        actor = await self._principal()
        with self._write_scope() as session:
            problems = users.reset_totp(session, actor=actor, user_id=user_id)
        return await self._done(problems, "admin.totp_reset")

    @rx.event
    @requires("user", "manage")
    def edit(self, user_id: int) -> None:
        with session_scope() as session:
            link = users.account_link(session, user_id)
            roles = sorted(users.roles_of(session, link.user_id)) if link else []
        self.editing_user_id = link.user_id if link else 0
        self.editing_username = link.username if link else ""
        self.editing_employee_no = link.employee_no if link else ""
        self.editing_roles = roles
        self.error = ""

    @rx.event
    @requires("user", "manage")
    def stop_editing(self) -> None:
        self.editing_user_id, self.editing_username = 0, ""

    @rx.event
    @requires("user", "manage")
    async def save_user(self, form_data: dict) -> Any:
        actor = await self._principal()
        employee_no = form_data.get("employee_no")
        with self._write_scope() as session:
            problems = users.update_account(
                session,
                actor=actor,
                user_id=self.editing_user_id,
                roles=_checked_roles(form_data),
                employee_no=None if employee_no is None else str(employee_no),
                new_password=str(form_data.get("new_password", "")),
            )
        result = await self._done(problems, "admin.saved")
        if not problems:
            self.editing_user_id, self.editing_username = 0, ""
        return result


class RolesState(StaffState, rx.State):
    role: str = "product_manager"
    grants: list[str] = []
    error: str = ""

    def _reload(self) -> None:
        with session_scope() as session:
            self.grants = sorted(f"{r}.{a}" for r, a in users.matrix(session, self.role))

    @rx.event
    @requires("role", "view")
    def load(self) -> None:
        self._reload()

    @rx.event
    @requires("role", "view")
    def select_role(self, role: str | list[str]) -> None:
        if isinstance(role, str) and role in rbac.ROLES:
            self.role = role
            self._reload()

    @rx.event
    @requires("role", "manage")
    async def toggle(self, resource: str, action: str, granted: bool) -> Any:
        actor = await self._principal()
        with self._write_scope() as session:
            problems = users.set_permission(
                session,
                actor=actor,
                role=self.role,
                resource=str(resource),
                action=str(action),
                granted=bool(granted),
            )
        self._reload()
        if problems:
            self.error = await _messages(self, problems)
            return rx.toast.error(self.error)
        self.error = ""
        return None


class LiveSession(TypedDict):
    id: int
    username: str
    client: str
    started: str
    last_seen: str
    user_agent: str


class SessionsState(StaffState, rx.State):
    rows: list[LiveSession] = []

    def _reload(self) -> None:
        with session_scope() as session:
            names = users.usernames(session)
            self.rows = [
                {
                    "id": s.id,
                    "username": names.get(s.user_id, "?"),
                    "client": s.client,
                    "started": s.created_at.isoformat(timespec="minutes"),
                    "last_seen": s.last_seen_at.isoformat(timespec="minutes"),
                    "user_agent": s.user_agent[:60],
                }
                for s in auth.live_sessions(session)
            ]

    @rx.event
    @requires("session", "view")
    def load(self) -> None:
        self._reload()

    @rx.event
    @requires("session", "manage")
    async def revoke(self, session_id: int) -> Any:
        actor = await self._principal()
        with self._write_scope() as session:
            users.revoke_session(session, actor=actor, session_id=session_id)
        self._reload()
        return rx.toast.success(translate("admin.session_revoked", await self._lang()))


class CustomField(TypedDict):
    id: str
    name: str
    label: str
    kind: str
    required: str  # "✓" or ""
    choices: str


class CustomFieldsState(StaffState, rx.State):
    resource: str = "partner"
    resources: list[Choice] = []
    rows: list[CustomField] = []
    errors: dict[str, str] = {}

    async def _reload(self) -> None:
        lang = await self._lang()
        self.resources = [{"value": r.key, "label": r.label(lang)} for r in all_resources()]
        with session_scope() as session:
            self.rows = [
                {
                    "id": str(d.id),
                    "name": d.name,
                    "label": d.label_zh + " / " + d.label_en,
                    "kind": translate(f"custom.kind.{d.kind}", lang),
                    "required": "✓" if d.required else "",
                    "choices": d.choices.replace("\n", ", "),
                }
                for d in custom.definitions(session, self.resource)
            ]

    @rx.event
    @requires("custom_field", "view")
    async def load(self) -> None:
        await self._reload()

    @rx.event
    @requires("custom_field", "view")
    async def select_resource(self, resource: str | list[str]) -> None:
        if isinstance(resource, str) and get_resource(resource) is not None:
            self.resource, self.errors = resource, {}
            await self._reload()

    @rx.event
    @requires("custom_field", "manage")
    async def add(self, form_data: dict) -> Any:
        from backoffice.engine import custom

        lang = await self._lang()
        actor = await self._principal()
        resource = get_resource(self.resource)
        with self._write_scope() as session:
            _definition, errors = custom.add_definition(
                session,
                actor=actor,
                resource_key=self.resource,
                name=str(form_data.get("name", "")),
                label_zh=str(form_data.get("label_zh", "")),
                label_en=str(form_data.get("label_en", "")),
                kind=str(form_data.get("kind", "")),
                required=form_data.get("required") in ("on", True, "true"),
                choices=str(form_data.get("choices", ""))[:5000],
                declared=[f.name for f in resource.fields],
            )
        self.errors = {k: translate(v, lang) for k, v in errors.items()}
        if errors:
            return rx.toast.error(translate("record.fix_errors", lang))
        await self._reload()
        return rx.toast.success(translate("admin.saved", lang))

    @rx.event
    @requires("custom_field", "manage")
    async def archive(self, field_id: int) -> Any:
        actor = await self._principal()
        with self._write_scope() as session:
            custom.archive_definition(session, actor=actor, field_id=int(field_id))
        await self._reload()
        return rx.toast.success(translate("admin.saved", await self._lang()))


class JobRow(TypedDict):
    name: str
    label: str
    every: str
    last: str
    status: str
    failed: bool
    result: str
    next: str


def _every(every: timedelta, lang: str) -> str:
    """A job's period as the jobs page says it: seconds under a minute (webhooks, 30 s)."""
    seconds = int(every.total_seconds())
    if seconds < 60:
        return translate("unit.seconds", lang, n=seconds)
    return translate("unit.minutes", lang, n=seconds // 60)


class JobsState(StaffState, rx.State):
    rows: list[JobRow] = []

    async def _reload(self) -> None:
        lang = await self._lang()
        zone = get_settings().zone
        with session_scope() as session:
            runs = jobs.last_runs(session)
            self.rows = []
            for item in jobs.registered():
                run = runs.get(item.name)
                self.rows.append(
                    {
                        "name": item.name,
                        "label": item.label(lang),
                        "every": _every(item.every, lang),
                        "last": _at(run.started_at if run else None, zone),
                        "status": translate(f"job.status.{run.status}", lang) if run else "—",
                        "failed": bool(run and run.status == "failed"),
                        "result": jobs.shown(run.result if run else "", lang)[:200],
                        "next": _at(jobs.next_run(session, item.name), zone),
                    }
                )

    @rx.event
    @requires("job", "view")
    async def load(self) -> None:
        await self._reload()

    @rx.event
    @requires("job", "manage")
    async def run_now(self, name: str) -> Any:
        lang = await self._lang()
        if name not in {j.name for j in jobs.registered()}:
            return rx.toast.error(translate("error.not_found", lang))
        caller = await self._caller()
        run = jobs.run_now(name, actor=caller.principal.username, client=caller.client)
        await self._reload()
        said = translate(
            "job.ran",
            lang,
            job=translate(f"job.{name}", lang),
            status=translate(f"job.status.{run.status}", lang),
            result=jobs.shown(run.result, lang)[:120],
        )
        return (rx.toast.error if run.status == "failed" else rx.toast.success)(said)
