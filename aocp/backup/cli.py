"""`flask --app app backup DEST` and `flask --app app restore SRC`."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from aocp import audit
from aocp.backup import BackupError, archive

LISTED = 50  # keys printed per list; the counts are always complete


def _listing(title: str, keys: list[str]) -> None:
    click.echo(f"{title}: {len(keys)}")
    for key in keys[:LISTED]:
        click.echo(f"  {key}")


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup_command(dest: Path):
    """Back up the database and the uploaded files into the new or empty directory DEST."""
    try:
        report = archive.create_backup(dest)
    except BackupError as err:
        raise click.ClickException(f"Backup failed: {err}") from None
    files = report.manifest["files"]
    click.echo(f"Database: {report.manifest['database']['dialect']} at revision "
               f"{report.manifest['alembic_revision']} ({files[0]['path']}, {files[0]['size']:,} bytes).")
    click.echo(f"Files: {len(files) - 1} copied, {sum(f['size'] for f in files[1:]):,} bytes.")
    if report.stray:
        _listing("Not backed up, no document version in the snapshot names them (uploaded during the backup, "
                 "or orphaned: see `flask --app app documents check`)", report.stray)
    if report.missing or report.mismatched:
        _listing("ERROR missing files (named by a document version, not in storage)", report.missing)
        _listing("ERROR checksum mismatches (copied as found)", report.mismatched)
        click.echo(f"Backup written to {dest} with problems: those files cannot be restored as recorded.", err=True)
        sys.exit(1)
    click.echo(f"Backup complete: {dest / archive.MANIFEST} lists every file with its sha256.")
    click.echo("The audit keys (AOCP_AUDIT_KEY, AOCP_AUDIT_KEYS) are not in the backup: keep them with the "
               "instance's other secrets, a restored audit log verifies only with them.")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(src: Path):
    """Restore the backup in SRC into this instance, whose database and upload directory must be empty."""
    try:
        report = archive.restore_backup(src)
    except BackupError as err:
        raise click.ClickException(f"Restore failed: {err}") from None
    click.echo(f"Verified {len(report.manifest['files'])} files of the backup made at "
               f"{report.manifest['created_at']} against its manifest.")
    click.echo(f"Restored the {report.manifest['database']['dialect']} database at revision {report.revision} "
               f"and {report.files} files; every restored file matches its checksum.")
    problems = report.manifest.get("problems", {})
    if problems.get("missing_files"):
        _listing("Warning: files already missing when the backup was made (their versions have no file)",
                 problems["missing_files"])
    if problems.get("checksum_mismatches"):
        _listing("Warning: files whose bytes already differed from their version when the backup was made",
                 problems["checksum_mismatches"])
    if report.revision != report.head:
        click.echo(f"The backup's schema is older than this release ({report.head}): run "
                   "`flask --app app db upgrade` now, before starting AOCP.")
    else:
        _check_audit_chain()
        click.echo("The schema is up to date. Run `flask --app app documents check` for a last look.")


def _check_audit_chain() -> None:
    # The keys stay outside the backup: say at once if this instance lacks those the log was signed with.
    ok, _count, message = audit.verify_chain()
    if ok:
        click.echo(f"Audit log: {message}.")
    else:
        click.echo(f"Warning: the restored audit log does not verify here: {message}. Configure AOCP_AUDIT_KEY, "
                   "AOCP_AUDIT_KEY_ID and AOCP_AUDIT_KEYS as on the instance backed up, then run "
                   "`flask --app app audit verify`.")
