"""TOTP second factor (pyotp) with replay protection, and one-time recovery codes."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import qrcode
import qrcode.image.svg
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from aocp.accounts.models import RecoveryCode, User
from aocp.extensions import db
from aocp.timeutil import utcnow

RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["MFA_ISSUER"])


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG markup (no image files, no external service)."""
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return img.to_string(encoding="unicode")


def matching_step(secret: str, code: str) -> int | None:
    """The time step a code belongs to (current step ±1 for clock drift), or None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step = int(time.time()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def claim_step(user: User, step: int) -> bool:
    """Record `step` as used, atomically: of requests racing with the same code, the database lets one
    through (a check in Python, then a write, let each see the step as unused)."""
    claimed = db.session.execute(update(User).where(User.id == user.id, User.mfa_last_step < step)
                                 .values(mfa_last_step=step)
                                 .execution_options(synchronize_session=False)).rowcount == 1
    if claimed:
        set_committed_value(user, "mfa_last_step", step)
    return claimed


def verify_totp(user: User, code: str) -> bool:
    """Accept a code once: pyotp's verify alone would accept the same code again (a replay)."""
    if not user.mfa_secret:
        return False
    step = matching_step(user.mfa_secret, code)
    if step is None or step <= user.mfa_last_step:
        return False
    return claim_step(user, step)


def normalise_recovery(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def recovery_digest(user: User, code: str) -> str:
    """Keyed hash of a recovery code: codes carry only 40 bits, so a stolen database alone must not be enough
    to try them all offline; the key is the app's secret key, and the user id binds a code to its owner."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"recovery:{user.id}:{normalise_recovery(code)}".encode(), hashlib.sha256).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace a user's recovery codes; returns the new codes, shown once."""
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 10 hex characters, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=recovery_digest(user, raw)))
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend a recovery code in one conditional statement, so two requests racing with it cannot both succeed."""
    return db.session.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == recovery_digest(user, code),
        RecoveryCode.used_at.is_(None)).values(used_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount == 1


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.execute(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())
