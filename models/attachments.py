"""Files attached to records (disclosures, ID documents, ticket evidence)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, code_field


class Attachment(EditableBase, table=True):
    __tablename__ = "attachment"
    __table_args__ = (sa.Index("ix_attachment_record", "resource", "record_id"),)

    resource: str = code_field(40)
    record_id: int
    category: str = code_field(40, default="")  # e.g. prospectus, risk_disclosure
    filename: str = code_field(255)
    content_type: str = code_field(100)
    size: int = Field(sa_type=sa.BigInteger)
    sha256: str = code_field(64, index=True)
    uploaded_by: str = code_field(64)
