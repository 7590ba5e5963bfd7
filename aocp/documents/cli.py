"""`flask --app app documents check | purge`: storage maintenance."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from aocp.documents import trashing
from aocp.documents.models import DocumentVersion
from aocp.documents.storage import storage
from aocp.extensions import db

documents_cli = AppGroup("documents", help="Maintain stored documents.")


def check_storage(verify_checksums: bool = True) -> dict[str, list[str]]:
    """Compare rows and files: files without a row, rows without a file, partial files, checksum mismatches."""
    rows = dict(db.session.execute(select(DocumentVersion.storage_key, DocumentVersion.sha256)).all())
    found, partial = set(), []
    for key, complete in storage().keys():
        (found.add if complete else partial.append)(key)
    report = {"orphan_files": sorted(found - rows.keys()), "missing_files": sorted(rows.keys() - found),
              "partial_files": sorted(partial), "checksum_mismatches": []}
    if verify_checksums:
        report["checksum_mismatches"] = sorted(k for k in rows.keys() & found if storage().checksum(k) != rows[k])
    return report


@documents_cli.command("check")
@click.option("--no-checksums", is_flag=True, help="Skip reading every file (faster).")
def check_command(no_checksums: bool):
    """Report orphaned, missing and partial files and checksum mismatches; exit 1 if any."""
    report = check_storage(not no_checksums)
    versions = db.session.execute(select(db.func.count(DocumentVersion.id))).scalar_one()
    problems = sum(len(v) for v in report.values())
    for name, keys in report.items():
        click.echo(f"{name.replace('_', ' ')}: {len(keys)}")
        for key in keys[:50]:
            click.echo(f"  {key}")
    click.echo(f"{versions} versions checked: " + ("clean." if not problems else f"{problems} problems."))
    if problems:
        sys.exit(1)


@documents_cli.command("purge")
@click.option("--partial-minutes", default=60, show_default=True, type=click.IntRange(min=1),
              help="Also remove partial files (left by interrupted uploads) untouched for this long.")
def purge_command(partial_minutes: int):
    """Delete for good the documents that have been in the trash past the retention period, and the partial files
    interrupted uploads left behind. Files without a row are only reported by `check`: they may be wanted."""
    days = current_app.config["TRASH_RETENTION_DAYS"]
    keys = trashing.purge_expired(None, days)
    db.session.commit()
    for key in keys:
        storage().delete(key)
    click.echo(f"{len(keys)} stored files of documents trashed more than {days} days ago deleted.")
    partial = [key for key, complete in storage().keys() if not complete]
    removed = sum(storage().discard_partial(key, partial_minutes * 60) for key in partial)
    click.echo(f"{removed} partial files older than {partial_minutes} minutes removed"
               + (f" ({len(partial) - removed} younger kept)." if removed < len(partial) else "."))
