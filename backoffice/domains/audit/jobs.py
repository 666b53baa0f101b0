"""The audit chain: signed checkpoints outside the database, and its verification."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.audit import alerts as audit_alerts
from backoffice.domains.audit import anchor as audit_anchor
from backoffice.platform import audit
from backoffice.platform.jobs import Outcome, job


@job("audit.checkpoint", timedelta(minutes=10))
def audit_checkpoint(session: Session) -> str:
    """A signed checkpoint of the chain's head outside the database, when the head moved (the
    entries since the last one verified first; a break is reported, not anchored)."""
    try:
        written = audit_anchor.write_checkpoint(session)
    except audit_anchor.ChainBroken as broken:
        audit_alerts.report_break(session, broken.report)
        return Outcome("job.result.audit.chain_broken", entry=broken.report.first_broken_id)
    except audit_anchor.CheckpointError as error:
        audit_alerts.report_break(session, audit.ChainReport(0, 0, f"checkpoint file: {error}"))
        return Outcome("job.result.audit.not_written", error=str(error))
    if written is None:
        return Outcome("job.result.audit.head_unchanged")
    return Outcome("job.result.audit.checkpoint", seq=written.seq, entry=written.entry_id)


@job("audit.verify", timedelta(hours=1))
def audit_verify(session: Session) -> str:
    """The whole chain with its keys and against every signed checkpoint; a break tells
    compliance and administrators once."""
    checked = audit_anchor.verify(session)
    if checked.ok:
        return Outcome(
            "job.result.audit.intact",
            checked=checked.report.checked,
            checkpoints=checked.checkpoints,
        )
    audit_alerts.report_break(session, checked.report)
    return Outcome(
        "job.result.audit.broken",
        entry=checked.report.first_broken_id,
        reason=str(checked.report.reason),
    )
