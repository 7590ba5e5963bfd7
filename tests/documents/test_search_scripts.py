import io

from sqlalchemy import select

from aocp.accounts.models import User
from aocp.documents import search
from aocp.documents import services as ds
from aocp.documents.access import visible_clause
from aocp.documents.models import Document
from aocp.extensions import db
from tests.conftest import org


def test_words_in_thai_and_literal_wildcards_are_matched_as_typed_on_every_database(app, make_user):
    a = make_user("delegate", org_code="THA")
    with app.app_context():
        u = db.session.get(User, a)
        with ds.committing():
            ds.create(u, ds.Upload(io.BytesIO("รายงานประเทศไทย 100%_done".encode()), "a.txt"),
                      ds.Details("Thai report", org("THA")), ds.Access("asean"))
        for q, n in [("ประเทศ", 1), ("ประเทศ report", 1), ("%x_", 0), ("1_0", 0), ("100%_done", 1), ("zzz", 0), ("Thai", 1)]:
            ids = db.session.execute(search.apply(select(Document.id).where(visible_clause(u)), q)).scalars().all()
            assert len(ids) == n, (q, ids)
