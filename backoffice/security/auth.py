"""Sign-in (password, then TOTP or enrolment), step-up, sign-out and resolving the caller.

Every outcome is audited. Messages are i18n keys; an unknown user, a wrong password and a
disabled account get the same answer in about the same time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.platform import audit, notifications
from backoffice.security import fields, passwords, rbac, sessions, throttle, totp
from models.base import utcnow
from models.identity import RecoveryCode, Role, RolePermission, StaffSession, User, UserRole

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class PasswordResult:
    """``next_step`` is "totp", "enrol" or "" (refused, see ``message``)."""

    next_step: str
    user_id: int | None = None
    message: str = ""


@dataclass(frozen=True)
class SecondFactorResult:
    token: str = ""
    message: str = ""
    recovery_codes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.token)


def _locked_out(
    session: Session, username: str, client: str, until: datetime, user_id: int | None = None
) -> None:
    """A pair locked: audited (the burst rule watches these) and told to the administrators
    and to the account's owner, who learns that someone is guessing their password."""
    audit.record(
        session,
        actor=username[:100] or "?",
        action="auth.locked_out",
        entity="user",
        entity_id=user_id,
        changes={"locked_until": [None, until.isoformat(timespec="seconds")]},
        client=client,
    )
    if user_id is None:
        user_id = session.exec(select(User.id).where(User.username == username)).first()
    dedupe = f"auth.locked_out:{until.isoformat(timespec='seconds')}:{username[:64]}:{client[:80]}"
    title_zh = f"账户 {username[:64]} 在地址 {client[:80]} 多次登录失败，该地址已被暂时锁定"
    title_en = (
        f"Repeated failed sign-ins to {username[:64]} from {client[:80]}: "
        "that address is locked for a while"
    )
    notifications.notify(
        session,
        kind="sign_in",
        role=ADMIN_ROLE,
        severity="warning",
        link="/audit?preset=security",
        dedupe_key=f"{dedupe}:admins",
        title_zh=title_zh,
        title_en=title_en,
    )
    if user_id is not None:
        notifications.notify(
            session,
            kind="sign_in",
            user_id=user_id,
            severity="warning",
            dedupe_key=f"{dedupe}:owner",
            title_zh=title_zh + "。如果不是您本人，请联系管理员。",
            title_en=title_en + ". If this was not you, tell an administrator.",
        )


def _refuse(session: Session, username: str, client: str, reason: str) -> PasswordResult:
    locked_until = throttle.register_failure(session, username, client)
    audit.record(
        session,
        actor=username[:100] or "?",
        action="auth.sign_in_failed",
        entity="user",
        changes={"reason": [None, reason]},
        client=client,
    )
    if locked_until is not None:
        _locked_out(session, username, client, locked_until)
    return PasswordResult("", message="login.failed")


def check_password(
    session: Session, *, username: str, password: str, client: str
) -> PasswordResult:
    username = username.strip()[:64]
    if not username or not password:
        return PasswordResult("", message="login.required")
    refused = throttle.refusal(session, username, client)
    if refused:
        passwords.burn_time(password)
        audit.record(
            session,
            actor=username,
            action="auth.sign_in_while_locked",
            entity="user",
            changes={"reason": [None, refused]},
            client=client,
        )
        return PasswordResult("", message=refused)
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        passwords.burn_time(password)
        return _refuse(session, username, client, "unknown user")
    if not passwords.verify_password(password, user.password_hash):
        return _refuse(session, username, client, "wrong password")
    if not user.is_active:
        return _refuse(session, username, client, "disabled")
    return PasswordResult("totp" if user.totp_enrolled else "enrol", user_id=user.id)


def _accept_step(session: Session, user_id: int, step: int) -> bool:
    """Consume a TOTP step: only one request can move ``totp_last_step`` past it."""
    result = session.execute(
        sa.update(User)
        .where(User.id == user_id, User.totp_last_step < step)
        .values(totp_last_step=step)
    )
    return result.rowcount == 1


def _active_user(session: Session, user_id: int | None) -> User | None:
    user = session.get(User, user_id) if user_id else None
    return user if user is not None and user.is_active else None


def _second_factor_failed(session: Session, user: User, client: str, reason: str) -> None:
    locked_until = throttle.register_failure(session, user.username, client)
    audit.record(
        session,
        actor=user.username,
        action="auth.totp_failed",
        entity="user",
        entity_id=user.id,
        changes={"reason": [None, reason]},
        client=client,
    )
    if locked_until is not None:
        _locked_out(session, user.username, client, locked_until, user.id)


