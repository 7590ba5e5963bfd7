"""The `plans` commands: `flask --app app plans remind --days 7` sends today's progress report reminders."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from aocp.extensions import db
from aocp.plans.reminders import remind_reports

plans_cli = AppGroup("plans", help="AMCAP plans and progress reports.")


@plans_cli.command("remind")
@click.option("--days", type=click.IntRange(0, 30), default=7, show_default=True,
              help="Remind of a quarter's report deadline this many days ahead.")
def remind_command(days: int):
    """Send today's progress report reminders: due soon and past the deadline (run once a day)."""
    due, missing = remind_reports(days)
    db.session.commit()
    click.echo(f"Reminded {due} people of progress reports due and {missing} of reports past the deadline.")
