"""Reference data: the organisations and bodies of ASEAN minerals cooperation (AMCAP-III)."""
from __future__ import annotations

from sqlalchemy import select

from aocp.extensions import db
from aocp.orgs.models import Body, Organisation

ORGANISATIONS = [
    ("BRN", "Brunei Darussalam", "member_state"),
    ("KHM", "Cambodia", "member_state"),
    ("IDN", "Indonesia", "member_state"),
    ("LAO", "Lao PDR", "member_state"),
    ("MYS", "Malaysia", "member_state"),
    ("MMR", "Myanmar", "member_state"),
    ("PHL", "Philippines", "member_state"),
    ("SGP", "Singapore", "member_state"),
    ("THA", "Thailand", "member_state"),
    ("VNM", "Viet Nam", "member_state"),
    ("ASEC", "ASEAN Secretariat", "secretariat"),
    ("CHN", "China", "dialogue_partner"),
    ("JPN", "Japan", "dialogue_partner"),
    ("KOR", "Republic of Korea", "dialogue_partner"),
    ("IGF", "Intergovernmental Forum on Mining, Minerals, Metals and Sustainable Development",
     "international_org"),
    ("CCOP", "Coordinating Committee for Geoscience Programmes in East and Southeast Asia", "international_org"),
    ("AFMA", "ASEAN Federation of Mining Associations", "international_org"),
]

# (code, short name, full name, parent code, description)
BODIES = [
    ("AMMIN", "AMMin", "ASEAN Ministerial Meeting on Minerals", None,
     "The Ministers for minerals; meets every two years and sets policy direction."),
    ("ASOMM", "ASOMM", "ASEAN Senior Officials Meeting on Minerals", "AMMIN",
     "Senior officials; meets yearly, oversees AMCAP and reports to the Ministers."),
    ("ASOMM3", "ASOMM+3", "ASOMM Plus Three (China, Japan, Republic of Korea)", "ASOMM",
     "Senior officials with the Plus Three partners."),
    ("JWG", "JWG", "Joint Working Group", "ASOMM",
     "Coordinates the four working groups; meets twice a year, back-to-back with them."),
    ("WGTIM", "WGTIM", "Working Group on Trade and Investment in Minerals", "JWG",
     "Programme area 1: facilitating and enhancing trade and investment in minerals."),
    ("WGSMD", "WGSMD", "Working Group on Sustainable Minerals Development", "JWG",
     "Programme area 2: environmentally and socially sustainable mineral development."),
    ("WGCBM", "WGCBM", "Working Group on Capacity Building in Minerals", "JWG",
     "Programme area 3: institutional and human capacities in the minerals sector."),
    ("WGMID", "WGMID", "Working Group on Minerals Information and Database", "JWG",
     "Programme area 4: the ASEAN Minerals Database and Information System (AMDIS)."),
    ("TF", "AMCAP Task Force", "AMCAP Task Force", "ASOMM",
     "Representatives of each Member State and ASEC who prepare the AMCAP; chaired by Malaysia."),
]


def seed_orgs_and_bodies() -> dict[str, int]:
    """Insert or update the reference organisations and bodies; running it twice changes nothing."""
    added = {"organisations": 0, "bodies": 0}
    orgs = {o.code: o for o in db.session.execute(select(Organisation)).scalars()}
    for code, name, kind in ORGANISATIONS:
        org = orgs.get(code)
        if org is None:
            db.session.add(Organisation(code=code, name=name, kind=kind))
            added["organisations"] += 1
        else:
            org.name, org.kind = name, kind
    bodies = {b.code: b for b in db.session.execute(select(Body)).scalars()}
    for code, short, name, parent, description in BODIES:
        body = bodies.get(code)
        if body is None:
            body = bodies[code] = Body(code=code, short_name=short, name=name, description=description)
            db.session.add(body)
            added["bodies"] += 1
        else:
            body.short_name, body.name = short, name
            body.description = body.description or description
        body.parent = bodies[parent] if parent else None
    db.session.flush()
    return added
