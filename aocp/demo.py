"""Demo content for trying AOCP: a few documents at each access level, made by the demo people."""
from __future__ import annotations

import io

from sqlalchemy import select

from aocp.accounts.services import find_user
from aocp.documents import services as documents
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.orgs.models import Body, Organisation

# (uploader, title, type, org, body, action line, tags, access level, access body, file name, text)
DEMO_DOCUMENTS = [
    ("focal.mys@example.gov.my", "Malaysia country report on minerals trade, 2025", "country_report", "MYS",
     "WGTIM", "TI1.1", ["trade", "investment"], "asean", None, "MYS-country-report-2025.txt",
     "Malaysia country report. Minerals trade and investment policy updates, export statistics for tin and "
     "bauxite, and the national mineral policy review under AMCAP-III Phase 2."),
    ("delegate.mys@example.gov.my", "Draft agenda, 21st WGTIM Meeting", "meeting_paper", "MYS", "WGTIM", "",
     ["agenda"], "body", "WGTIM", "WGTIM-21-draft-agenda.txt",
     "Draft agenda for the 21st Meeting of the Working Group on Trade and Investment in Minerals: adoption of the "
     "agenda, progress of action lines TI1.1 to TI3.2, country reports, any other business."),
    ("delegate.tha@example.go.th", "รายงานความก้าวหน้าการพัฒนาแร่อย่างยั่งยืน (Thailand progress report)",
     "country_report", "THA", "WGSMD", "ES1.1", ["sustainability", "thailand"], "asean", None,
     "รายงานความก้าวหน้า.txt",
     "รายงานความก้าวหน้าการพัฒนาแร่อย่างยั่งยืนของประเทศไทย Thailand progress report on sustainable minerals "
     "development, mine closure and rehabilitation guidelines."),
    ("staff@asec.example.org", "Training course on mineral resource classification (UNFC)", "capacity_building",
     "ASEC", "WGCBM", "IH1.3", ["training", "unfc"], "everyone", None, "UNFC-training-materials.txt",
     "Capacity-building materials: the United Nations Framework Classification for Resources, exercises and case "
     "studies for ASEAN geological surveys."),
    ("focal.phl@example.gov.ph", "ASEAN Minerals Database: data exchange template", "template", "PHL", "WGMID",
     "MD1.1", ["database", "template"], "named", None, "AMDIS-data-template.csv",
     "country,commodity,year,production_tonnes\nPHL,nickel,2024,\nPHL,copper,2024,\n"),
    ("observer.igf@example.org", "IGF guidance on mining policy framework", "study", "IGF", "WGSMD", "",
     ["igf", "policy"], "everyone", None, "IGF-mining-policy-framework.txt",
     "Guidance from the Intergovernmental Forum on Mining, Minerals, Metals and Sustainable Development on the "
     "mining policy framework."),
]


def _get(model, code: str):
    return db.session.execute(select(model).where(model.code == code)).scalar_one()


def demo_documents() -> int:
    """Add the demo documents that are not there yet; returns how many were added."""
    titles = set(db.session.execute(select(Document.title)).scalars())
    added = 0
    for (email, title, doc_type, org, body, line, tags, level, access_body, filename, text) in DEMO_DOCUMENTS:
        uploader = find_user(email)
        if title in titles or uploader is None:
            continue
        if uploader.role == "observer":  # observers do not upload; ASEC shares partners' material for them
            uploader = find_user("staff@asec.example.org")
        access = documents.Access(level, _get(Body, access_body) if access_body else None)
        if level == "named":
            access.orgs = [_get(Organisation, "PHL"), _get(Organisation, "ASEC"), _get(Organisation, "VNM")]
        details = documents.Details(title=title, org=_get(Organisation, org), doc_type=doc_type, language="en",
                                    body=_get(Body, body), action_line=line, tags=tags,
                                    description=text.splitlines()[0][:300])
        with documents.committing():
            documents.create(uploader, documents.Upload(io.BytesIO(text.encode()), filename), details, access)
        added += 1
    return added
