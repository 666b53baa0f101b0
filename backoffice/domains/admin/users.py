"""Administration of staff accounts, roles and the permission matrix.

Every change is audited; disabling a user, resetting a password or TOTP and changing roles end
the affected sessions at once. Functions return i18n keys of problems (empty on success).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.i18n import translate
from backoffice.platform import audit
from backoffice.security import passwords, rbac, sessions
from models.base import utcnow
from models.hr import Employee
from models.identity import RecoveryCode, Role, RolePermission, StaffSession, User, UserRole

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")


def ensure_roles(session: Session) -> int:
    """Create any missing role with its default grants; existing roles keep their matrix."""
    existing = set(session.exec(select(Role.code)).all())
    created = 0
    for code in rbac.ROLES:
        if code in existing:
            continue
        role = Role(
            code=code,
            name_zh=translate(f"role.{code}", "zh"),
            name_en=translate(f"role.{code}", "en"),
        )
        session.add(role)
        session.flush()
        for resource, actions in rbac.DEFAULT_GRANTS.get(code, {}).items():
            for action in actions:
                session.add(RolePermission(role_id=role.id, resource=resource, action=action))
        created += 1
    if created:
        audit.record(
            session,
            actor="system",
            action="role.defaults_created",
            entity="role",
            changes={"roles": [None, created]},
        )
    return created


def _role_ids(session: Session, codes: list[str]) -> dict[str, int] | None:
    """The ids of roles a person may hold, or None when one is unknown or not a person's."""
    if not set(codes) <= set(rbac.STAFF_ROLES):
        return None
    rows = dict(session.exec(select(Role.code, Role.id).where(Role.code.in_(codes))).all())
    return rows if len(rows) == len(set(codes)) else None


def create_user(
    session: Session,
    *,
    actor: rbac.Principal | None,
    username: str,
    display_name: str,
    password: str,
    roles: list[str],
    email: str = "",
    employee_id: int | None = None,
) -> tuple[User | None, list[str]]:
    username = username.strip().lower()
    problems = []
    if not USERNAME.match(username):
        problems.append("user.username_invalid")
    elif session.exec(select(User.id).where(User.username == username)).first():
        problems.append("user.username_taken")
    if not display_name.strip():
        problems.append("user.display_name_required")
    problems += passwords.policy_problems(password, username)
    role_ids = _role_ids(session, roles)
    if role_ids is None or not roles:
        problems.append("user.roles_invalid")
    if problems:
        return None, problems
    user = User(
        username=username,
        display_name=display_name.strip()[:100],
        email=email.strip()[:200],
        password_hash=passwords.hash_password(password),
        password_changed_at=utcnow(),
        employee_id=employee_id,
    )
    session.add(user)
    session.flush()
    for role_id in role_ids.values():
        session.add(UserRole(user_id=user.id, role_id=role_id))
    audit.record(
        session,
        actor=actor.username if actor else "system",
        action="user.create",
        entity="user",
        entity_id=user.id,
        changes={"username": [None, username], "roles": [None, sorted(roles)]},
    )
    return user, []


def _user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id) if isinstance(user_id, int) else None


def set_active(session: Session, *, actor: rbac.Principal, user_id: int, active: bool) -> list[str]:
    user = _user(session, user_id)
    if user is None:
        return ["error.not_found"]
    if user.id == actor.user_id and not active:
        return ["user.cannot_disable_self"]
    if user.is_active == active:
        return []
    user.is_active = active
    user.version += 1
    session.add(user)
    ended = (
        0
        if active
        else sessions.revoke_all_for_user(session, user_id=user.id, reason="user disabled")
    )
    audit.record(
        session,
        actor=actor.username,
        action="user.enable" if active else "user.disable",
        entity="user",
        entity_id=user.id,
        changes={"is_active": [not active, active], "sessions_ended": [None, ended]},
    )
    return []


