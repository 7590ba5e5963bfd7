"""Organisations and bodies as the choices of a form's select fields."""
from __future__ import annotations

from sqlalchemy import select

from aocp.extensions import db
from aocp.orgs.models import Body, Organisation


def org_choices(only: Organisation | None = None) -> list[tuple[str, str]]:
    if only is not None:
        return [(str(only.id), only.name)]
    orgs = db.session.execute(select(Organisation).order_by(Organisation.kind, Organisation.name)).scalars()
    return [(str(o.id), f"{o.name} ({o.code})") for o in orgs]


def body_choices() -> list[tuple[str, str]]:
    bodies = db.session.execute(select(Body).order_by(Body.id)).scalars()
    return [(b.code, f"{b.short_name} — {b.name}") for b in bodies]
