"""Alerts from the audit trail: bursts of reveals or exports by one person, lockout storms, and
a broken chain. Compliance is told once per burst or break (a notification, and a log line).

The burst rule runs when such an entry is recorded (``audit.record`` calls
:func:`after_record` only for the actions below, so the ordinary append runs no extra query).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.platform import audit, like, notifications
from models.audit import AuditEntry
from models.base import utcnow
from models.notifications import Notification

log = logging.getLogger("backoffice.audit")

REVEAL_ACTIONS = ("customer.reveal", "kyc_case.reveal")


@dataclass(frozen=True)
class BurstRule:
    kind: str
    count: int  # this many entries…
    window: timedelta  # …within this long
    per_person: bool  # by one person (False: by anyone, e.g. a lockout storm)
    label_zh: str
    label_en: str


REVEAL_BURST = BurstRule("reveal", 10, timedelta(minutes=15), True, "查看明文", "reveals")
EXPORT_BURST = BurstRule("export", 10, timedelta(minutes=15), True, "导出", "exports")
LOCKOUT_STORM = BurstRule("lockout", 5, timedelta(minutes=10), False, "账户锁定", "lockouts")
ALERT_ROLE = "compliance"


def rule_for(action: str) -> BurstRule | None:
    if action in REVEAL_ACTIONS:
        return REVEAL_BURST
    if action == "auth.locked_out":
        return LOCKOUT_STORM
    if audit.is_export(action):
        return EXPORT_BURST
    return None


def _matches(rule: BurstRule) -> sa.ColumnElement[bool]:
    if rule is REVEAL_BURST:
        return AuditEntry.action.in_(REVEAL_ACTIONS)
    if rule is LOCKOUT_STORM:
        return AuditEntry.action == "auth.locked_out"
    return sa.or_(
        *(like.ends_with(AuditEntry.action, suffix) for suffix in audit.EXPORT_SUFFIXES),
        AuditEntry.action.in_(audit.EXPORT_EXTRA_ACTIONS),
    )


def after_record(session: Session, entry: AuditEntry) -> bool:
    """Tell compliance when this entry completes a burst; once per burst. True if told."""
    rule = rule_for(entry.action)
    if rule is None:
        return False
    since = utcnow() - rule.window
    who = entry.actor if rule.per_person else "*"
    query = (
        select(sa.func.count())
        .select_from(AuditEntry)
        .where(_matches(rule), AuditEntry.at >= since)
    )
    if rule.per_person:
        query = query.where(AuditEntry.actor == entry.actor)
    if session.exec(query).one() < rule.count:
        return False
    prefix = f"audit.burst:{rule.kind}:{who}:"
    already = session.exec(
        select(Notification.id).where(
            like.starts_with(Notification.dedupe_key, prefix),
            Notification.created_at >= since,
        )
    ).first()
    if already is not None:  # this burst was reported; a new one starts after a quiet window
        return False
    minutes = int(rule.window.total_seconds() // 60)
    subject_zh = f"{entry.actor} " if rule.per_person else ""
    subject_en = f"{entry.actor}: " if rule.per_person else ""
    log.warning("audit burst: %s %s within %d min (%s)", rule.count, rule.kind, minutes, who)
    return notifications.notify(
        session,
        kind="audit_alert",
        role=ALERT_ROLE,
        severity="critical",
        link=f"/audit?actor={entry.actor}" if rule.per_person else "/audit?preset=security",
        dedupe_key=f"{prefix}{entry.id}",
        title_zh=f"异常集中操作：{subject_zh}{minutes} 分钟内 {rule.count} 次以上{rule.label_zh}",
        title_en=f"Burst: {subject_en}{rule.count}+ {rule.label_en} within {minutes} minutes",
    )


def report_break(session: Session, report: audit.ChainReport) -> bool:
    """Tell compliance and administrators that the chain is broken; once per break (where it
    breaks and why). True if they were told now."""
    log.error(
        "audit chain BROKEN at entry %s: %s (%d entries verified before it)",
        report.first_broken_id,
        report.reason,
        report.checked,
    )
    told = False
    for role in (ALERT_ROLE, "admin"):
        told |= notifications.notify(
            session,
            kind="audit_alert",
            role=role,
            severity="critical",
            link="/audit",
            dedupe_key=f"audit.break:{role}:{report.first_broken_id}:{report.reason}",
            title_zh=f"审计链校验失败：第 {report.first_broken_id} 条（{report.reason}）",
            title_en=f"Audit chain broken at entry {report.first_broken_id}: {report.reason}",
        )
    return told
