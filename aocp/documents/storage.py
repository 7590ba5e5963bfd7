"""Where uploaded files live: a small interface with the local filesystem as the default backend.

A file is streamed to a temporary name in the same directory, checksummed while it is written,
flushed to disk, then renamed into place (atomic on POSIX). A killed worker leaves at most a
`.part` file that no row points at and that `flask documents check` reports. Keys are generated,
never taken from the user. An object store would implement the same four methods.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from flask import current_app

CHUNK = 1024 * 1024
PART_SUFFIX = ".part"


class TooLarge(Exception):
    """The stream went past the size limit; nothing was kept."""


@dataclass
class Stored:
    key: str
    size: int
    sha256: str


class LocalStorage:
    """Files under one directory, fanned out by the first two characters of the key."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if len(key) < 8 or not key.isalnum():
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def save(self, stream: IO[bytes], max_size: int) -> Stored:
        """Copy `stream` into storage under a new key; raise TooLarge past `max_size` bytes."""
        key = secrets.token_hex(20)
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        part = final.with_name(final.name + PART_SUFFIX)
        digest, size = hashlib.sha256(), 0
        try:
            with open(part, "xb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_size:
                        raise TooLarge(max_size)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, final)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return Stored(key, size, digest.hexdigest())

    def open(self, key: str) -> IO[bytes]:
        return open(self.path(key), "rb")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[tuple[str, bool]]:
        """Every stored key, with True for a finished file and False for a leftover partial one."""
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if sub.is_dir() and len(sub.name) == 2:
                for f in sorted(sub.iterdir()):
                    if f.name.endswith(PART_SUFFIX):
                        yield f.name[: -len(PART_SUFFIX)], False
                    else:
                        yield f.name, True

    def checksum(self, key: str) -> str:
        digest = hashlib.sha256()
        with self.open(key) as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()


def storage() -> LocalStorage:
    """The storage backend of the current app."""
    return LocalStorage(Path(current_app.config["UPLOAD_DIR"]) / "documents")
