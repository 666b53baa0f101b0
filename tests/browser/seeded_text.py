"""What the language walk (``test_language.py``) counts as data: every text the seeded
database holds (names, titles, notes, reasons, decrypted customer names as staff with the
right see them) and one record id of each resource. Run in a process of its own with the
app's environment (its database and keys): ``python -m tests.browser.seeded_text``."""

from __future__ import annotations

import json
import os

import sqlalchemy as sa
from sqlmodel import AutoString, SQLModel

import backoffice.domains  # noqa: F401  (registers every resource declaration)
from backoffice.db import make_engine
from backoffice.engine.resource import all_resources
from backoffice.security import fields

TYPED = {"reason", "note", "comment", "message", "notes", "decision_note"}


def collect() -> dict[str, object]:
    engine = make_engine(os.environ["BACKOFFICE_DB_URL"])
    texts: set[str] = set()
    records: dict[str, int] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.c:
                textual = isinstance(column.type, (sa.String, AutoString))
                if not textual or column.name.endswith("_hash"):
                    continue
                if column.name.endswith("_cipher"):
                    if column.name in ("name_cipher", "address_cipher"):
                        for (token,) in conn.execute(sa.select(column).distinct()):
                            if token:
                                texts.add(fields.decrypt(token).strip())
                    continue
                for (value,) in conn.execute(sa.select(column).distinct()):
                    if isinstance(value, str) and value.strip():
                        texts.add(value.strip())
                        texts.update(line.strip() for line in value.splitlines() if line.strip())
        # what people typed into the trail (a reveal's reason, a decision's note) is data
        for (changes,) in conn.execute(sa.text("SELECT changes FROM audit_entry")):
            for name, pair in json.loads(changes or "{}").items():
                if name in TYPED and isinstance(pair, list):
                    texts.update(v.strip() for v in pair if isinstance(v, str) and v.strip())
        for resource in all_resources():
            table = resource.model.__table__
            query = sa.select(sa.func.min(table.c.id))
            if "archived_at" in table.c:
                query = query.where(table.c.archived_at.is_(None))
            found = conn.execute(query).scalar()
            if found is not None:
                records[resource.key] = int(found)
    engine.dispose()
    return {"texts": sorted(texts), "records": records}


if __name__ == "__main__":
    print(json.dumps(collect(), ensure_ascii=False))
