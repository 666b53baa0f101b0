"""Command line: ``python -m backoffice <command>``."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import time
from pathlib import Path

from backoffice import config, db, migrations, seed
from backoffice.config import get_settings
from backoffice.domains.admin import users
from backoffice.domains.audit import anchor as audit_anchor
from backoffice.ops import backup
from backoffice.platform import jobs
from backoffice.security import auth, field_keys


def _migrated() -> bool:
    """The database migrated to the newest revision, or False with why a migration refused."""
    try:
        migrations.upgrade(db.engine())
    except migrations.MigrationRefused as refused:
        print(f"migration refused: {refused}", file=sys.stderr)
        return False
    return True


def cmd_migrate(_args: argparse.Namespace) -> int:
    if not _migrated():
        return 2
    with db.session_scope(write=True) as session:
        users.ensure_roles(session)
    print("database is at the latest migration")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    if not _migrated():
        return 2
    started = time.perf_counter()
    counts = seed.seed(db.engine(), args.size, progress=lambda line: print(f"  {line}"))
    if not counts:
        print("demo data already loaded; nothing changed")
        return 0
    total = sum(counts.values())
    print(f"loaded {total:,} demo rows ({args.size}) in {time.perf_counter() - started:.1f}s")
    for table, count in sorted(counts.items()):
        print(f"  {table:<18} {count:>10,}")
    return 0


def cmd_verify_audit(_args: argparse.Namespace) -> int:
    with db.session_scope() as session:
        checked = audit_anchor.verify(session)
    report = checked.report
    if report.ok:
        print(
            f"audit chain intact: {report.checked:,} entries verified "
            f"(keyed hashes, {checked.checkpoints:,} signed checkpoints)"
        )
        return 0
    print(
        f"audit chain BROKEN at entry {report.first_broken_id}: {report.reason} "
        f"({report.checked:,} entries verified before it)"
    )
    return 1


def cmd_audit_checkpoint(_args: argparse.Namespace) -> int:
    try:
        with db.session_scope() as session:
            written = audit_anchor.write_checkpoint(session)
    except audit_anchor.ChainBroken as broken:
        print(f"no checkpoint written: the chain is broken ({broken.report.reason})")
        return 1
    except audit_anchor.CheckpointError as error:
        print(f"no checkpoint written: {error}")
        return 1
    if written is None:
        print("the chain's head has not moved since the last checkpoint")
    else:
        print(
            f"checkpoint {written.seq} appended to {audit_anchor.checkpoint_path()}: "
            f"entry {written.entry_id}, head {written.head[:16]}…"
        )
    return 0


def cmd_audit_public_key(_args: argparse.Namespace) -> int:
    public = audit_anchor.public_key()
    print(public)
    print(
        f"fingerprint {audit_anchor.fingerprint(public)}: give this key to whoever checks "
        "checkpoints and evidence packs (verify-pack --public-key)",
        file=sys.stderr,
    )
    return 0


def cmd_verify_pack(args: argparse.Namespace) -> int:
    try:
        data = Path(args.pack).read_bytes()
    except OSError as error:
        print(f"cannot read {args.pack}: {error}")
        return 2
    report = audit_anchor.verify_pack(data, public=args.public_key)
    fingerprint = audit_anchor.fingerprint(report.signer) if report.signer else "none"
    if report.ok:
        print(
            f"pack intact: {report.rows} audit rows link and end under signed checkpoint "
            f"{report.checkpoint_seq}; signed by key {fingerprint}"
            + ("" if args.public_key else " (compare this fingerprint with the one you were given)")
        )
        if report.keyed_rows_checked:
            print(
                f"  {report.keyed_rows_checked} rows' keyed hashes recomputed with this site's keys"
            )
        return 0
    print(f"pack REJECTED ({len(report.problems)} problems, signer {fingerprint}):")
    for problem in report.problems:
        print(f"  - {problem}")
    return 1


def cmd_backup(args: argparse.Namespace) -> int:
    if args.keep is not None and args.keep < 1:
        print("--keep must be at least 1")
        return 2
    target = Path(args.to) if args.to else None
    if target is not None and args.to.endswith(("/", os.sep)):
        target.mkdir(parents=True, exist_ok=True)  # "--to folder/" names a folder
    try:
        made = backup.backup(db.engine(), target, keep=args.keep)
    except backup.BackupError as error:
        print(f"backup refused: {error}")
        return 1
    print(
        f"backup written to {made.path} ({made.size / 1e6:.1f} MB in {made.seconds:.2f}s); "
        f"integrity ok, audit chain intact ({made.audit_entries:,} entries), "
        f"migration {made.revision}"
    )
    print(
        f"  attachment files: {made.files:,} referred to, {made.files_copied:,} newly copied "
        f"to {made.path.parent / backup.FILES}"
    )
    for path in made.removed:
        print(f"  removed old backup {path.name}")
    if made.files_missing:
        print(
            f"WARNING: {len(made.files_missing)} attachment file(s) are missing or damaged in "
            f"the live store and are not in this backup (first: {made.files_missing[0]}); "
            "the audit entry lists them all"
        )
        return 1
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        done = backup.restore(
            db.engine(), Path(args.path), allow_missing_files=args.allow_missing_files
        )
    except backup.BackupError as error:
        print(f"restore refused, nothing changed: {error}")
        return 1
    print(
        f"restored {done.source} ({done.audit_entries:,} audit entries verified, "
        f"migration {done.revision}) in {done.seconds:.2f}s"
    )
    if done.kept_aside:
        print(f"  the previous database is kept as {done.kept_aside}")
    print(f"  attachment files put back: {done.files_restored:,}")
    if done.files_missing:
        print(f"WARNING: restored without {len(done.files_missing)} attachment file(s)")
    return 0


def cmd_new_field_key(args: argparse.Namespace) -> int:
    key = field_keys.new_key()
    settings = get_settings()
    if args.install:
        if settings.is_production or os.environ.get("BACKOFFICE_FIELD_KEYS"):
            print("BACKOFFICE_FIELD_KEYS is set in the environment: put the key first there")
            return 1
        path = settings.data_dir / "backoffice_field_keys.txt"
        path.write_text(",".join((key, *settings.field_keys)) + "\n")
        print(f"new key put first in {path}; now run: python -m backoffice rotate-keys")
        return 0
    print(key)
    print(
        "Put it first in BACKOFFICE_FIELD_KEYS (comma-separated, the old keys after it), restart,\n"
        "run `python -m backoffice rotate-keys`, then remove the old keys.",
        file=sys.stderr,
    )
    return 0


def cmd_new_audit_key(args: argparse.Namespace) -> int:
    """A new HMAC key for the audit chain: new entries use it, older ones keep their own."""
    key = config.new_audit_key()
    settings = get_settings()
    if args.install:
        if settings.is_production or os.environ.get("BACKOFFICE_AUDIT_KEYS"):
            print("BACKOFFICE_AUDIT_KEYS is set in the environment: put the key first there")
            return 1
        path = settings.data_dir / "backoffice_audit_keys.txt"
        kept = [f"{key_id}:{secret.decode()}" for key_id, secret in settings.audit_keys]
        path.write_text(",".join((key, *kept)) + "\n")
        print(f"new audit key {key.split(':')[0]} put first in {path}; restart to use it")
        return 0
    print(key)
    print(
        "Put it first in BACKOFFICE_AUDIT_KEYS (comma-separated, the old keys after it) and\n"
        "restart. Keep the old keys: the entries hashed with them verify only with them.",
        file=sys.stderr,
    )
    return 0


def cmd_rotate_keys(_args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        counts = field_keys.rotate_all(progress=lambda line: print(f"  {line}"))
    except field_keys.RotationError as error:
        print(f"rotation stopped: {error}")
        return 1
    for column, count in sorted(counts.items()):
        print(f"  {column:<32} {count:>10,}")
    print(
        f"{sum(counts.values()):,} values re-encrypted under the newest key in "
        f"{time.perf_counter() - started:.1f}s; the older keys can now be removed"
    )
    return 0


def cmd_scheduler(_args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per run
    return jobs.serve()


def cmd_unlock(args: argparse.Namespace) -> int:
    try:
        operator = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. in a container)
        operator = f"uid {os.getuid()}"
    try:
        with db.session_scope(write=True) as session:
            cleared = auth.unlock(
                session, username=args.user, operator=operator, reason=args.reason
            )
    except ValueError as refused:
        print(f"not unlocked: {refused}", file=sys.stderr)
        return 1
    print(f"{args.user}: {cleared} sign-in counter(s) cleared; audited as os:{operator}")
    return 0


def cmd_sign_ins(_args: argparse.Namespace) -> int:
    port = os.environ.get("PORT", "3000")
    print(f"\n  Back office: http://localhost:{port}")
    print(f"  Demo accounts (password for all: {seed.DEMO_PASSWORD}):")
    for username, name, roles in seed.DEMO_USERS:
        print(f"    {username:<11} {', '.join(roles):<16} {name}")
    print("  The first sign-in of each account shows a QR code: scan it with an authenticator")
    print("  app (or type the key shown), enter the 6-digit code, and keep the recovery codes.")
    print("  The customer platform, played against this portal's API (in another terminal):")
    print("    make simulate    (sign-ups, orders, messages; the webhooks it receives)\n")
    return 0


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def cmd_simulate_platform(args: argparse.Namespace) -> int:
    from backoffice.domains.integrations import simulator, trial

    customers, rate, secret = _ids(args.customers), args.rate, args.webhook_secret
    if args.key and not customers:
        customers = (1, 2, 3)
    key = args.key
    if not key:  # a local trial: a fresh demo key and a subscription to our own receiver
        port = args.webhook_port or 8765
        args.webhook_port = port
        receiver_url = f"http://{args.webhook_host}:{port}/"
        with db.session_scope(write=True) as session:
            prepared = trial.prepare(session, receiver_url)
        key, secret = prepared.key, prepared.secret
        customers = customers or prepared.customers
        rate = rate or ",".join(f"{c}:{t}" for c, t in prepared.resolved_tickets)
        print(f"demo client {trial.CLIENT_NAME!r}: a fresh key (the previous one stopped working)")
        print(f"webhook subscription {trial.SUBSCRIPTION_NAME!r} -> {receiver_url}")
    receiver = None
    if args.webhook_port:
        if not secret:
            print("--webhook-secret is needed to check the deliveries' signatures")
            return 2
        receiver = simulator.webhook_receiver(
            args.webhook_port, secret, print, host=args.webhook_host
        )
        print(f"webhook receiver on http://{args.webhook_host}:{args.webhook_port}/")
    try:
        simulator.play(
            args.url,
            key,
            sign_ups=args.sign_ups,
            customers=customers,
            resolved_tickets=tuple(
                (int(c), int(t))
                for c, _, t in (p.partition(":") for p in rate.split(",") if p.strip())
            ),
            watchlisted_name=args.watchlisted_name,
            seed=args.seed,
            language=args.language,
        )
        if receiver is not None and args.listen > 0:
            print(f"listening for webhooks for {args.listen} s (Ctrl-C to stop)")
            time.sleep(args.listen)
    except KeyboardInterrupt:
        pass
    finally:
        if receiver is not None:
            receiver.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backoffice")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    seeding = commands.add_parser("seed", help="load demo data once (migrates first)")
    seeding.add_argument("--size", choices=sorted(seed.SIZES), default="small")
    seeding.set_defaults(func=cmd_seed)
    commands.add_parser(
        "verify-audit", help="check the audit log's keyed chain against the signed checkpoints"
    ).set_defaults(func=cmd_verify_audit)
    commands.add_parser(
        "audit-checkpoint", help="append a signed checkpoint of the audit chain's head now"
    ).set_defaults(func=cmd_audit_checkpoint)
    commands.add_parser(
        "audit-public-key", help="print the public key that checks checkpoints and packs"
    ).set_defaults(func=cmd_audit_public_key)
    checking = commands.add_parser(
        "verify-pack", help="check an evidence pack: signature, files, audit rows, checkpoint"
    )
    checking.add_argument("pack")
    checking.add_argument("--public-key", help="the signing public key you were given (base64)")
    checking.set_defaults(func=cmd_verify_pack)
    backing = commands.add_parser(
        "backup",
        help="online copy of the SQLite database, checked (integrity, audit chain), with the "
        "attachment files it refers to",
    )
    backing.add_argument("--to", help="file or folder (default: data/backups/, timestamped)")
    backing.add_argument(
        "--keep", type=int, help="then keep only the newest N backups in that folder"
    )
    backing.set_defaults(func=cmd_backup)
    restoring = commands.add_parser(
        "restore", help="put a checked backup in place (app stopped); the current file is kept"
    )
    restoring.add_argument("path")
    restoring.add_argument(
        "--allow-missing-files",
        action="store_true",
        help="restore even if attachment files it refers to are in neither store",
    )
    restoring.set_defaults(func=cmd_restore)
    new_key = commands.add_parser("new-field-key", help="make a field-encryption key")
    new_key.add_argument(
        "--install", action="store_true", help="put it first in the data folder's key file"
    )
    new_key.set_defaults(func=cmd_new_field_key)
    new_audit_key = commands.add_parser(
        "new-audit-key", help="make an HMAC key for the audit chain (key rotation)"
    )
    new_audit_key.add_argument(
        "--install", action="store_true", help="put it first in the data folder's key file"
    )
    new_audit_key.set_defaults(func=cmd_new_audit_key)
    commands.add_parser(
        "rotate-keys", help="re-encrypt every encrypted field under the newest key"
    ).set_defaults(func=cmd_rotate_keys)
    commands.add_parser(
        "scheduler", help="run the scheduled jobs in this process (production: one per site)"
    ).set_defaults(func=cmd_scheduler)
    unlocking = commands.add_parser(
        "unlock", help="clear an account's sign-in locks and delays (audited, with a reason)"
    )
    unlocking.add_argument("user")
    unlocking.add_argument("--reason", required=True, help="why (kept in the audit log)")
    unlocking.set_defaults(func=cmd_unlock)
    commands.add_parser("sign-ins", help="print the address and demo sign-ins").set_defaults(
        func=cmd_sign_ins
    )
    simulating = commands.add_parser(
        "simulate-platform",
        help="play the customer platform against a running portal's API, and receive webhooks",
    )
    simulating.add_argument("--url", default="http://localhost:3000", help="the portal")
    simulating.add_argument(
        "--key",
        default="",
        help="an API key of a platform-role client; without one (not in production), a demo "
        "client's fresh key and a webhook subscription to the receiver are made on the portal's "
        "database",
    )
    simulating.add_argument("--sign-ups", type=int, default=3)
    simulating.add_argument(
        "--customers", default="", help="existing customer ids to place orders for (1,2,3)"
    )
    simulating.add_argument(
        "--rate", default="", help="resolved tickets to rate: customer:ticket,customer:ticket"
    )
    simulating.add_argument("--watchlisted-name", default="", help="a name on a watch list")
    simulating.add_argument("--seed", type=int, help="repeat the same names and ID numbers")
    simulating.add_argument("--language", choices=("zh", "en"), default="zh")
    simulating.add_argument("--webhook-port", type=int, help="receive webhooks on this port")
    simulating.add_argument("--webhook-host", default="127.0.0.1")
    simulating.add_argument("--webhook-secret", default="", help="the subscription's secret")
    simulating.add_argument(
        "--listen", type=int, default=60, help="seconds to wait for webhooks after the calls"
    )
    simulating.set_defaults(func=cmd_simulate_platform)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
