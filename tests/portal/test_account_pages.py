"""The account pages by direct requests: changing the password, one's sessions, "forgot
password" and its link, and managing people on the People page; each form refused without
its CSRF token, and another customer's people not found."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.portal.web import COOKIE
from accord.store.schema import OutgoingMail, Person
from tests.portal.conftest import PASSWORD, Provider
from tests.portal.test_pages import csrf_of, sign_in

NEW_PASSWORD = "tulips in the rain again"
REFUSED = "This form was not sent from Accord"


def _id(provider: Provider, email: str) -> int:
    with provider.database.session() as session:
        found = session.scalar(select(Person.id).where(Person.email == email))
    assert found is not None
    return found


def _mails(provider: Provider) -> list[OutgoingMail]:
    with provider.database.session() as session:
        return list(session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def _signed_in_elsewhere(client: TestClient, email: str) -> str:
    """A second session of the person (another browser): its cookie; this client's session
    is a new one after it."""
    other = sign_in(client, email)
    client.cookies.clear()
    sign_in(client, email)
    return other


def _is_signed_in(client: TestClient, token: str) -> bool:
    """Whether a browser with this session cookie is signed in (the client's own cookie is
    put back after)."""
    kept = httpx.Cookies(client.cookies)
    client.cookies.clear()
    client.cookies.set(COOKIE, token, path="/portal")
    answer = client.get("/portal/", follow_redirects=False)
    client.cookies = kept
    return answer.status_code == 200


def test_changing_the_password_keeps_this_browser_and_signs_out_the_others(
    client: TestClient,
) -> None:
    other = _signed_in_elsewhere(client, "viewer@acme.example")
    here = client.cookies[COOKIE]
    page = client.get("/portal/account")
    assert page.status_code == 200
    assert "(this browser)" in page.text
    form = {"current": PASSWORD, "password": NEW_PASSWORD, "again": NEW_PASSWORD}
    for token in (None, "not-the-token"):
        sent = form if token is None else {**form, "csrf_token": token}
        refused = client.post("/portal/account/password", data=sent)
        assert refused.status_code == 403
        assert REFUSED in refused.text
    wrong = client.post(
        "/portal/account/password",
        data={**form, "current": "not my password", "csrf_token": csrf_of(page.text)},
    )
    assert wrong.status_code == 422
    assert "Your current password is not right." in wrong.text
    assert re.search(r'id="current"[^>]*aria-invalid="true"', wrong.text)
    done = client.post(
        "/portal/account/password",
        data={**form, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/portal/account?notice=password-changed",
    )
    assert _is_signed_in(client, here)
    assert not _is_signed_in(client, other)
    client.cookies.clear()
    sign_in(client, "viewer@acme.example", NEW_PASSWORD)


def test_a_person_ends_another_session_or_all_others_but_not_someone_elses(
    client: TestClient,
) -> None:
    admins = sign_in(client, "admin@prov.example")
    browsers = []
    for _ in range(3):  # three browsers of the same person; the client is the last
        client.cookies.clear()
        browsers.append(
            sign_in(
                client,
                "boss@acme.example",
            )
        )
    *others, here = browsers
    page = client.get("/portal/account")
    ids = [int(i) for i in re.findall(r"/portal/account/sessions/(\d+)/end", page.text)]
    assert len(ids) == 2  # the other two; this one ends by signing out
    assert page.text.count("(this browser)") == 1
    assert client.post(f"/portal/account/sessions/{ids[0]}/end", data={}).status_code == 403
    ended = client.post(
        f"/portal/account/sessions/{ids[0]}/end",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert ended.headers["location"] == "/portal/account?notice=session-ended"
    assert sorted(_is_signed_in(client, t) for t in others) == [False, True]
    # the admin's session (the first made) is not the boss's to end
    assert (
        client.post(
            "/portal/account/sessions/1/end", data={"csrf_token": csrf_of(page.text)}
        ).status_code
        == 404
    )
    assert _is_signed_in(client, admins)
    assert client.post("/portal/account/sessions/end-others", data={}).status_code == 403
    client.post("/portal/account/sessions/end-others", data={"csrf_token": csrf_of(page.text)})
    assert [_is_signed_in(client, t) for t in others] == [False, False]
    assert _is_signed_in(client, here)
    assert "/end" not in client.get("/portal/account").text.split("Where you are signed in")[1]


def _reset_link(provider: Provider) -> str:
    found = re.search(
        r"http://testserver(/portal/password-reset\?token=\S+)", _mails(provider)[-1].body
    )
    assert found is not None
    return found.group(1)


def test_forgot_password_says_the_same_whoever_asks_and_the_link_resets_once(
    client: TestClient, provider: Provider
) -> None:
    sign_in_page = client.get("/portal/sign-in")
    assert 'href="/portal/forgot-password"' in sign_in_page.text
    other = sign_in(client, "viewer@acme.example")
    client.cookies.clear()
    form = client.get("/portal/forgot-password")
    assert (
        client.post("/portal/forgot-password", data={"email": "viewer@acme.example"}).status_code
        == 403
    )
    assert _mails(provider) == []
    answers = [
        client.post(
            "/portal/forgot-password", data={"email": email, "csrf_token": csrf_of(form.text)}
        )
        for email in ("nobody@acme.example", "viewer@acme.example")
    ]
    assert [a.status_code for a in answers] == [200, 200]
    said = [
        a.text.replace("nobody@acme.example", "X").replace("viewer@acme.example", "X")
        for a in answers
    ]
    assert said[0] == said[1]  # nothing tells whether the address has an account
    assert "for 60 minutes" in said[0]
    assert [m.recipient for m in _mails(provider)] == ["viewer@acme.example"]
    link = _reset_link(provider)
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    token = link.split("token=", 1)[1]
    sent = {"token": token, "password": NEW_PASSWORD, "again": NEW_PASSWORD}
    assert client.post("/portal/password-reset", data=sent).status_code == 403
    short = client.post(
        "/portal/password-reset",
        data={**sent, "password": "short", "again": "short", "csrf_token": csrf_of(page.text)},
    )
    assert short.status_code == 422
    done = client.post(
        "/portal/password-reset",
        data={**sent, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith("/portal/sign-in?notice=password-reset")
    assert not _is_signed_in(client, other)
    again = client.get(link)
    assert again.status_code == 410
    sign_in(client, "viewer@acme.example", NEW_PASSWORD)


def _told_changed(mail: OutgoingMail, how: str) -> None:
    """The e-mail telling the viewer their password changed: when, how, what to do if it was
    not them (ask for a new one: the forgot-password page, their address filled in); never
    the password."""
    assert mail.recipient == "viewer@acme.example"
    assert mail.subject.startswith("Your password for the service level portal of ")
    assert mail.subject.endswith(" was changed")
    assert mail.body is not None
    text = " ".join(mail.body.split())
    assert re.search(r"was changed on \d{4}-\d\d-\d\d at \d\d:\d\d UTC, " + how, text)
    assert "If it was not you" in text
    assert "http://testserver/portal/forgot-password?email=viewer@acme.example" in text
    for secret in (PASSWORD, NEW_PASSWORD, "another long password"):
        assert secret not in mail.body


def test_a_changed_or_reset_password_is_told_by_e_mail_without_the_password(
    client: TestClient, provider: Provider
) -> None:
    sign_in(client, "viewer@acme.example")
    page = client.get("/portal/account")
    form = {"current": PASSWORD, "password": NEW_PASSWORD, "again": NEW_PASSWORD}
    wrong = client.post(
        "/portal/account/password",
        data={**form, "current": "not my password", "csrf_token": csrf_of(page.text)},
    )
    assert wrong.status_code == 422
    assert _mails(provider) == []  # nothing changed: nothing told
    client.post("/portal/account/password", data={**form, "csrf_token": csrf_of(page.text)})
    (changed,) = _mails(provider)
    _told_changed(changed, "on the portal's account page")
    client.cookies.clear()
    form_page = client.get("/portal/forgot-password")
    client.post(
        "/portal/forgot-password",
        data={"email": "viewer@acme.example", "csrf_token": csrf_of(form_page.text)},
    )
    link = _reset_link(provider)
    page = client.get(link)
    token = link.split("token=", 1)[1]
    again = "another long password"
    client.post(
        "/portal/password-reset",
        data={"token": token, "password": again, "again": again, "csrf_token": csrf_of(page.text)},
    )
    mails = _mails(provider)
    assert len(mails) == 3  # the change's, the link's, the reset's
    _told_changed(mails[-1], "with a link to choose a new password")
    sign_in(client, "viewer@acme.example", again)


def test_forgot_password_answers_alike_in_status_body_and_headers(
    client: TestClient, provider: Provider
) -> None:
    form = client.get("/portal/forgot-password")
    answers = [
        client.post(
            "/portal/forgot-password", data={"email": email, "csrf_token": csrf_of(form.text)}
        )
        for email in ("nobody@acme.example", "viewer@acme.example")  # as long as each other
    ]
    unknown, known = answers
    assert unknown.status_code == known.status_code == 200
    assert unknown.text.replace("nobody@", "viewer@") == known.text
    # every header alike but the request's own id (a new one for every request) and the
    # length of the body compressed, which holds the address typed (the same length
    # uncompressed)
    assert len(unknown.content) == len(known.content)
    differ = ("x-request-id", "content-length")
    headers = [{k: v for k, v in a.headers.items() if k not in differ} for a in answers]
    assert headers[0] == headers[1]
    assert "set-cookie" not in headers[0]
    assert [m.recipient for m in _mails(provider)] == ["viewer@acme.example"]


def test_forgot_password_is_limited_like_sign_in(client: TestClient) -> None:
    form = client.get("/portal/forgot-password")
    token = csrf_of(form.text)
    for _ in range(3):  # the settings' limit in these tests
        assert (
            client.post(
                "/portal/forgot-password", data={"email": "boss@acme.example", "csrf_token": token}
            ).status_code
            == 200
        )
    limited = client.post(
        "/portal/forgot-password", data={"email": "boss@acme.example", "csrf_token": token}
    )
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many password resets asked for this e-mail address" in limited.text


@pytest.mark.parametrize("action", ["role", "remove"])
def test_people_page_forms_need_the_csrf_token(
    client: TestClient, provider: Provider, action: str
) -> None:
    sign_in(client, "boss@acme.example")
    target = _id(provider, "viewer@acme.example")
    refused = client.post(f"/portal/people/{target}/{action}", data={"role": "customer_admin"})
    assert refused.status_code == 403
    with provider.database.session() as session:
        person = session.get(Person, target)
        assert person is not None
        assert person.role == "customer_viewer"


def test_a_customer_admin_changes_and_removes_its_colleagues_only(
    client: TestClient, provider: Provider
) -> None:
    viewer = sign_in(client, "viewer@acme.example")
    client.cookies.clear()
    sign_in(client, "boss@acme.example")
    page = client.get("/portal/people")
    csrf = csrf_of(page.text)
    assert "viewer@globex.example" not in page.text
    assert 'value="provider_admin"' not in page.text  # customer roles only
    for email in ("viewer@globex.example", "admin@prov.example"):
        target = _id(provider, email)
        changed = client.post(
            f"/portal/people/{target}/role", data={"role": "customer_admin", "csrf_token": csrf}
        )
        removed = client.post(f"/portal/people/{target}/remove", data={"csrf_token": csrf})
        assert changed.status_code == removed.status_code == 404
    target = _id(provider, "viewer@acme.example")
    promoted = client.post(
        f"/portal/people/{target}/role",
        data={"role": "customer_admin", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert promoted.headers["location"] == "/portal/people?notice=role-changed"
    refused = client.post(
        f"/portal/people/{target}/role", data={"role": "provider_admin", "csrf_token": csrf}
    )
    assert refused.status_code == 422
    assert "expected one of customer_admin, customer_viewer" in refused.text
    assert _is_signed_in(client, viewer)
    removed = client.post(
        f"/portal/people/{target}/remove", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert removed.headers["location"] == "/portal/people?notice=removed"
    assert not _is_signed_in(client, viewer)  # signed out at once
    assert "viewer@acme.example" not in client.get("/portal/people").text


def test_the_last_provider_admin_is_kept(client: TestClient, provider: Provider) -> None:
    sign_in(client, "admin@prov.example")
    page = client.get("/portal/people")
    me = _id(provider, "admin@prov.example")
    refused = client.post(f"/portal/people/{me}/remove", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 409
    assert "is the last provider admin" in refused.text
    demoted = client.post(
        f"/portal/people/{me}/role",
        data={"role": "provider_agent", "csrf_token": csrf_of(page.text)},
    )
    assert demoted.status_code == 409
