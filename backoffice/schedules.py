"""Every module's scheduled jobs, in one place (the scheduler imports this module)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from backoffice.db import engine, refresh_statistics
from backoffice.jobs import job
from backoffice.services import (
    audit,
    audit_alerts,
    audit_anchor,
    campaigns,
    hr,
    kpi,
    kyc,
    notifications,
    products,
    projects,
    risk,
    screening,
    suitability,
    tickets,
)
from backoffice.services.business_time import local_today
from backoffice.services.partners import EXPIRY_WARNINGS
from models.jobs import JobRun
from models.partners import Partner, PartnerStatus


@job("campaigns.schedule", timedelta(minutes=1), "营销活动自动开始/结束", "Campaigns start/end")
def campaign_schedule(session: Session) -> str:
    return campaigns.advance_schedule(session)


@job(
    "products.apply_changes",
    timedelta(minutes=1),
    "产品变更定时生效",
    "Product changes take effect",
)
def product_changes(session: Session) -> str:
    return products.apply_due_changes(session)


@job("partners.contract_expiry", timedelta(hours=1), "合同到期提醒", "Contract expiry warnings")
def contract_expiry(session: Session) -> str:
    """Warn product managers 30 and 7 days before a partner's contract ends (once each)."""
    today = local_today()
    posted = 0
    partners = session.exec(
        select(Partner).where(
            Partner.status == PartnerStatus.ACTIVE,
            Partner.archived_at.is_(None),
            Partner.contract_end.is_not(None),
            Partner.contract_end <= today + timedelta(days=max(EXPIRY_WARNINGS)),
        )
    ).all()
    for partner in partners:
        days_left = (partner.contract_end - today).days
        window = min((d for d in EXPIRY_WARNINGS if days_left <= d), default=None)
        if window is None or days_left < 0:
            continue
        posted += notifications.notify(
            session,
            kind="contract",
            role="product_manager",
            severity="critical" if window == 7 else "warning",
            link=f"/r/partner/record?id={partner.id}",
            dedupe_key=f"partner:{partner.id}:contract:{partner.contract_end}:{window}",
            title_zh=f"{partner.name} 的合同将于 {partner.contract_end} 到期（剩 {days_left} 天）",
            title_en=f"{partner.name}: contract ends {partner.contract_end} ({days_left} days)",
        )
    return f"{len(partners)} contracts ending soon, {posted} new warnings"


@job(
    "database.statistics", timedelta(hours=24), "数据库统计信息刷新", "Refresh database statistics"
)
def statistics(_session: Session) -> str:
    refresh_statistics(engine())
    return "analyzed"


@job("kyc.sla", timedelta(minutes=5), "KYC 案件超时升级", "KYC cases past their SLA escalate")
def kyc_sla(session: Session) -> str:
    return kyc.escalate_overdue(session)


@job("kyc.periodic_review", timedelta(hours=24), "定期重新识别（复核）", "Periodic re-KYC")
def kyc_periodic(session: Session) -> str:
    return kyc.open_periodic_reviews(session)


@job("kyc.rescreen", timedelta(minutes=30), "名单变更后全量重筛", "Re-screen after list changes")
def kyc_rescreen(session: Session) -> str:
    """Screen every customer again when a watch list changed since the last full screening."""
    last = session.exec(
        select(JobRun.started_at)
        .where(JobRun.name == "kyc.rescreen", JobRun.status == "ok")
        .where(JobRun.result.startswith("screened"))
        .order_by(JobRun.started_at.desc())
    ).first()
    if not screening.lists_changed_since(session, last):
        return "lists unchanged"
    return screening.rescreen_all(session)


@job(
    "suitability.reviews",
    timedelta(hours=24),
    "不再适当的持仓进入合规复核",
    "Holdings that became unsuitable go to compliance review",
)
def suitability_reviews(session: Session) -> str:
    return suitability.queue_unsuitable_holdings(session)


@job("risk.indicators", timedelta(minutes=15), "风险指标评估与预警", "Risk indicators and alerts")
def risk_indicators(session: Session) -> str:
    return risk.evaluate_all(session)


@job("tickets.sla_escalation", timedelta(minutes=5), "工单超时升级", "Ticket SLA escalation")
def ticket_escalation(session: Session) -> str:
    return tickets.escalate_breaches(session)


@job("tickets.auto_close", timedelta(hours=1), "已解决工单自动关闭", "Resolved tickets close")
def ticket_auto_close(session: Session) -> str:
    return tickets.close_resolved(session)


@job(
    "projects.milestone_alerts",
    timedelta(hours=1),
    "里程碑逾期与风险预警",
    "Overdue and at-risk milestone alerts",
)
def milestone_alerts(session: Session) -> str:
    return projects.milestone_alerts(session)


@job("hr.promotions", timedelta(hours=1), "晋升到期生效", "Promotions take effect")
def promotions(session: Session) -> str:
    applied = hr.apply_due_promotions(session, hr.local_today())
    return f"{applied} applied"


@job("kpi.snapshots", timedelta(hours=6), "KPI 每日快照", "KPI daily snapshots")
def kpi_snapshots(session: Session) -> str:
    return kpi.take_snapshots(session)


@job("kpi.alerts", timedelta(minutes=15), "KPI 预警检查", "KPI alert rules")
def kpi_alerts(session: Session) -> str:
    return kpi.evaluate_alerts(session)


@job("kpi.weekly_report", timedelta(hours=6), "KPI 周报", "Weekly KPI report")
def kpi_weekly_report(session: Session) -> str:
    return kpi.weekly_report(session)


@job("audit.checkpoint", timedelta(minutes=10), "审计链签名检查点", "Audit chain checkpoints")
def audit_checkpoint(session: Session) -> str:
    """A signed checkpoint of the chain's head outside the database, when the head moved (the
    entries since the last one verified first; a break is reported, not anchored)."""
    try:
        written = audit_anchor.write_checkpoint(session)
    except audit_anchor.ChainBroken as broken:
        audit_alerts.report_break(session, broken.report)
        return f"not written: chain broken at entry {broken.report.first_broken_id}"
    except audit_anchor.CheckpointError as error:
        audit_alerts.report_break(session, audit.ChainReport(0, 0, f"checkpoint file: {error}"))
        return f"not written: {error}"
    if written is None:
        return "head unchanged"
    return f"checkpoint {written.seq} at entry {written.entry_id}"


@job("audit.verify", timedelta(hours=1), "审计链完整性校验", "Audit chain verification")
def audit_verify(session: Session) -> str:
    """The whole chain with its keys and against every signed checkpoint; a break tells
    compliance and administrators once."""
    checked = audit_anchor.verify(session)
    if checked.ok:
        return f"intact: {checked.report.checked} entries, {checked.checkpoints} checkpoints"
    audit_alerts.report_break(session, checked.report)
    return f"BROKEN at entry {checked.report.first_broken_id}: {checked.report.reason}"