def reset_password(
    session: Session, *, actor: rbac.Principal, user_id: int, new_password: str
) -> list[str]:
    user = _user(session, user_id)
    if user is None:
        return ["error.not_found"]
    problems = passwords.policy_problems(new_password, user.username)
    if problems:
        return problems
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    user.version += 1
    session.add(user)
    ended = sessions.revoke_all_for_user(session, user_id=user.id, reason="password reset")
    audit.record(
        session,
        actor=actor.username,
        action="user.reset_password",
        entity="user",
        entity_id=user.id,
        changes={"sessions_ended": [None, ended]},
    )
    return []


def reset_totp(session: Session, *, actor: rbac.Principal, user_id: int) -> list[str]:
    user = _user(session, user_id)
    if user is None:
        return ["error.not_found"]
    user.totp_secret_cipher = ""
    user.totp_enrolled = False
    user.version += 1
    session.add(user)
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    ended = sessions.revoke_all_for_user(session, user_id=user.id, reason="totp reset")
    audit.record(
        session,
        actor=actor.username,
        action="user.reset_totp",
        entity="user",
        entity_id=user.id,
        changes={"sessions_ended": [None, ended]},
    )
    return []


def link_employee(
    session: Session, *, actor: rbac.Principal, user_id: int, employee_no: str
) -> list[str]:
    """Link a staff account to its employee record by employee number ("" unlinks): managers
    rate their reports and agents join their team's queue through this link."""
    user = _user(session, user_id)
    if user is None:
        return ["error.not_found"]
    employee_no = employee_no.strip().upper()[:20]
    employee_id = None
    if employee_no:
        employee_id = session.exec(
            select(Employee.id).where(Employee.employee_no == employee_no)
        ).first()
        if employee_id is None:
            return ["user.employee_not_found"]
        taken = session.exec(
            select(User.id).where(User.employee_id == employee_id, User.id != user.id)
        ).first()
        if taken is not None:
            return ["user.employee_taken"]
    if user.employee_id == employee_id:
        return []
    before = user.employee_id
    user.employee_id = employee_id
    user.version += 1
    session.add(user)
    audit.record(
        session,
        actor=actor.username,
        action="user.link_employee",
        entity="user",
        entity_id=user.id,  # type: ignore[arg-type]
        changes={"employee_id": [before, employee_id]},
    )
    return []


def set_roles(
    session: Session, *, actor: rbac.Principal, user_id: int, roles: list[str]
) -> list[str]:
    user = _user(session, user_id)
    role_ids = _role_ids(session, roles) if roles else None
    if user is None:
        return ["error.not_found"]
    if role_ids is None:
        return ["user.roles_invalid"]
    if user.id == actor.user_id and "admin" in actor.roles and "admin" not in roles:
        return ["user.cannot_drop_own_admin"]
    before = sorted(roles_of(session, user.id))
    if before == sorted(roles):
        return []
    session.execute(sa.delete(UserRole).where(UserRole.user_id == user.id))
    for role_id in role_ids.values():
        session.add(UserRole(user_id=user.id, role_id=role_id))
    user.version += 1
    session.add(user)
    ended = sessions.revoke_all_for_user(session, user_id=user.id, reason="roles changed")
    audit.record(
        session,
        actor=actor.username,
        action="user.set_roles",
        entity="user",
        entity_id=user.id,
        changes={"roles": [before, sorted(roles)], "sessions_ended": [None, ended]},
    )
    return []


def update_account(
    session: Session,
    *,
    actor: rbac.Principal,
    user_id: int,
    roles: list[str],
    employee_no: str | None,
    new_password: str,
) -> list[str]:
    """The account form: roles, the employee link (None: not on the form), a new password.
    All or nothing: on any problem none of it is kept."""
    savepoint = session.begin_nested()
    problems = set_roles(session, actor=actor, user_id=user_id, roles=roles)
    if not problems and employee_no is not None:
        problems = link_employee(session, actor=actor, user_id=user_id, employee_no=employee_no)
    if not problems and new_password:
        problems = reset_password(session, actor=actor, user_id=user_id, new_password=new_password)
    if problems:
        savepoint.rollback()
    else:
        savepoint.commit()
    return problems


