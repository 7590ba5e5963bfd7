from tests.conftest import login


def test_healthz_answers_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok"}


def test_delegate_signs_in_and_sees_home(client, make_user, app):
    make_user("delegate", email="d@example.org", bodies={"WGTIM": "member"})
    r = login(client, "d@example.org", follow_redirects=True)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "Welcome" in page and "WGTIM" in page
