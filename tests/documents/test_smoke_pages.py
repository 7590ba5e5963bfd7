import io, re
from tests.conftest import login, post_form, csrf_token

def test_pages(client, make_user, app):
    make_user("delegate", email="d@example.org", org_code="THA", bodies={"WGTIM": "member"})
    login(client, "d@example.org")
    r = client.get("/documents/upload"); assert r.status_code == 200, r.data
    tok = csrf_token(client, "/documents/upload")
    r = client.post("/documents/upload", data={"csrf_token": tok, "files": [(io.BytesIO("สวัสดี nickel report".encode()), "รายงาน.txt")],
        "title": "", "doc_type": "country_report", "language": "th", "org": "THA", "body": "WGTIM", "tags": "nickel, esg",
        "access_level": "body", "access_body": "WGTIM"}, content_type="multipart/form-data")
    print(r.status_code, r.headers.get("Location"), r.get_data(as_text=True)[-3000:] if r.status_code != 302 else "")
    assert r.status_code == 302
    loc = r.headers["Location"]
    for url in [loc, loc + "/audience", loc + "/edit", loc + "/access", "/documents/", "/documents/?q=nickel", "/documents/capacity-building", "/documents/?since=bad"]:
        r = client.get(url); print(url, r.status_code); assert r.status_code == 200, r.get_data(as_text=True)[-2000:]
    assert "<mark>nickel</mark>" in client.get("/documents/?q=nickel").get_data(as_text=True)
    r = client.get(loc + "/download"); print(r.headers); print(r.get_data()); r.close()
    r = client.get("/documents/trash"); print(r.status_code)
