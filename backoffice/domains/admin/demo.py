"""Demo data: the roles with their default matrix and one demo account per role."""

from __future__ import annotations

from sqlmodel import select

from backoffice.db import session_scope
from backoffice.domains.admin import users
from models.identity import User

DEMO_PASSWORD = "Licai-Demo-2026"  # noqa: S105  (demo accounts only)
DEMO_USERS: list[tuple[str, str, list[str]]] = [
    ("admin", "王强（系统管理员）", ["admin"]),
    ("pm.li", "李娜", ["product_manager"]),
    ("pm.zhao", "赵磊", ["product_manager"]),
    ("mkt.chen", "陈静", ["marketing"]),
    ("mkt.lin", "林晓", ["marketing"]),
    ("kyc.liu", "刘洋", ["compliance"]),
    ("kyc.sun", "孙悦", ["compliance"]),
    ("cs.zhou", "周婷", ["cs_agent"]),
    ("cs.he", "何静", ["cs_agent"]),
    ("cs.wu", "吴昊", ["cs_lead"]),
    ("hr.zheng", "郑敏", ["hr"]),
    ("hr.qian", "钱芳", ["hr"]),
    ("ceo.huang", "黄伟", ["executive"]),
    ("pmo.xu", "徐涛", ["pmo"]),
    ("pmo.gao", "高翔", ["pmo"]),
]


def prepare() -> int:
    """The roles with their default matrix, and the demo accounts (first time only); on every
    seed, before it looks whether the demo data is there."""
    created = 0
    with session_scope(write=True) as session:
        users.ensure_roles(session)
        if session.exec(select(User.id)).first() is not None:
            return 0
        for username, name, roles in DEMO_USERS:
            _user, problems = users.create_user(
                session,
                actor=None,
                username=username,
                display_name=name,
                password=DEMO_PASSWORD,
                roles=roles,
                email=f"{username}@wealth.example.cn",
            )
            if problems:
                raise RuntimeError(f"demo user {username}: {problems}")
            created += 1
    return created