def _signed_in(session: Session, user: User, client: str, user_agent: str, how: str) -> str:
    throttle.clear_pair(session, user.username, client)
    user.last_login_at = utcnow()
    session.add(user)
    token = sessions.create(session, user=user, client=client, user_agent=user_agent)
    audit.record(
        session,
        actor=user.username,
        action="auth.signed_in",
        entity="user",
        entity_id=user.id,
        changes={"factor": [None, how]},
        client=client,
    )
    return token


def verify_totp(
    session: Session, *, user_id: int | None, code: str, client: str, user_agent: str = ""
) -> SecondFactorResult:
    user = _active_user(session, user_id)
    if user is None or not user.totp_enrolled:
        return SecondFactorResult(message="login.start_again")
    refused = throttle.refusal(session, user.username, client)
    if refused:
        return SecondFactorResult(message=refused)
    step = totp.matching_step(fields.decrypt(user.totp_secret_cipher), code)
    if step is None:
        _second_factor_failed(session, user, client, "wrong code")
        return SecondFactorResult(message="login.totp_wrong")
    if not _accept_step(session, user.id, step):
        _second_factor_failed(session, user, client, "code replayed")
        return SecondFactorResult(message="login.totp_used")
    return SecondFactorResult(token=_signed_in(session, user, client, user_agent, "totp"))


def verify_recovery_code(
    session: Session, *, user_id: int | None, code: str, client: str, user_agent: str = ""
) -> SecondFactorResult:
    user = _active_user(session, user_id)
    if user is None or not user.totp_enrolled:
        return SecondFactorResult(message="login.start_again")
    refused = throttle.refusal(session, user.username, client)
    if refused:
        return SecondFactorResult(message=refused)
    used = session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == totp.hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:
        _second_factor_failed(session, user, client, "wrong recovery code")
        return SecondFactorResult(message="login.recovery_wrong")
    audit.record(
        session,
        actor=user.username,
        action="auth.recovery_code_used",
        entity="user",
        entity_id=user.id,
        client=client,
    )
    return SecondFactorResult(token=_signed_in(session, user, client, user_agent, "recovery"))


def confirm_enrolment(
    session: Session,
    *,
    user_id: int | None,
    secret: str,
    code: str,
    client: str,
    user_agent: str = "",
) -> SecondFactorResult:
    """Save the new TOTP key once the user proves it works; returns ten recovery codes."""
    user = _active_user(session, user_id)
    if user is None or user.totp_enrolled or not secret:
        return SecondFactorResult(message="login.start_again")
    step = totp.matching_step(secret, code)
    if step is None:
        _second_factor_failed(session, user, client, "wrong enrolment code")
        return SecondFactorResult(message="login.totp_wrong")
    user.totp_secret_cipher = fields.encrypt(secret)
    user.totp_enrolled = True
    user.totp_last_step = step
    user.version += 1
    session.add(user)
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    for plain in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=totp.hash_recovery_code(plain)))
    audit.record(
        session,
        actor=user.username,
        action="auth.totp_enrolled",
        entity="user",
        entity_id=user.id,
        client=client,
    )
    token = _signed_in(session, user, client, user_agent, "totp-enrolment")
    return SecondFactorResult(token=token, recovery_codes=codes)


def resolve(session: Session, token: str) -> rbac.Principal | None:
    """Who is calling: from the session token alone, checked on every event (two small
    indexed queries: the session with its user, the roles with their grants)."""
    row = sessions.live(session, token)
    if row is None:
        return None
    if not row.user_active:
        sessions.revoke(session, session_id=row.id, reason="user disabled")
        return None
    grants = session.exec(
        select(Role.code, RolePermission.resource, RolePermission.action)
        .select_from(UserRole)
        .join(Role, Role.id == UserRole.role_id)
        .outerjoin(RolePermission, RolePermission.role_id == Role.id)
        .where(UserRole.user_id == row.user_id, Role.archived_at.is_(None))
    ).all()
    return rbac.Principal(
        user_id=row.user_id,
        username=row.username,
        display_name=row.display_name,
        session_id=row.id,
        roles=frozenset(code for code, _r, _a in grants),
        permissions=frozenset((r, a) for _c, r, a in grants if r is not None),
        totp_verified_at=row.totp_verified_at,
    )