@dataclass(frozen=True)
class AccountLink:
    user_id: int
    username: str
    employee_no: str


def account_link(session: Session, user_id: int) -> AccountLink | None:
    """An account and the number of the employee record it is linked to ("" if none)."""
    user = _user(session, user_id)
    if user is None:
        return None
    employee = session.get(Employee, user.employee_id) if user.employee_id else None
    return AccountLink(user.id, user.username, employee.employee_no if employee else "")  # type: ignore[arg-type]


def username_of(session: Session, user_id: int | None) -> str:
    user = _user(session, user_id)  # type: ignore[arg-type]
    return user.username if user else ""


def usernames(session: Session) -> dict[int, str]:
    return dict(session.exec(select(User.id, User.username)).all())  # type: ignore[arg-type]


def set_permission(
    session: Session,
    *,
    actor: rbac.Principal,
    role: str,
    resource: str,
    action: str,
    granted: bool,
) -> list[str]:
    """Grant or withdraw one cell of the matrix; it applies on every user's next event and
    every API client's next call (the role's version and last change move with it: API keys
    read a role's grants again only then)."""
    if resource not in rbac.RESOURCES or action not in rbac.ACTIONS:
        return ["role.permission_invalid"]
    role_row = session.exec(select(Role).where(Role.code == role)).first()
    if role_row is None:
        return ["error.not_found"]
    if role == "admin" and resource == "role" and action == "manage" and not granted:
        return ["role.cannot_lock_out_admin"]
    key = (role_row.id, resource, action)
    exists = session.get(RolePermission, key) is not None
    if exists == granted:
        return []
    if granted:
        session.add(RolePermission(role_id=role_row.id, resource=resource, action=action))
    else:
        session.execute(
            sa.delete(RolePermission).where(
                RolePermission.role_id == role_row.id,
                RolePermission.resource == resource,
                RolePermission.action == action,
            )
        )
    role_row.version += 1
    role_row.updated_at = utcnow()
    session.add(role_row)
    audit.record(
        session,
        actor=actor.username,
        action="role.grant" if granted else "role.revoke",
        entity="role",
        entity_id=role_row.id,
        changes={f"{resource}.{action}": [not granted, granted]},
    )
    return []


def roles_of(session: Session, user_id: int) -> list[str]:
    return list(
        session.exec(
            select(Role.code)
            .join(UserRole, UserRole.role_id == Role.id)
            .where(UserRole.user_id == user_id)
        ).all()
    )


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    roles: list[str]
    is_active: bool
    totp_enrolled: bool
    last_login: str


def list_users(session: Session) -> list[UserRow]:
    users = session.exec(select(User).order_by(User.username)).all()
    links = session.exec(
        select(UserRole.user_id, Role.code).join(Role, Role.id == UserRole.role_id)
    ).all()
    by_user: dict[int, list[str]] = {}
    for user_id, code in links:
        by_user.setdefault(user_id, []).append(code)
    return [
        UserRow(
            u.id,
            u.username,
            u.display_name,
            sorted(by_user.get(u.id, [])),
            u.is_active,
            u.totp_enrolled,
            u.last_login_at.isoformat(timespec="minutes") if u.last_login_at else "",
        )
        for u in users
    ]


def matrix(session: Session, role: str) -> set[tuple[str, str]]:
    return set(
        session.exec(
            select(RolePermission.resource, RolePermission.action)
            .join(Role, Role.id == RolePermission.role_id)
            .where(Role.code == role)
        ).all()
    )


def revoke_session(session: Session, *, actor: rbac.Principal, session_id: int) -> list[str]:
    row = session.get(StaffSession, session_id) if isinstance(session_id, int) else None
    if row is None:
        return ["error.not_found"]
    if sessions.revoke(session, session_id=session_id, reason="revoked by admin"):
        audit.record(
            session,
            actor=actor.username,
            action="session.revoke",
            entity="staff_session",
            entity_id=session_id,
            changes={"user_id": [None, row.user_id]},
        )
    return []
