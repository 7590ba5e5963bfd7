"""AMCAP plans and action lines: structure, quarterly progress reports, reviews and achievement rates.

The pages: plan_pages.py (plans, their structure and import), line_pages.py (action lines and milestones),
report_pages.py (a quarter's progress report), dashboard_pages.py (dashboard and matrix) and pack_pages.py
(review packs as XLSX, CSV and PDF); pages.py holds what they share. `loading.py` loads a plan, line or
report through the policy for the pages and the API alike.
"""
from flask import Blueprint

bp = Blueprint("plans", __name__)

from aocp.plans import (  # noqa: E402,F401
    dashboard_pages,
    line_pages,
    pack_pages,
    pages,
    plan_pages,
    queue_pages,
    report_pages,
)
