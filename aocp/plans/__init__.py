"""AMCAP plans and action lines: structure, quarterly progress reports, reviews and achievement rates.

Pages live in views.py (plans, action lines, reports, dashboards) and packs.py (review packs as XLSX, CSV
and PDF); both attach their routes to `bp`.
"""
from flask import Blueprint

bp = Blueprint("plans", __name__)


def register_views() -> None:
    """Import the view modules so their routes attach to `bp` (called once by the app factory)."""
    import importlib

    for name in ("views", "packs"):
        try:
            importlib.import_module(f"aocp.plans.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"aocp.plans.{name}":
                raise
