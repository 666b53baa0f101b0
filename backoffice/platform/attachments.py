"""The one attachment store: files live under the data directory (never in the public upload
folder), named by their SHA-256, and are read only through a permission-checked call.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.engine import service
from backoffice.engine.resource import Resource
from backoffice.platform import audit
from backoffice.security.rbac import Principal
from models.attachments import Attachment
from models.base import utcnow

MAX_BYTES = 20 * 1024 * 1024
# extension → (content type, the bytes a real file of that kind starts with)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK",)),
    ".csv": ("text/csv", ()),
    ".txt": ("text/plain", ()),
}


def store_dir() -> Path:
    return get_settings().data_dir / "attachments"


def _path(sha256: str) -> Path:
    return store_dir() / sha256[:2] / sha256


def _clean_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip()
    return "".join(c for c in name if c.isprintable() and c not in '<>:"|?*')[:255]


def read_stored(sha256: str) -> bytes:
    """Bytes the portal itself stored (e.g. a generated report), checked against their hash.
    Callers check the permission: these files belong to no record's attachments."""
    data = _path(sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise service.EngineError("attachment.corrupt")
    return data


def store(data: bytes) -> str:
    """Put the bytes in the content-addressed store (once); returns their SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    path = _path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.replace(path)
    return digest


def add(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    record_id: int,
    filename: str,
    data: bytes,
    category: str = "",
    client: str = "",
) -> tuple[Attachment | None, str]:
    """Attach a file to a record the caller may edit; returns (attachment, i18n problem).
    ``client``: the caller's address, for the audit entry."""
    if not principal.can(resource.permission, "edit"):
        raise service.EngineError("auth.denied")
    record = service.load(session, principal=principal, resource=resource, record_id=record_id)
    return receive(
        session,
        actor=principal.username,
        resource=resource,
        record=record,
        filename=filename,
        data=data,
        category=category,
        client=client,
    )


def file_problem(resource: Resource, filename: str, data: bytes, category: str = "") -> str:
    """Why this file may not be attached to a record of ``resource`` (an i18n key), or ""."""
    categories = set(resource.attachment_categories)
    if categories and category not in categories:
        return "attachment.category"
    suffix = Path(_clean_name(filename)).suffix.lower()
    if suffix not in ALLOWED:
        return "attachment.type"
    if not data:
        return "attachment.empty"
    if len(data) > MAX_BYTES:
        return "attachment.too_large"
    _content_type, signatures = ALLOWED[suffix]
    if signatures and not any(data.startswith(s) for s in signatures):
        return "attachment.content_mismatch"
    return ""


def receive(
    session: Session,
    *,
    actor: str,
    resource: Resource,
    record: Any,
    filename: str,
    data: bytes,
    category: str = "",
    client: str = "",
) -> tuple[Attachment | None, str]:
    """Attach a file to a record whose caller's right to it was checked already (``add`` for
    staff; a customer-platform flow for its own customer's records); audited as ``actor``."""
    problem = file_problem(resource, filename, data, category)
    if problem:
        return None, problem
    if not resource.attachment_categories:
        category = ""
    name = _clean_name(filename)
    content_type, _signatures = ALLOWED[Path(name).suffix.lower()]
    digest = store(data)
    attachment = Attachment(
        resource=resource.key,
        record_id=record.id,
        category=category,
        filename=name,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=actor,
    )
    session.add(attachment)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"{resource.key}.attach",
        entity=resource.key,
        entity_id=record.id,
        changes={
            "attachment": [None, f"{category or '-'}: {name} ({len(data):,} B, {digest[:12]})"],
            # a file is content: a record awaiting approval goes back to preparation
            **service.send_back_for_content(session, resource, record),
        },
        client=client,
    )
    return attachment, ""


def current_categories(session: Session, resource: Resource, record_id: int) -> set[str]:
    """The document kinds a record has at least one live attachment of."""
    return set(
        session.exec(
            select(Attachment.category).where(
                Attachment.resource == resource.key,
                Attachment.record_id == record_id,
                Attachment.archived_at.is_(None),
            )
        ).all()
    )


def listing(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    record_id: int,
    archived: bool = False,
) -> list[Attachment]:
    service.load(session, principal=principal, resource=resource, record_id=record_id)
    query = select(Attachment).where(
        Attachment.resource == resource.key, Attachment.record_id == record_id
    )
    query = query.where(
        Attachment.archived_at.is_not(None) if archived else Attachment.archived_at.is_(None)
    )
    return list(session.exec(query.order_by(Attachment.id.desc())).all())


@dataclass(frozen=True)
class FileContent:
    filename: str
    content_type: str
    data: bytes


def read(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    attachment_id: int,
    purpose: str = "download",
    client: str = "",
) -> FileContent:
    """The file, for a caller who may view the record it belongs to (row scope included).
    ``purpose`` names the audited access: "download", "view" (opened in the page) or "" for
    turning the pages of a document whose opening was audited. An archived (removed) file is no
    longer the record's: it is refused as a missing one, whoever asks (no screen lists it)."""
    attachment = session.get(Attachment, attachment_id) if isinstance(attachment_id, int) else None
    if (
        attachment is None
        or attachment.resource != resource.key
        or attachment.archived_at is not None
    ):
        raise service.EngineError("error.not_found")
    service.load(session, principal=principal, resource=resource, record_id=attachment.record_id)
    data = _path(attachment.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise service.EngineError("attachment.corrupt")
    if purpose:
        audit.record(
            session,
            actor=principal.username,
            action=f"{resource.key}.{purpose}",
            entity=resource.key,
            entity_id=attachment.record_id,
            changes={"attachment": [None, attachment.filename]},
            client=client,
        )
    return FileContent(attachment.filename, attachment.content_type, data)


def archive(
    session: Session, *, principal: Principal, resource: Resource, attachment_id: int
) -> bool:
    if not principal.can(resource.permission, "edit"):
        raise service.EngineError("auth.denied")
    attachment = session.get(Attachment, attachment_id) if isinstance(attachment_id, int) else None
    if attachment is None or attachment.resource != resource.key or attachment.archived_at:
        return False
    record = service.load(
        session, principal=principal, resource=resource, record_id=attachment.record_id
    )
    attachment.archived_at = utcnow()
    attachment.version += 1
    session.add(attachment)
    audit.record(
        session,
        actor=principal.username,
        action=f"{resource.key}.detach",
        entity=resource.key,
        entity_id=attachment.record_id,
        changes={
            "attachment": [attachment.filename, None],
            **service.send_back_for_content(session, resource, record),
        },
    )
    return True
