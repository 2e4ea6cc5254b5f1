"""The portal's error pages (404, 403, 405, 422...) are laid out as every page: a signed-in
person who follows a stale link has the main navigation their role allows, a way back other
than the browser's back button; anyone else has a sign-in link. The navigation is the
visitor's: a 404 for another customer's object still reads exactly as one for an object that
does not exist."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.portal.test_pages import sign_in

NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)


def _navigation(html: str) -> list[tuple[str, str]]:
    """The main navigation's links: (address, words)."""
    found = NAV.search(html)
    assert found is not None, html
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', found.group(1))


def test_a_signed_in_customer_on_a_stale_link_has_the_main_navigation(client: TestClient) -> None:
    sign_in(client, "viewer@acme.example")
    missing = client.get("/portal/no/such/page")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in missing.text
    assert "There is no page at /portal/no/such/page." in missing.text
    assert _navigation(missing.text) == [
        ("/portal/", "Home"),
        ("/portal/tickets", "Tickets"),
        ("/portal/reports", "Reports"),
        ("/portal/claims", "Credits and claims"),
    ]
    assert "Signed in as <strong>" in missing.text
    assert 'action="/portal/sign-out"' in missing.text
    assert 'href="/portal/sign-in"' not in missing.text


def test_a_404_for_another_customers_object_looks_like_one_for_nothing(
    client: TestClient,
) -> None:
    """With the navigation on it, the page still says nothing of whether the object exists
    for someone else: the two pages are the same but for the name asked."""
    sign_in(client, "viewer@acme.example")
    for other, nothing in (
        ("/portal/agreements/globex-desk", "/portal/agreements/no-such-thing"),
        (
            "/portal/agreements/globex-desk/reports/2026-11",
            "/portal/agreements/no-such-thing/reports/2026-11",
        ),
    ):
        found, missing = client.get(other), client.get(nothing)
        assert found.status_code == missing.status_code == 404, other
        assert _navigation(found.text) == _navigation(missing.text)
        assert ("/portal/tickets", "Tickets") in _navigation(found.text)
        shown = found.text.replace("globex-desk", "X")
        assert shown == missing.text.replace("no-such-thing", "X"), other


def test_staff_have_their_own_navigation_on_an_error_page(client: TestClient) -> None:
    """A provider agent refused the People page (403) still has the console and every page
    their role opens; a wrong method (405) is laid out alike."""
    sign_in(client, "agent@prov.example")
    refused = client.get("/portal/people")
    assert refused.status_code == 403
    links = _navigation(refused.text)
    assert ("/portal/console", "Console") in links
    assert ("/portal/people", "People") not in links
    wrong = client.put("/portal/")
    assert wrong.status_code == 405
    assert _navigation(wrong.text) == links


def test_someone_not_signed_in_gets_a_sign_in_link_and_no_navigation(
    client: TestClient,
) -> None:
    missing = client.get("/portal/no/such/page")
    assert missing.status_code == 404
    assert _navigation(missing.text) == [("/portal/sign-in", "Sign in")]
    assert "Signed in as" not in missing.text
    assert "/portal/tickets" not in missing.text
    used = client.get("/portal/invitation?token=nonsense")
    assert used.status_code == 404
    assert _navigation(used.text) == [("/portal/sign-in", "Sign in")]


def test_a_signed_out_session_is_not_taken_for_a_signed_in_one(client: TestClient) -> None:
    """The page reads the session as every page does: once signed out, the cookie the
    browser may still send lays the error page out for no one."""
    sign_in(client, "viewer@acme.example")
    cookie = dict(client.cookies)
    home = client.get("/portal/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert token is not None
    client.post("/portal/sign-out", data={"csrf_token": token.group(1)})
    for name, value in cookie.items():
        client.cookies.set(name, value)
    missing = client.get("/portal/no/such/page")
    assert missing.status_code == 404
    assert _navigation(missing.text) == [("/portal/sign-in", "Sign in")]
