"""Operations commands: `flask --app app seed | demo | users ... | audit verify | audit head | sessions purge`."""
from __future__ import annotations

import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import delete, select

from aocp import audit
from aocp.accounts import services
from aocp.accounts.models import ROLES, User
from aocp.extensions import db
from aocp.orgs.models import BODY_ROLES, Body, Organisation
from aocp.reference import seed_reference_data
from aocp.sessions import UserSession
from aocp.timeutil import utcnow

users_cli = AppGroup("users", help="Manage accounts from the command line.")
audit_cli = AppGroup("audit", help="Check the audit log.")
sessions_cli = AppGroup("sessions", help="Server-side sessions.")

DEMO_PASSWORD = "cooperation-demo-2026"
# (email, name, org, role, [(body, body role)])
DEMO_PEOPLE = [
    ("admin@asec.example.org", "Ayu Admin", "ASEC", "asec_admin", []),
    ("staff@asec.example.org", "Sari Staff", "ASEC", "asec_staff", [("JWG", "member"), ("WGCBM", "member")]),
    ("focal.mys@example.gov.my", "Aminah Focal", "MYS", "focal_person",
     [("ASOMM", "member"), ("JWG", "member"), ("TF", "chair"), ("WGTIM", "chair")]),
    ("delegate.mys@example.gov.my", "Hafiz Delegate", "MYS", "delegate", [("WGTIM", "member")]),
    ("focal.phl@example.gov.ph", "Jose Focal", "PHL", "focal_person",
     [("ASOMM", "member"), ("JWG", "member"), ("WGMID", "chair")]),
    ("delegate.tha@example.go.th", "Somchai Delegate", "THA", "delegate", [("WGSMD", "member"), ("WGTIM", "member")]),
    ("delegate.vnm@example.gov.vn", "Lan Delegate", "VNM", "delegate", [("WGCBM", "vice_chair")]),
    ("observer.jpn@example.go.jp", "Kenji Observer", "JPN", "observer", [("ASOMM3", "observer")]),
    ("observer.igf@example.org", "Claire Observer", "IGF", "observer", [("WGSMD", "observer")]),
]


def _org(code: str) -> Organisation:
    org = db.session.execute(select(Organisation).where(Organisation.code == code.upper())).scalar_one_or_none()
    if org is None:
        raise click.BadParameter(f"unknown organisation {code!r} (run `flask --app app seed` first?)")
    return org


def _user(email: str) -> User:
    user = services.find_user(email)
    if user is None:
        raise click.BadParameter(f"no account with email {email!r}")
    return user


@click.command("seed")
def seed_command():
    """Load the reference organisations, bodies and AMCAP plans (safe to run again)."""
    added = seed_reference_data()
    db.session.commit()
    click.echo(f"Reference data ready: {added['organisations']} organisations and {added['bodies']} bodies added; "
               f"{added['plans']} plan{'' if added['plans'] == 1 else 's'} and {added['action_lines']} action lines added.")


@click.command("demo")
@click.option("--scale", type=float, default=None,
              help="Also add generated volumes for benchmarks: 1 = 1,000 people, 10,000 documents, 500 meetings, "
                   "100 action lines with 10 years of reports (fractions allowed, e.g. 0.1).")
def demo_command(scale: float | None):
    """Add demo people and memberships for trying AOCP (skips those that exist)."""
    if scale is not None:
        from aocp import scale as scale_data

        if scale <= 0:
            raise click.BadParameter("must be greater than 0", param_hint="--scale")
        if scale_data.present():
            click.echo(f"Scale data is already in this database (people @{scale_data.DOMAIN}); nothing added. "
                       "Start from an empty database to generate it again.", err=True)
            sys.exit(1)
    seed_reference_data()
    created = 0
    for email, name, org_code, role, bodies in DEMO_PEOPLE:
        user = services.find_user(email)
        if user is None:
            user = services.create_user(None, email, name, _org(org_code), role, DEMO_PASSWORD)
            created += 1
        for body_code, body_role in bodies:
            body = db.session.execute(select(Body).where(Body.code == body_code)).scalar_one()
            if user.body_role(body.id) is None:
                services.set_membership(None, user, body, body_role)
    db.session.commit()
    from aocp.demo import demo_documents, demo_meetings

    docs = demo_documents()
    meetings = demo_meetings()
    from aocp.demo import demo_plans

    progress = demo_plans()
    click.echo(f"Demo data ready ({created} people and {docs} documents added). Sign in with any of these, password {DEMO_PASSWORD!r}:")
    for email, _name, org_code, role, _ in DEMO_PEOPLE:
        click.echo(f"  {email:32} {role:13} {org_code}")
    click.echo("The administrator is asked to set up an authenticator app at first sign-in.")
    click.echo(f"{meetings} demo meetings added (see Workspaces).")
    click.echo(f"{progress} demo progress reports added (see AMCAP).")
    if scale is not None:
        started = time.perf_counter()
        counts = scale_data.generate(scale)
        click.echo(f"Scale {scale:g}: {counts.people:,} people, {counts.documents:,} documents "
                   f"({counts.versions:,} versions), {counts.meetings:,} meetings ({counts.action_items:,} action "
                   f"items), {counts.action_lines:,} action lines in {scale_data.PLAN_CODE} ({counts.reports:,} "
                   f"reports) in {time.perf_counter() - started:.1f} s. Generated people sign in with password "
                   f"{scale_data.SCALE_PASSWORD!r}, e.g. {scale_data.person_email(0, 'BRN')}.")


