"""Notifications: in-app and email, by each person's choice. Other features call `services.notify`."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages, the bell and the commands (`notifications run|digest`, `meetings remind`)."""
    from aocp.notifications.reminders import meetings_cli, remind_command
    from aocp.notifications.views import bp
    from aocp.notifications.worker import notifications_cli

    app.register_blueprint(bp)
    app.cli.add_command(notifications_cli)
    existing = app.cli.commands.get("meetings")
    if existing is not None and existing is not meetings_cli:  # the meetings package has its own commands
        existing.add_command(remind_command)
    else:
        app.cli.add_command(meetings_cli)
