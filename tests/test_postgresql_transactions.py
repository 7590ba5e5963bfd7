"""PostgreSQL: how transactions end. A transaction that only read is committed rather than rolled back, so the
statements psycopg prepared survive it; one that wrote is still rolled back."""
import pytest
from sqlalchemy import func, select, text

from aocp.extensions import db
from aocp.orgs.models import Organisation

# A label no other query uses, to find this one among what the connection prepared for earlier tests.
PREPARED = text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%AS transactions_probe%'")


@pytest.fixture
def postgresql(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite has no server-side prepared statements")
        yield


def test_statements_prepared_by_read_only_transactions_outlive_their_rollback(postgresql):
    wanted = select(Organisation.name.label("transactions_probe")).where(Organisation.code == "MYS")
    with db.engine.connect() as conn:
        for _ in range(7):  # psycopg prepares a statement the fifth time a connection runs it
            assert conn.execute(wanted).scalar() == "Malaysia"
            conn.rollback()  # as every request that only read ends
        assert conn.execute(PREPARED).scalar() == 1


def test_a_transaction_that_wrote_is_still_rolled_back(postgresql):
    db.session.add(Organisation(code="ZZT", name="Written then abandoned", kind="dialogue_partner"))
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Organisation).where(Organisation.code == "ZZT")) == 0
    with db.engine.connect() as conn:
        conn.execute(Organisation.__table__.insert().values(code="ZZU", name="Core insert", kind="dialogue_partner",
                                                            require_mfa=False))
        conn.rollback()
        left = select(func.count()).select_from(Organisation).where(Organisation.code == "ZZU")
        assert conn.execute(left).scalar() == 0
