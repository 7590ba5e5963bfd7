"""Random secrets handed out once (links, API tokens, recovery codes) and their stored hashes."""
import hashlib
import secrets


def new_secret(nbytes: int = 32) -> tuple[str, str]:
    """A URL-safe random secret and the SHA-256 hash that is stored in its place."""
    raw = secrets.token_urlsafe(nbytes)
    return raw, digest(raw)


def digest(raw: str) -> str:
    # These secrets carry 160+ bits of randomness, so a fast hash is enough (no guessing to slow down).
    return hashlib.sha256(raw.encode()).hexdigest()
