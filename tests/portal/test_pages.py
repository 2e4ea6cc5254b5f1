"""The portal by direct requests, as an attacker would send them: cookie flags, forms without
their CSRF token, a session replayed after sign-out, another customer's objects, guessing
passwords; and what each role may open."""

from __future__ import annotations

import importlib
import pkgutil
import re
from http.cookies import SimpleCookie

from fastapi.testclient import TestClient
from sqlalchemy import func, select

import accord.portal
from accord.portal.web import COOKIE
from accord.store.schema import Invitation, PortalSession
from tests.portal.conftest import PASSWORD, Provider

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, html
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; the session cookie's value."""
    form = client.get("/portal/sign-in")
    answer = client.post(
        "/portal/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client.cookies[COOKIE]


def _cookie(header: str) -> SimpleCookie:
    cookie = SimpleCookie()
    cookie.load(header)
    return cookie


def test_the_session_cookie_is_httponly_samesite_lax_and_new_at_sign_in(
    client: TestClient, provider: Provider
) -> None:
    form = client.get("/portal/sign-in")
    before = _cookie(form.headers["set-cookie"])[COOKIE]
    assert before["httponly"] is True
    assert before["samesite"] == "lax"
    assert before["path"] == "/portal"
    assert not before["secure"]  # plain http here: a Secure cookie would never come back
    answer = client.post(
        "/portal/sign-in",
        data={
            "email": "agent@prov.example",
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    after = _cookie(answer.headers["set-cookie"])[COOKIE]
    assert after.value != before.value  # the session id changes at sign-in
    assert after["httponly"] is True
    assert after["samesite"] == "lax"
    assert int(after["max-age"]) == 12 * 3600
    # the session before sign-in is over: its cookie signs nobody in
    with provider.database.session() as session:
        before_sign_in = select(PortalSession.revoked_at).where(PortalSession.person_id.is_(None))
        assert session.scalar(before_sign_in) is not None
    client.cookies.set(COOKIE, before.value, path="/portal")
    assert client.get("/portal/", follow_redirects=False).status_code == 303


def test_over_https_the_cookie_is_secure(client: TestClient) -> None:
    client.base_url = client.base_url.copy_with(scheme="https")
    form = client.get("/portal/sign-in")
    assert _cookie(form.headers["set-cookie"])[COOKIE]["secure"] is True


def test_a_form_without_the_sessions_csrf_token_is_refused(
    client: TestClient, provider: Provider
) -> None:
    sign_in(client, "admin@prov.example")
    invitation = {"email": "new@acme.example", "role": "customer_viewer", "customer": "acme-corp"}
    for token in (None, "", "not-the-token"):
        sent = invitation if token is None else {**invitation, "csrf_token": token}
        refused = client.post("/portal/people", data=sent)
        assert refused.status_code == 403
        assert "This form was not sent from Accord" in refused.text
        assert (
            client.post(
                "/portal/sign-out", data={} if token is None else {"csrf_token": token}
            ).status_code
            == 403
        )
    with provider.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Invitation)) == 0
    page = client.get("/portal/people")
    done = client.post("/portal/people", data={**invitation, "csrf_token": csrf_of(page.text)})
    assert done.status_code == 200
    assert "An invitation was sent to <strong>new@acme.example</strong>" in done.text
    # a sign-in form posted from elsewhere (no session, so no token) signs nobody in
    client.cookies.clear()
    forged = client.post(
        "/portal/sign-in",
        data={"email": "admin@prov.example", "password": PASSWORD},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert client.get("/portal/", follow_redirects=False).status_code == 303


def test_a_signed_out_session_cannot_be_replayed(client: TestClient) -> None:
    token = sign_in(client, "viewer@acme.example")
    home = client.get("/portal/")
    assert home.status_code == 200
    out = client.post(
        "/portal/sign-out", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False
    )
    assert (out.status_code, out.headers["location"]) == (303, "/portal/sign-in?notice=signed-out")
    client.cookies.set(COOKIE, token, path="/portal")
    replayed = client.get("/portal/", follow_redirects=False)
    assert replayed.status_code == 303
    assert replayed.headers["location"] == "/portal/sign-in?next=/portal/"


def test_sign_out_everywhere_ends_the_other_browsers_sessions(
    client: TestClient, settings: object, provider: Provider
) -> None:
    other = sign_in(client, "boss@acme.example")
    client.cookies.clear()
    sign_in(client, "boss@acme.example")
    home = client.get("/portal/")
    client.post("/portal/sign-out-everywhere", data={"csrf_token": csrf_of(home.text)})
    client.cookies.set(COOKIE, other, path="/portal")
    assert client.get("/portal/", follow_redirects=False).status_code == 303
    with provider.database.session() as session:
        live = (
            select(func.count())
            .select_from(PortalSession)
            .where(PortalSession.person_id.is_not(None), PortalSession.revoked_at.is_(None))
        )
        assert session.scalar(live) == 0


def test_a_customer_sees_its_agreements_and_another_customers_are_not_found(
    client: TestClient,
) -> None:
    sign_in(client, "viewer@acme.example")
    home = client.get("/portal/")
    assert 'href="/portal/agreements/desk"' in home.text
    assert 'data-agreement="desk"' in home.text  # where the customer stands, on the page
    assert "globex-desk" not in home.text
    assert client.get("/portal/agreements/desk").status_code == 200
    other = client.get("/portal/agreements/globex-desk")
    missing = client.get("/portal/agreements/no-such-thing")
    assert other.status_code == missing.status_code == 404
    assert other.headers["content-type"].startswith("text/html")
    # not found looks the same whether it exists for someone else or not at all
    assert other.text.replace("globex-desk", "X") == missing.text.replace("no-such-thing", "X")


def test_a_customer_admin_cannot_withdraw_another_customers_invitation(
    client: TestClient, provider: Provider
) -> None:
    sign_in(client, "admin@prov.example")
    page = client.get("/portal/people")
    client.post(
        "/portal/people",
        data={
            "email": "x@globex.example",
            "role": "customer_viewer",
            "customer": "globex-retail",
            "csrf_token": csrf_of(page.text),
        },
    )
    with provider.database.session() as session:
        invitation_id = session.scalar(select(Invitation.id))
    client.cookies.clear()
    sign_in(client, "boss@acme.example")
    people = client.get("/portal/people")
    assert "x@globex.example" not in people.text
    refused = client.post(
        f"/portal/invitations/{invitation_id}/withdraw", data={"csrf_token": csrf_of(people.text)}
    )
    assert refused.status_code == 404
    with provider.database.session() as session:
        assert session.scalar(select(Invitation.revoked_at)) is None


def test_guessing_passwords_is_refused_after_the_limit_even_with_the_right_one(
    client: TestClient,
) -> None:
    form = client.get("/portal/sign-in")
    token = csrf_of(form.text)
    for _ in range(3):  # the settings' limit in these tests
        wrong = client.post(
            "/portal/sign-in",
            data={"email": "viewer@acme.example", "password": "guess", "csrf_token": token},
        )
        assert wrong.status_code == 401
        assert "The e-mail address or the password is not right." in wrong.text
    limited = client.post(
        "/portal/sign-in",
        data={"email": "viewer@acme.example", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many failed sign-ins for this e-mail address" in limited.text


def test_each_role_opens_the_pages_it_may_and_is_refused_the_others(client: TestClient) -> None:
    expected = {
        "admin@prov.example": {"/portal/people": 200, "/portal/audit": 200},
        "agent@prov.example": {"/portal/people": 403, "/portal/audit": 403},
        "boss@acme.example": {"/portal/people": 200, "/portal/audit": 403},
        "viewer@acme.example": {"/portal/people": 403, "/portal/audit": 403},
    }
    for email, pages in expected.items():
        client.cookies.clear()
        sign_in(client, email)
        assert {page: client.get(page).status_code for page in pages} == pages, email


def test_pages_send_visitors_to_sign_in_and_back(client: TestClient) -> None:
    asked = client.get("/portal/audit?before=5", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/portal/sign-in?next=/portal/audit%3Fbefore%3D5"
    form = client.get(asked.headers["location"])
    assert 'name="next" value="/portal/audit?before=5"' in form.text
    answer = client.post(
        "/portal/sign-in",
        data={
            "email": "admin@prov.example",
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "https://elsewhere.example/",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/portal/"  # never to another site
    assert client.get("/", follow_redirects=False).headers["location"] == "/portal/"


def test_an_invitation_link_shows_its_form_and_a_bad_one_says_why(client: TestClient) -> None:
    sign_in(client, "admin@prov.example")
    page = client.get("/portal/people")
    done = client.post(
        "/portal/people",
        data={
            "email": "n@prov.example",
            "role": "provider_agent",
            "csrf_token": csrf_of(page.text),
        },
    )
    link = re.search(r'href="(http://testserver/portal/invitation\?token=[^"]+)"', done.text)
    assert link is not None
    client.cookies.clear()
    form = client.get(link.group(1))
    assert form.status_code == 200
    assert form.headers["referrer-policy"] == "no-referrer"
    assert "You will sign in as <strong>n@prov.example</strong>" in form.text
    token = link.group(1).split("token=")[1]
    sent = {"token": token, "password": "a fine new password", "csrf_token": csrf_of(form.text)}
    forged = {**sent, "again": sent["password"], "csrf_token": "not-the-token"}
    assert client.post("/portal/invitation", data=forged).status_code == 403  # link not used
    mistyped = client.post("/portal/invitation", data={**sent, "again": "something else"})
    assert mistyped.status_code == 422
    assert "the two passwords are not the same" in mistyped.text
    accepted = client.post(
        "/portal/invitation", data={**sent, "again": sent["password"]}, follow_redirects=False
    )
    assert (
        accepted.headers["location"] == "/portal/sign-in?notice=password-set&email=n%40prov.example"
    )
    used = client.get(link.group(1))
    assert used.status_code == 410
    assert "This invitation link was used on" in used.text
    assert client.get("/portal/invitation?token=nonsense").status_code == 404


def test_the_portals_files_are_served_by_accord(client: TestClient) -> None:
    script = client.get("/portal/static/htmx.min.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.text.startswith("/*! htmx 4.0.1")
    assert "Zero-Clause BSD" in script.text.splitlines()[0]
    assert client.get("/portal/static/portal.css").status_code == 200
    page = client.get("/portal/sign-in")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)  # no CDN


def test_changes_made_with_api_keys_are_in_the_audit_log_too(
    client: TestClient, provider: Provider
) -> None:
    headers = {"Authorization": f"Bearer {provider.admin_key}"}
    made = client.post("/v1/keys", json={"role": "read", "customer": "acme-corp"}, headers=headers)
    assert made.status_code == 201
    assert client.delete(f"/v1/keys/{made.json()['id']}", headers=headers).status_code == 204
    sign_in(client, "admin@prov.example")
    log = client.get("/portal/audit").text
    prefix = provider.admin_key.split("_")[1]
    rows = re.findall(r"<td>(key [0-9a-f]+)</td>\s*<td>(key\.\w+)</td>", log)
    assert rows == [(f"key {prefix}", "key.revoked"), (f"key {prefix}", "key.created")]


def test_the_invitation_form_offers_what_the_admin_may_invite(client: TestClient) -> None:
    options = re.compile(r'<option value="([^"]*)"')
    sign_in(client, "boss@acme.example")
    form = client.get("/portal/people").text.split('id="invite-heading"', 1)[1]
    offered = options.findall(form)
    assert offered == ["customer_admin", "customer_viewer", "acme-corp"]
    client.cookies.clear()
    sign_in(client, "admin@prov.example")
    form = client.get("/portal/people").text.split('id="invite-heading"', 1)[1]
    offered = options.findall(form)
    assert offered == [
        "provider_admin",
        "provider_agent",
        "customer_admin",
        "customer_viewer",
        "",
        "acme-corp",
        "globex-retail",
    ]


def _portal_forms() -> list[str]:
    """Every POST route of the portal's modules (each module's ``router``), its path
    parameters filled in (an agreement of the organisation, row number 1, a template's kind)."""
    paths = []
    for module in pkgutil.iter_modules(accord.portal.__path__):
        router = getattr(importlib.import_module(f"accord.portal.{module.name}"), "router", None)
        for route in router.routes if router is not None else []:
            if "POST" in getattr(route, "methods", set()):
                path = route.path.replace("{key}", "desk").replace("{kind}", "saas")
                paths.append(re.sub(r"\{\w+\}", "1", path))
    return sorted(paths)


def test_every_portal_form_is_refused_without_the_csrf_token(
    client: TestClient, provider: Provider
) -> None:
    """Not only the forms a test names: a form added later without ``web.check_csrf`` fails
    here. Signed in as the provider's admin, who may send every form."""
    sign_in(client, "admin@prov.example")
    forms = _portal_forms()
    assert "/portal/agreements/desk/versions/1/withdraw" in forms
    assert len(forms) >= 25
    for path in forms:
        if path in ("/portal/sign-in", "/portal/invitation", "/portal/password-reset"):
            continue  # before sign-in, with a link's token: their own tests
        refused = client.post(path, data={"csrf_token": "not-the-token"})
        assert refused.status_code == 403, (path, refused.status_code)
        assert "This form was not sent from Accord" in refused.text, path
    assert client.get("/portal/", follow_redirects=False).status_code == 200  # still signed in