def record_refusal(
    session: Session,
    *,
    actor: str,
    permission: tuple[str, str],
    handler: str,
    reason: str,
    client: str,
) -> None:
    """A call refused by the guard: one ``access.denied`` entry naming what was missing."""
    audit.record(
        session,
        actor=actor,
        action="access.denied",
        entity="handler",
        entity_id=handler[:64],
        changes={"permission": [None, ".".join(permission)], "reason": [None, reason]},
        client=client,
    )


def needs_step_up(principal: rbac.Principal) -> bool:
    verified = principal.totp_verified_at
    return verified is None or utcnow() - verified > timedelta(seconds=rbac.STEP_UP_SECONDS)


def step_up(session: Session, *, principal: rbac.Principal, code: str, client: str) -> str:
    """Re-check a TOTP code for a sensitive action; returns "" or an i18n message key."""
    user = _active_user(session, principal.user_id)
    if user is None:
        return "login.start_again"
    refused = throttle.refusal(session, user.username, client)
    if refused:
        return refused
    step = totp.matching_step(fields.decrypt(user.totp_secret_cipher), code)
    if step is None or not _accept_step(session, user.id, step):
        _second_factor_failed(session, user, client, "step-up refused")
        return "login.totp_wrong" if step is None else "login.totp_used"
    sessions.mark_totp_verified(session, session_id=principal.session_id)
    audit.record(
        session,
        actor=user.username,
        action="auth.step_up",
        entity="user",
        entity_id=user.id,
        client=client,
    )
    return ""


def claim_code(token: str) -> str:
    """The single-use code the signed-in page exchanges at ``/auth/claim`` for its cookie."""
    return sessions.claim_code(token)


def claim(session: Session, *, code: str, client: str) -> str | None:
    """The token for the browser's HttpOnly cookie, once per claim code; None when refused."""
    claimed = sessions.claim(session, code)
    if claimed is None:
        return None
    token, session_id = claimed
    row = sessions.live(session, token)
    if row is None:
        return None
    audit.record(
        session,
        actor=row.username,
        action="auth.session_claimed",
        entity="staff_session",
        entity_id=session_id,
        client=client,
    )
    return token


def sign_out(session: Session, *, token: str, client: str) -> None:
    row = sessions.live(session, token)
    if row is None:
        return
    sessions.revoke(session, session_id=row.id, reason="signed out")
    audit.record(
        session,
        actor=row.username,
        action="auth.signed_out",
        entity="staff_session",
        entity_id=row.id,
        client=client,
    )


def change_password(
    session: Session, *, principal: rbac.Principal, current: str, new: str, client: str
) -> list[str]:
    """Change one's own password; other sessions end. Returns i18n keys of problems."""
    user = _active_user(session, principal.user_id)
    if user is None:
        return ["login.start_again"]
    if not passwords.verify_password(current, user.password_hash):
        audit.record(
            session,
            actor=user.username,
            action="auth.password_change_refused",
            entity="user",
            entity_id=user.id,
            client=client,
        )
        return ["password.current_wrong"]
    problems = passwords.policy_problems(new, user.username)
    if problems:
        return problems
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    user.version += 1
    session.add(user)
    ended = sessions.revoke_all_for_user(
        session, user_id=user.id, reason="password changed", except_session_id=principal.session_id
    )
    audit.record(
        session,
        actor=user.username,
        action="auth.password_changed",
        entity="user",
        entity_id=user.id,
        changes={"sessions_ended": [None, ended]},
        client=client,
    )
    return []


def live_sessions(session: Session) -> list[StaffSession]:
    now = utcnow()
    return list(
        session.exec(
            select(StaffSession)
            .where(StaffSession.revoked_at.is_(None), StaffSession.expires_at > now)
            .order_by(StaffSession.last_seen_at.desc())
        ).all()
    )


def unlock(session: Session, *, username: str, operator: str, reason: str) -> int:
    """The emergency procedure (``python -m backoffice unlock USER --reason …`` on the server):
    every sign-in counter of the account goes, from every address. Audited with the operating
    system's user as the actor. Returns how many counters were cleared; ValueError for a blank
    reason or an unknown user."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a reason is required")
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None:
        raise ValueError(f"no user named {username!r}")
    cleared = throttle.clear_account(session, user.username)
    audit.record(
        session,
        actor=f"os:{operator}"[:100],
        action="auth.unlocked",
        entity="user",
        entity_id=user.id,
        changes={"reason": [None, reason[:500]], "counters_cleared": [None, cleared]},
        client="cli",
    )
    return cleared
