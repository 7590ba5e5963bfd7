"""Password hashing (argon2id) and the password rules (NIST SP 800-63B / OWASP ASVS 5.0).

Rules: at least PASSWORD_MIN_LENGTH characters counted as Unicode code points, in any script,
checked exactly as typed (no trimming, no composition rules), and not a common password or a
word from the platform's context (asean, amcap, country names, the person's own name or email).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

CONTEXT_WORDS = {
    "asean", "amcap", "aocp", "asomm", "ammin", "asec", "jwg", "minerals", "mineral", "mining",
    "password", "secretariat", "wgtim", "wgsmd", "wgcbm", "wgmid",
    "brunei", "bruneidarussalam", "cambodia", "indonesia", "lao", "laos", "laopdr", "malaysia",
    "myanmar", "philippines", "singapore", "thailand", "vietnam", "china", "japan", "korea",
    "jakarta", "bangkok", "manila", "hanoi", "vientiane", "phnompenh", "kualalumpur", "naypyitaw",
}


_SEQUENCES = ("01234567890123456789", "98765432109876543210", "abcdefghijklmnopqrstuvwxyz",
              "qwertyuiopasdfghjklzxcvbnm")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"],
                          parallelism=cfg["ARGON2_PARALLELISM"], type=Type.ID)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-work check; a missing hash still costs one hash so timing does not tell."""
    hasher = _hasher()
    if not stored_hash:
        hasher.hash(password)
        return False
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def _letters(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalpha())


def _repeats_one_of(core: str, words: set[str]) -> bool:
    """True when `core` is one of `words`, or one of them said again and again ("aseanasean…")."""
    return any(w and len(core) % len(w) == 0 and core == w * (len(core) // len(w)) for w in words)


def password_problems(password: str, context: tuple[str, ...] = ()) -> list[str]:
    """Reasons a new password is refused; empty when it is acceptable."""
    cfg = current_app.config
    problems = []
    length = len(password)
    if length < cfg["PASSWORD_MIN_LENGTH"]:
        problems.append(f"Use at least {cfg['PASSWORD_MIN_LENGTH']} characters (this one has {length}).")
    if length > cfg["PASSWORD_MAX_LENGTH"]:
        problems.append(f"Use at most {cfg['PASSWORD_MAX_LENGTH']} characters.")
    if problems:
        return problems
    lowered = password.lower()
    core = _letters(password)
    # The person's own words: each whole email and name, the email's local part, and every piece of them.
    pieces = [p for part in context for p in (part, part.split("@")[0], *re.split(r"[\s@._-]+", part))]
    personal = {_letters(p) for p in pieces if len(_letters(p)) >= 3}
    if len(set(password)) <= 2 or any(lowered in seq for seq in _SEQUENCES):
        problems.append("This password repeats the same characters; choose something less predictable.")
    elif lowered in common_passwords() or core in common_passwords():
        problems.append("This is one of the most common passwords; choose another.")
    elif core and _repeats_one_of(core, CONTEXT_WORDS | personal):
        problems.append("This password is built on a word linked to AOCP or to you; choose another.")
    return problems
