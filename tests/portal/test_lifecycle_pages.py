"""An agreement's life in the portal: the customer's admin reads a proposal's hash and accepts
it (or it is refused, with the reason, when the hash is not the proposal's); a viewer only
comments; the provider's console lists who has not answered."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from accord.service import agreements, lifecycle, tenants
from tests.portal.conftest import Provider
from tests.portal.test_pages import csrf_of, sign_in
from tests.service.agreements import DESK_V2


def _propose(provider: Provider) -> str:
    with provider.database.session() as session:
        admin = tenants.authenticate(session, provider.admin_key)
        lifecycle.upload(session, admin, DESK_V2, stage="proposed")
        found = lifecycle.life(session, admin, "desk").versions[1]
    assert found.hash is not None
    return found.hash


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def test_the_customer_admin_accepts_the_hash_shown(client: TestClient, provider: Provider) -> None:
    proposed = _propose(provider)
    sign_in(client, "boss@acme.example")
    page = client.get("/portal/agreements/desk")
    text = _words(page.text)
    assert "Version 2 (2): proposed, amendment" in text
    assert f'<input type="hidden" name="hash" value="{proposed}">' in text
    assert f"the document whose SHA-256 is <code>{proposed}</code>" in text
    assert "Waiting on the customer" in text
    done = client.post(
        "/portal/agreements/desk/versions/2/accept",
        data={"hash": proposed, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = _words(client.get(done.headers["location"]).text)
    assert after.count("Accepted: your signature of this version is recorded") == 1  # once
    assert '<dd data-state="in force">in force</dd>' in after
    assert "version 2 (2), the version in force" in after
    with provider.database.session() as session:
        row = agreements.find(session, provider.principal("boss@acme.example"), "desk")
        assert agreements.version_in_force(session, row, tenants.now()).number == 2


def test_another_hash_is_refused_on_the_page_with_the_reason(
    client: TestClient, provider: Provider
) -> None:
    _propose(provider)
    sign_in(client, "boss@acme.example")
    page = client.get("/portal/agreements/desk")
    refused = client.post(
        "/portal/agreements/desk/versions/2/accept",
        data={"hash": "0" * 64, "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 409
    assert "is not the hash of version 2 as proposed" in refused.text


def test_a_viewer_comments_but_does_not_sign(client: TestClient, provider: Provider) -> None:
    _propose(provider)
    sign_in(client, "viewer@acme.example")
    page = client.get("/portal/agreements/desk")
    assert "Accept version 2" not in page.text
    assert "Comment on version 2" in page.text
    sent = client.post(
        "/portal/agreements/desk/versions/2/comment",
        data={"text": "Can we talk about the 8h?", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    with provider.database.session() as session:
        admin = tenants.authenticate(session, provider.admin_key)
        [*_, last] = lifecycle.history_of(session, admin, "desk")
    assert (last.action, last.actor) == ("commented", "viewer@acme.example")
    assert last.detail["text"] == "Can we talk about the 8h?"
    forged = client.post(
        "/portal/agreements/desk/versions/2/accept",
        data={"hash": "0" * 64, "csrf_token": csrf_of(page.text)},
    )
    assert forged.status_code == 403
    assert "is a customer_viewer" in forged.text


def test_the_console_lists_who_has_not_answered(client: TestClient, provider: Provider) -> None:
    _propose(provider)
    sign_in(client, "agent@prov.example")
    page = _words(client.get("/portal/console/proposals").text)
    assert 'data-agreement="desk"' in page
    row = page[page.index('data-agreement="desk"') :]
    assert "<td>customer</td>" in row
    assert "customer_admin person of acme-corp" in row
    client.cookies.clear()
    sign_in(client, "viewer@acme.example")
    assert client.get("/portal/console/proposals").status_code == 403


def test_the_provider_admin_withdraws_a_proposal_from_its_page(
    client: TestClient, provider: Provider
) -> None:
    _propose(provider)
    sign_in(client, "admin@prov.example")
    page = client.get("/portal/agreements/desk")
    assert "Withdraw version 2" in page.text
    unsent = client.post("/portal/agreements/desk/versions/2/withdraw", data={"reason": "no token"})
    assert unsent.status_code == 403  # without the CSRF token nothing is withdrawn
    done = client.post(
        "/portal/agreements/desk/versions/2/withdraw",
        data={"reason": "Priced wrongly", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = _words(client.get(done.headers["location"]).text)
    assert after.count("Withdrawn: this version will never be in force") == 1
    assert '<td data-state="withdrawn">withdrawn</td>' in after
    assert "Withdraw version 2" not in after  # no longer waiting: nothing left to withdraw
    with provider.database.session() as session:
        admin = tenants.authenticate(session, provider.admin_key)
        [*_, last] = lifecycle.history_of(session, admin, "desk")
        row = agreements.find(session, admin, "desk")
        assert agreements.version_in_force(session, row, tenants.now()).number == 1
    assert (last.action, last.actor) == ("withdrawn", "admin@prov.example")
    assert last.detail["reason"] == "Priced wrongly"
    again = client.post(
        "/portal/agreements/desk/versions/2/withdraw",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert again.status_code == 409  # withdrawn already: refused on the page, with its state
    assert "withdrawn" in again.text


def test_only_the_providers_signatory_may_withdraw(client: TestClient, provider: Provider) -> None:
    _propose(provider)
    for email in ("agent@prov.example", "boss@acme.example"):
        client.cookies.clear()
        sign_in(client, email)
        page = client.get("/portal/agreements/desk")
        assert "Withdraw version 2" not in page.text
        refused = client.post(
            "/portal/agreements/desk/versions/2/withdraw",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert refused.status_code == 403, email
        assert "withdrawing a version is for the provider&#39;s signatory" in refused.text
    with provider.database.session() as session:
        admin = tenants.authenticate(session, provider.admin_key)
        assert lifecycle.life(session, admin, "desk").versions[1].status == "proposed"
