"""Notifications: in-app and email, by each person's choice. Other features call `services.notify`."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages, the bell and the `notifications run|digest` commands (`meetings remind` and
    `plans remind` are registered with their domains' commands, in aocp/cli.py)."""
    from aocp.notifications.views import bp
    from aocp.notifications.worker import notifications_cli

    app.register_blueprint(bp)
    app.cli.add_command(notifications_cli)