@users_cli.command("create")
@click.argument("email")
@click.option("--org", "org_code", required=True, help="Organisation code, e.g. ASEC or MYS.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="", help="Full name (defaults to the part of the email before @).")
def create_user_command(email: str, org_code: str, role: str, name: str):
    """Create an account; the password is read from a prompt, or from stdin when piped."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = services.create_user(None, email, name or email.split("@")[0], _org(org_code), role, password)
    except services.AccountError as err:
        db.session.rollback()
        raise click.ClickException(str(err)) from err
    db.session.commit()
    click.echo(f"Created {user.email} ({role}, {org_code.upper()}).")


@users_cli.command("add-membership")
@click.argument("email")
@click.argument("body_code")
@click.option("--role", type=click.Choice(BODY_ROLES), default="member", show_default=True)
def add_membership_command(email: str, body_code: str, role: str):
    """Add a person to a body (or change their role in it)."""
    body = db.session.execute(select(Body).where(Body.code == body_code.upper())).scalar_one_or_none()
    if body is None:
        raise click.BadParameter(f"unknown body {body_code!r}")
    services.set_membership(None, _user(email), body, role)
    db.session.commit()
    click.echo(f"{email} is now {role} of {body.code}.")


@users_cli.command("token")
@click.argument("email")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True)
@click.option("--days", type=int, default=None, help="Lifetime in days (default from settings).")
@click.option("--name", default="cli", show_default=True)
def token_command(email: str, scope: str, days: int | None, name: str):
    """Print a new personal access token once."""
    user = _user(email)
    if not user.is_active:
        raise click.ClickException("This account is deactivated.")
    try:
        _token, raw = services.create_token(user, name, scope, days)
    except services.AccountError as err:
        raise click.ClickException(str(err)) from err
    db.session.commit()
    click.echo(raw)


def _recorded_head(_ctx, _param, values: tuple[str, ...]) -> dict[int, str]:
    heads = {}
    for value in values:
        entry_id, _, digest = value.partition(":")
        if not entry_id.isdigit() or len(digest) != 64:
            raise click.BadParameter(f"{value!r} is not ID:HASH as `flask audit head` prints it")
        heads[int(entry_id)] = digest
    return heads


@audit_cli.command("verify")
@click.option("--expect", multiple=True, callback=_recorded_head, metavar="ID:HASH",
              help="A head recorded earlier (by `audit head` or the log) that must still be in the chain.")
def audit_verify_command(expect: dict[int, str]):
    """Check the keyed hash chain of the audit log; exits 1 at the first broken entry."""
    ok, _count, message = audit.verify_chain(expect=expect)
    click.echo(("OK: " if ok else "TAMPERED: ") + message)
    if not ok:
        sys.exit(1)


@audit_cli.command("head")
def audit_head_command():
    """Print the newest entry as ID:HASH, to keep outside the database and pass to `verify --expect` later."""
    entry_id, digest = audit.chain_head()
    click.echo(f"{entry_id}:{digest}")


@sessions_cli.command("purge")
def sessions_purge_command():
    """Delete sessions past their idle or absolute timeout."""
    from datetime import timedelta

    cfg = current_app.config
    now = utcnow()
    gone = db.session.execute(delete(UserSession).where(
        (UserSession.last_seen_at < now - timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]))
        | (UserSession.created_at < now - timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"])))).rowcount
    db.session.commit()
    click.echo(f"{gone} expired sessions deleted.")


def init_app(app: Flask) -> None:
    from aocp.backup.cli import backup_command, restore_command
    from aocp.documents.cli import documents_cli
    from aocp.meetings.cli import meetings_cli
    from aocp.plans.cli import plans_cli

    for command in (seed_command, demo_command, users_cli, audit_cli, sessions_cli, documents_cli, meetings_cli,
                    plans_cli, backup_command, restore_command):
        app.cli.add_command(command)
