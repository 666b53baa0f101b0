"""The audit chain anchored outside the database: signed checkpoints and signed evidence packs.

A checkpoint is one JSON line appended to a file outside the database
(``BACKOFFICE_AUDIT_CHECKPOINTS``): the checkpoint's number, the id and hash of the chain's last
entry, how many appends the head had counted, the time, the HMAC key id of that entry, and an
Ed25519 signature over all of it by the signing key (``BACKOFFICE_AUDIT_SIGNING_KEY``, outside
the database too). Ed25519 rather than HMAC: anyone given the public key (a regulator, an
auditor) can check a checkpoint or a pack without being able to make one, while an HMAC
checkpoint could only be checked by someone holding the key that also forges it.

Someone with database access alone cannot then rewrite history: re-hashing the chain needs the
HMAC key, and rewriting or cutting it below a checkpoint no longer matches the signed head.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import io
import json
import os
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.platform import audit
from models.audit import AuditEntry, AuditHead
from models.base import utcnow


class CheckpointError(ValueError):
    """The checkpoint file is malformed, out of order, or carries a bad signature."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    entry_id: int
    head: str
    entries: int  # the head's append count then
    at: str
    key_id: str
    signer: str  # the signing key's public key (base64)
    sig: str = ""

    def body(self) -> bytes:
        fields = {k: v for k, v in asdict(self).items() if k != "sig"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(get_settings().audit_signing_key)


def public_key() -> str:
    return _b64(_signing_key().public_key().public_bytes_raw())


def fingerprint(public: str) -> str:
    """A short form of a public key to compare by eye (SHA-256, first 16 hex digits)."""
    return hashlib.sha256(base64.b64decode(public)).hexdigest()[:16]


def trusted_signers() -> set[str]:
    return {public_key(), *(_b64(k) for k in get_settings().audit_retired_signers)}


def sign(body: bytes) -> str:
    return _b64(_signing_key().sign(body))


def signature_ok(public: str, signature: str, body: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(
            base64.b64decode(signature), body
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def checkpoint_path() -> Path:
    return get_settings().audit_checkpoint_path


def parse_checkpoint(data: object, signers: set[str] | None) -> Checkpoint:
    """One checkpoint from its JSON object; its signature checked (by ``signers`` when given)."""
    try:
        checkpoint = Checkpoint(**data)  # type: ignore[arg-type]
        valid = (
            isinstance(checkpoint.seq, int)
            and isinstance(checkpoint.entry_id, int)
            and isinstance(checkpoint.head, str)
            and len(checkpoint.head) == 64
        )
    except TypeError:
        valid = False
    if not valid:
        raise CheckpointError("a checkpoint is malformed")
    if signers is not None and checkpoint.signer not in signers:
        raise CheckpointError(f"checkpoint {checkpoint.seq} is signed by an unknown key")
    if not signature_ok(checkpoint.signer, checkpoint.sig, checkpoint.body()):
        raise CheckpointError(f"checkpoint {checkpoint.seq} has a bad signature")
    return checkpoint


def read_checkpoints(path: Path | None = None) -> list[Checkpoint]:
    """Every checkpoint in the file, each signature checked, numbered 1, 2, 3… in order."""
    path = path or checkpoint_path()
    if not path.exists():
        return []
    signers = trusted_signers()
    found: list[Checkpoint] = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except ValueError as error:
            raise CheckpointError(f"line {number} of {path} is not JSON") from error
        checkpoint = parse_checkpoint(data, signers)
        previous = found[-1] if found else None
        if checkpoint.seq != len(found) + 1 or (
            previous is not None and checkpoint.entry_id < previous.entry_id
        ):
            raise CheckpointError(f"checkpoint {checkpoint.seq} is out of order (line {number})")
        found.append(checkpoint)
    return found


class ChainBroken(RuntimeError):
    """The chain since the last checkpoint does not verify: no checkpoint is written over it."""

    def __init__(self, report: audit.ChainReport) -> None:
        super().__init__(report.reason)
        self.report = report


def write_checkpoint(session: Session, *, path: Path | None = None) -> Checkpoint | None:
    """Append a signed checkpoint of the chain's head, unless the head has not moved since the
    last one (None then). The entries since the last checkpoint are verified first (with the
    keys; the last checkpoint's entry must still be there): a break raises ChainBroken, so a
    checkpoint never vouches for an edited chain. The file is locked while it is read and
    appended to, so two writers (the job, the command) never number two checkpoints alike."""
    path = path or checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a") as file:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        earlier = read_checkpoints(path)
        checkpoint = _next_checkpoint(session, earlier)
        if checkpoint is not None:
            file.write(checkpoint.line() + "\n")
            file.flush()
            os.fsync(file.fileno())
    return checkpoint


def _next_checkpoint(session: Session, earlier: list[Checkpoint]) -> Checkpoint | None:
    last = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    if last is None or (earlier and earlier[-1].entry_id == last.id):
        return None
    previous = earlier[-1] if earlier else None
    if previous is not None:
        anchored = session.get(AuditEntry, previous.entry_id)
        if anchored is None or anchored.hash != previous.head:
            raise ChainBroken(
                audit.ChainReport(
                    0, previous.entry_id, f"differs from signed checkpoint {previous.seq}"
                )
            )
    report = audit.verify_chain(session, start_after=previous)
    if not report.ok:
        raise ChainBroken(report)
    head = session.get(AuditHead, 1)
    unsigned = Checkpoint(
        seq=len(earlier) + 1,
        entry_id=last.id or 0,
        head=last.hash,
        entries=head.seq if head else 0,
        at=utcnow().isoformat(timespec="seconds"),
        key_id=last.key_id,
        signer=public_key(),
    )
    return replace(unsigned, sig=sign(unsigned.body()))


@dataclass(frozen=True)
class Verification:
    report: audit.ChainReport
    checkpoints: int

    @property
    def ok(self) -> bool:
        return self.report.ok


def verify(session: Session, *, path: Path | None = None) -> Verification:
    """The chain with its keys, and against every signed checkpoint."""
    try:
        checkpoints = read_checkpoints(path)
    except CheckpointError as error:
        return Verification(audit.ChainReport(0, 0, f"checkpoint file: {error}"), 0)
    report = audit.verify_chain(session, checkpoints=checkpoints)
    return Verification(report, len(checkpoints))


def covering(checkpoints: Iterable[Checkpoint], entry_id: int) -> Checkpoint | None:
    """The first checkpoint at or after ``entry_id``."""
    return next((c for c in checkpoints if c.entry_id >= entry_id), None)


# --- evidence packs ---------------------------------------------------------------------------
MANIFEST = "manifest.json"
AUDIT_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "changes",
    "client",
    "key_id",
    "prev_hash",
    "hash",
)


def audit_row(entry: AuditEntry) -> list[str]:
    return [
        str(entry.id),
        entry.at.isoformat(timespec="microseconds"),
        entry.actor,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.changes,
        entry.client,
        entry.key_id,
        entry.prev_hash,
        entry.hash,
    ]


def check_rows(entries: Iterable[AuditEntry]) -> None:
    """Raise ChainBroken unless every entry's hash is right under its key: a pack is signed
    only over rows that verify."""
    keys = audit.audit_keys()
    for entry in entries:
        try:
            right = hmac.compare_digest(audit.entry_hash(entry, keys), entry.hash)
        except audit.UnknownAuditKey:
            right = False
        if not right:
            raise ChainBroken(audit.ChainReport(0, entry.id, "content does not match its hash"))


def pack_checkpoint(session: Session, last_entry_id: int) -> Checkpoint | None:
    """The checkpoint covering a pack's entries: the first one at or after them, or a new one
    of the current head when none covers them yet."""
    checkpoints = read_checkpoints()
    found = covering(checkpoints, last_entry_id)
    return found or write_checkpoint(session) or covering(read_checkpoints(), last_entry_id)


def sign_manifest(files: dict[str, bytes], checkpoint: Checkpoint | None, title: str) -> bytes:
    """``manifest.json``: each file's SHA-256, the covering checkpoint, signed as a whole."""
    body = {
        "title": title,
        "made_at": utcnow().isoformat(timespec="seconds"),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        "checkpoint": asdict(checkpoint) if checkpoint else None,
        "signer": public_key(),
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps({**body, "sig": sign(canonical)}, indent=1, sort_keys=True).encode()


@dataclass(frozen=True)
class PackReport:
    problems: list[str]
    rows: int
    signer: str
    checkpoint_seq: int | None
    keyed_rows_checked: int

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_pack(data: bytes, *, public: str | None = None) -> PackReport:
    """Check an evidence pack: the signed manifest (by ``public`` when given), every file's
    digest, the audit rows' hashes and links, and that they end at or under the signed
    checkpoint. Rows hashed under an HMAC key are recomputed where that key is configured."""
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        files = {name: archive.read(name) for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError) as error:
        return PackReport([f"not a readable ZIP file ({error})"], 0, "", None, 0)
    try:
        manifest = json.loads(files.pop(MANIFEST))
        signature = manifest.pop("sig")
        signer = manifest["signer"]
    except (KeyError, ValueError, TypeError, AttributeError):
        return PackReport(["the pack has no readable signed manifest"], 0, "", None, 0)
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    if public is not None and signer != public:
        problems.append("the manifest is signed by another key than the one given")
    if not signature_ok(signer, signature, canonical):
        problems.append("the manifest's signature is not valid")
    listed = manifest.get("files") or {}
    for name in sorted(set(listed) | set(files)):
        if name not in files:
            problems.append(f"{name} is listed in the manifest but missing")
        elif name not in listed:
            problems.append(f"{name} is not in the signed manifest")
        elif hashlib.sha256(files[name]).hexdigest() != listed[name]:
            problems.append(f"{name} was changed after the pack was signed")
    checkpoint = None
    if manifest.get("checkpoint"):
        try:
            checkpoint = parse_checkpoint(manifest["checkpoint"], None)
            if checkpoint.signer != signer:
                problems.append("the checkpoint is signed by another key than the manifest")
        except CheckpointError as error:
            problems.append(str(error))
    rows, keyed_checked = _check_audit_rows(files.get("audit.csv", b""), checkpoint, problems)
    return PackReport(problems, rows, signer, checkpoint.seq if checkpoint else None, keyed_checked)


def _check_audit_rows(
    raw: bytes, checkpoint: Checkpoint | None, problems: list[str]
) -> tuple[int, int]:
    import csv

    text = raw.decode("utf-8-sig", errors="replace")
    reader = list(csv.reader(io.StringIO(text)))
    if not reader or tuple(reader[0]) != AUDIT_COLUMNS:
        problems.append("audit.csv is missing or has other columns")
        return 0, 0
    keys = audit.audit_keys()
    previous: AuditEntry | None = None
    keyed_checked = 0
    for values in reader[1:]:
        if len(values) != len(AUDIT_COLUMNS):
            problems.append("audit.csv has a malformed row")
            continue
        row = dict(zip(AUDIT_COLUMNS, values, strict=True))
        try:
            entry = AuditEntry(
                id=int(row["id"]),
                at=datetime.fromisoformat(row["at"]),
                **{k: row[k] for k in AUDIT_COLUMNS if k not in ("id", "at")},
            )
        except ValueError:
            problems.append(f"audit row {row['id']} is malformed")
            continue
        if previous is not None and entry.id <= previous.id:
            problems.append(f"audit row {entry.id} is out of order")
        if (
            previous is not None
            and entry.id == previous.id + 1
            and entry.prev_hash != previous.hash
        ):
            problems.append(f"audit row {entry.id} does not link to row {previous.id}")
        if not entry.key_id or entry.key_id in keys:
            keyed_checked += bool(entry.key_id)
            if audit.entry_hash(entry, keys) != entry.hash:
                problems.append(f"audit row {entry.id}: its content does not match its hash")
        if checkpoint is not None and entry.id == checkpoint.entry_id:
            if entry.hash != checkpoint.head:
                problems.append(f"audit row {entry.id} differs from the signed checkpoint")
        previous = entry
    count = len(reader) - 1
    if previous is not None:
        if checkpoint is None:
            problems.append("no signed checkpoint covers the audit rows")
        elif previous.id > checkpoint.entry_id:
            problems.append(
                f"audit rows go beyond the signed checkpoint (entry {checkpoint.entry_id})"
            )
    return count, keyed_checked
