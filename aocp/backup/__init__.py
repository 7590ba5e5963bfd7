"""Backups and restores: `flask --app app backup DEST` and `flask --app app restore SRC`.

A backup is a directory: the database (an SQLite file copied through the online backup API, or a pg_dump
archive), the uploaded files its document versions name, and manifest.json with the size and sha256 of
every file. The manifest is written last, so a directory without one is an unfinished backup.
"""
from __future__ import annotations


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""
