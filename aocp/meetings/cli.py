"""The `meetings` commands: `flask --app app meetings remind` sends the day's reminders (run once a day)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from aocp.extensions import db
from aocp.notifications.reminders import remind_overdue_actions, remind_papers_due

meetings_cli = AppGroup("meetings", help="Meeting workspaces.")


@meetings_cli.command("remind")
@click.option("--days", type=click.IntRange(0, 60), default=3, show_default=True,
              help="Remind of paper deadlines this many days ahead.")
def remind_command(days: int):
    """Send today's reminders: papers due soon and overdue action items (run once a day)."""
    papers = remind_papers_due(days)
    overdue = remind_overdue_actions()
    db.session.commit()
    click.echo(f"Reminded {papers} people of papers due and {overdue} of overdue action items.")
