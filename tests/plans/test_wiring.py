"""How the plans domain is wired: one blueprint with its pages imported plainly, and no import circle with
notifications (the reminders, which read reports, are the plans domain's)."""
from __future__ import annotations

import ast
from pathlib import Path

import aocp
import aocp.plans

SOURCE = Path(aocp.__file__).parent


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def test_report_notifications_do_not_import_the_report_workflow_that_calls_them():
    assert "aocp.plans.reports" not in _imported(SOURCE / "notifications" / "plans.py")
    assert "aocp.notifications.plans" in _imported(SOURCE / "plans" / "reports.py")


def test_the_plans_blueprint_has_its_routes_without_a_registration_call(app):
    assert not hasattr(aocp.plans, "register_views")
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("plans.")}
    assert {"plans.index", "plans.plan", "plans.line", "plans.report", "plans.dashboard", "plans.matrix",
            "plans.packs", "plans.pack"} <= routes


def test_the_remind_command_is_a_plans_command(app):
    result = app.test_cli_runner().invoke(args=["plans", "remind", "--help"])
    assert result.exit_code == 0 and "--days" in result.output
