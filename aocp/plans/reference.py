"""Reference data: the structure of AMCAP-III Phase 2 (2021-2025), transcribed from the plan document.

The data file holds the 4 programme areas with their key focus, the 11 outcome-based strategies and the
30 action lines with their full text. The plan document names no lead Member State per action line, so the
file leaves `leads` empty; ASEC records them in the application. Loading is idempotent: texts follow the
file, while what ASEC set in the application (leads, participants, a changed working group) is kept.
"""
from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from aocp.plans.models import ActionLine, Milestone, Plan, ProgrammeArea, Strategy

DATA_DIR = Path(__file__).resolve().parent / "data"
REFERENCE_PLANS = ("amcap_iii_phase2.json",)


@lru_cache(maxsize=None)
def load_plan_file(name: str) -> dict:
    """The parsed data file (read once per process)."""
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def seed_plans() -> dict[str, int]:
    """Insert or update the reference plans; running it twice changes nothing. Returns counts added."""
    added = {"plans": 0, "action_lines": 0}
    bodies = {b.code: b for b in db.session.execute(select(Body)).scalars()}
    orgs = {o.code: o for o in db.session.execute(select(Organisation)).scalars()}
    for name in REFERENCE_PLANS:
        data = load_plan_file(name)
        plan = db.session.execute(
            select(Plan).where(Plan.code == data["code"])
            .options(selectinload(Plan.areas).selectinload(ProgrammeArea.strategies)
                     .selectinload(Strategy.action_lines).selectinload(ActionLine.leads))
        ).scalar_one_or_none()
        if plan is None:
            plan = Plan(code=data["code"], status=data["status"])
            db.session.add(plan)
            added["plans"] += 1
        plan.name, plan.title, plan.description = data["name"], data["title"], data["description"]
        plan.start_year, plan.end_year = data["start_year"], data["end_year"]
        added["action_lines"] += _seed_areas(plan, data["areas"], bodies, orgs)
    db.session.flush()
    return added


def _seed_areas(plan: Plan, areas: list[dict], bodies: dict, orgs: dict) -> int:
    added = 0
    existing_areas = {a.code: a for a in plan.areas}
    existing_strategies = {s.code: s for a in plan.areas for s in a.strategies}
    existing_lines = {line.code: line for s in existing_strategies.values() for line in s.action_lines}
    line_position = 0
    for a_pos, a in enumerate(areas, start=1):
        area = existing_areas.get(a["code"])
        if area is None:
            area = ProgrammeArea(code=a["code"], plan=plan)
            plan.areas.append(area)
        area.name, area.key_focus, area.position = a["name"], a["key_focus"], a_pos
        working_group = bodies.get(a.get("working_group") or "")
        if area.working_group is None:
            area.working_group = working_group
        for s_pos, s in enumerate(a["strategies"], start=1):
            strategy = existing_strategies.get(s["code"])
            if strategy is None:
                strategy = Strategy(code=s["code"], plan=plan)
                area.strategies.append(strategy)
            strategy.title, strategy.position = s["title"], s_pos
            for line_data in s["action_lines"]:
                line_position += 1
                line = existing_lines.get(line_data["code"])
                if line is None:
                    line = ActionLine(code=line_data["code"], plan=plan, strategy=strategy)
                    db.session.add(line)
                    added += 1
                line.text, line.position = line_data["text"], line_position
                if line.body is None:
                    line.body = working_group
                for code in line_data.get("leads", []):
                    if orgs.get(code) is not None and orgs[code] not in line.leads:
                        line.leads.append(orgs[code])
                for m in line_data.get("milestones", []):
                    if not any(x.year == m["year"] and x.text == m["text"] for x in line.milestones):
                        line.milestones.append(Milestone(year=m["year"], text=m["text"], target=m.get("target", ""),
                                                         due_on=date(m["year"], 12, 31)))
    return added
