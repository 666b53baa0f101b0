"""Staff accounts, roles, the permission matrix, sign-in sessions and brute-force throttles."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import EditableBase, TableBase, code_field, time_field


class User(EditableBase, table=True):
    __tablename__ = "app_user"

    username: str = code_field(64, unique=True, index=True)
    display_name: str = code_field(100)
    email: str = code_field(200, default="")
    password_hash: str = code_field(255)
    password_changed_at: datetime | None = time_field(None)
    totp_secret_cipher: str = Field(default="", sa_type=sa.Text)
    totp_enrolled: bool = False
    totp_last_step: int = Field(default=0, sa_type=sa.BigInteger)
    is_active: bool = True
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    language: str = code_field(2, default="zh")
    last_login_at: datetime | None = time_field(None)


class Role(EditableBase, table=True):
    __tablename__ = "role"

    code: str = code_field(40, unique=True)
    name_zh: str = code_field(100)
    name_en: str = code_field(100)


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    role_id: int = Field(foreign_key="role.id", primary_key=True)


class RolePermission(SQLModel, table=True):
    __tablename__ = "role_permission"

    role_id: int = Field(foreign_key="role.id", primary_key=True)
    resource: str = Field(sa_type=sa.String(40), primary_key=True)
    action: str = Field(sa_type=sa.String(20), primary_key=True)


class RecoveryCode(TableBase, table=True):
    __tablename__ = "recovery_code"

    user_id: int = Field(foreign_key="app_user.id", index=True)
    code_hash: str = code_field(64)
    used_at: datetime | None = time_field(None)


class StaffSession(TableBase, table=True):
    """A signed-in browser: the browser holds the token, the server only its SHA-256."""

    __tablename__ = "staff_session"

    token_hash: str = code_field(64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    last_seen_at: datetime = time_field()
    expires_at: datetime = time_field()
    totp_verified_at: datetime = time_field()
    revoked_at: datetime | None = time_field(None, index=True)
    revoked_reason: str = code_field(40, default="")
    client: str = code_field(100, default="")
    user_agent: str = code_field(300, default="")


class LoginThrottle(SQLModel, table=True):
    """Failed sign-in attempts per account and per client address, with lockout."""

    __tablename__ = "login_throttle"

    key: str = Field(sa_type=sa.String(200), primary_key=True)
    failures: int = 0
    window_started_at: datetime = time_field()
    locked_until: datetime | None = time_field(None)
