"""Time-based one-time passwords (RFC 6238: 30-second steps, six digits, ±1 step)."""

from __future__ import annotations

import hashlib
import secrets
import time

import pyotp
import segno

from backoffice.platform import numerals

ISSUER = "理财平台运营后台 Back Office"
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg_data_uri(uri: str) -> str:
    """The QR code as an inline SVG data URI: nothing is downloaded or stored."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def current_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP_SECONDS)


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step the code belongs to (now, one before or one after), or None."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not numerals.is_digits(code, 6):
        return None
    totp = pyotp.TOTP(secret)
    now = current_step(at)
    for step in (now, now - 1, now + 1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def code_for(secret: str, at: float | None = None) -> str:
    return pyotp.TOTP(secret).at(time.time() if at is None else at)


def new_recovery_codes() -> list[str]:
    """Ten single-use codes like ``k7rq-2m9x-h4tz`` (60 bits each)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace(" ", "").encode()).hexdigest()
