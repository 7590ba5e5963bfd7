"""Notifications: in-app and email, by each person's choice. Other features call `services.notify`."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages, the bell and the commands (`notifications run|digest`, `plans remind`; `meetings remind`
    is registered with the other commands, in aocp/cli.py)."""
    from aocp.notifications.plans import plans_cli
    from aocp.notifications.plans import remind_command as plans_remind
    from aocp.notifications.views import bp
    from aocp.notifications.worker import notifications_cli

    app.register_blueprint(bp)
    app.cli.add_command(notifications_cli)
    existing = app.cli.commands.get("plans")
    if existing is not None and existing is not plans_cli:
        existing.add_command(plans_remind)
    else:
        app.cli.add_command(plans_cli)
