"""The provider's console by direct requests: who may open it, forms without their CSRF
token, checking an agreement before publishing it, and sending a failed delivery again."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.service import reviews
from accord.store.schema import AgreementVersion, AuditEntry, Delivery
from tests.portal.conftest import Provider
from tests.portal.test_pages import csrf_of, sign_in
from tests.service.agreements import DESK, DESK_V2
from tests.service.seeds import failed_delivery

PAGES = (
    "/portal/console",
    "/portal/console/reviews",
    "/portal/console/deliveries",
    "/portal/console/agreements/upload",
)
MISTAKE = DESK_V2.replace(
    "target: 90%\n    calendar: 24x7\n  - id: resolution",
    "target: 190%\n    calendar: 24x7\n  - id: resolution",
)


def _versions(provider: Provider) -> int:
    with provider.database.session() as session:
        return session.scalar(select(func.count()).select_from(AgreementVersion)) or 0


def _failed_delivery(provider: Provider, organisation_id: int | None = None) -> int:
    """A webhook delivery of a breach that failed for good, an hour ago."""
    with provider.database.session() as session:
        return failed_delivery(
            session,
            organisation_id or provider.organisation_id,
            agreement="desk",
            objective="resolution",
            subject="T1",
            moment=datetime.now(UTC) - timedelta(hours=1),
        )


def test_the_console_is_the_provider_staffs_and_upload_the_admins(client: TestClient) -> None:
    expected = {
        "admin@prov.example": [200, 200, 200, 200],
        "agent@prov.example": [200, 200, 200, 403],
        "boss@acme.example": [403, 403, 403, 403],
        "viewer@globex.example": [403, 403, 403, 403],
    }
    for email, statuses in expected.items():
        client.cookies.clear()
        sign_in(client, email)
        assert [client.get(page).status_code for page in PAGES] == statuses, email
        home = client.get("/portal/")
        assert ('href="/portal/console"' in home.text) == (statuses[0] == 200), email


def test_a_customers_session_cannot_retry_check_or_publish(
    client: TestClient, provider: Provider
) -> None:
    delivery = _failed_delivery(provider)
    sign_in(client, "boss@acme.example")
    token = csrf_of(client.get("/portal/").text)
    assert (
        client.post(
            f"/portal/console/deliveries/{delivery}/retry", data={"csrf_token": token}
        ).status_code
        == 403
    )
    for action in ("check", "publish"):
        answer = client.post(
            f"/portal/console/agreements/{action}", data={"text": DESK_V2, "csrf_token": token}
        )
        assert answer.status_code == 403
    assert _versions(provider) == 2
    with provider.database.session() as session:
        assert session.get(Delivery, delivery).status == "failed"


def test_console_forms_without_the_csrf_token_are_refused(
    client: TestClient, provider: Provider
) -> None:
    delivery = _failed_delivery(provider)
    sign_in(client, "admin@prov.example")
    for token in (None, "not-the-token"):
        sent = {} if token is None else {"csrf_token": token}
        for path, data in (
            (f"/portal/console/deliveries/{delivery}/retry", {}),
            ("/portal/console/agreements/check", {"text": DESK_V2}),
            ("/portal/console/agreements/publish", {"text": DESK_V2}),
        ):
            refused = client.post(path, data={**data, **sent})
            assert refused.status_code == 403, path
            assert "This form was not sent from Accord" in refused.text
    assert _versions(provider) == 2
    with provider.database.session() as session:
        assert session.get(Delivery, delivery).status == "failed"


def test_checking_shows_the_located_message_on_its_line_and_stores_nothing(
    client: TestClient, provider: Provider
) -> None:
    sign_in(client, "admin@prov.example")
    token = csrf_of(client.get("/portal/console/agreements/upload").text)
    answer = client.post(
        "/portal/console/agreements/check", data={"text": MISTAKE, "csrf_token": token}
    )
    assert answer.status_code == 422
    wrong = MISTAKE.split("\n").index("    target: 190%") + 1
    message = re.search(
        r'<li id="message-1"><a href="#line-(\d+)">line \d+, column \d+</a>, '
        r"field <code>([^<]+)</code>: ([^<]+)</li>",
        answer.text,
    )
    assert message is not None, answer.text
    assert int(message.group(1)) == wrong
    assert message.group(2) == "objectives[0].target"
    assert f'<tr id="line-{wrong}" class="faulty">' in answer.text
    assert 'aria-invalid="true" aria-describedby="upload-messages"' in answer.text
    assert "Publish this version" not in answer.text  # only a valid document is offered
    assert _versions(provider) == 2


def test_a_checked_version_shows_its_diff_and_is_stored_only_when_published(
    client: TestClient, provider: Provider
) -> None:
    sign_in(client, "admin@prov.example")
    token = csrf_of(client.get("/portal/console/agreements/upload").text)
    crlf = DESK_V2.replace("\n", "\r\n")  # as a browser sends a text area
    checked = client.post(
        "/portal/console/agreements/check", data={"text": crlf, "csrf_token": token}
    )
    assert checked.status_code == 200
    assert "Compared with version 1" in checked.text
    assert re.search(
        r"<td>objectives <code>resolution</code>: within</td>\s*<td>4h</td>\s*<td>8h</td>",
        checked.text,
    )
    assert _versions(provider) == 2
    published = client.post(
        "/portal/console/agreements/publish",
        data={"text": crlf, "csrf_token": token},
        follow_redirects=False,
    )
    assert published.status_code == 303
    assert (
        published.headers["location"] == "/portal/console/agreements/upload?published=desk&number=2"
    )
    assert (
        "Version 2 of Support desk (desk) is published: it takes over now."
        in client.get(published.headers["location"]).text
    )
    api = client.get(
        "/v1/agreements/desk", headers={"Authorization": f"Bearer {provider.admin_key}"}
    )
    assert [v["version"] for v in api.json()["versions"]] == ["1", "2"]
    with provider.database.session() as session:
        stored = session.scalars(select(AgreementVersion).where(AgreementVersion.number == 2)).one()
        assert stored.source == DESK_V2  # line ends as LF, as an upload by the API
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "agreement.uploaded")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None
        assert entry.actor == "admin@prov.example"
    again = client.post(
        "/portal/console/agreements/check", data={"text": DESK_V2, "csrf_token": token}
    )
    assert "publishing it adds nothing" in again.text
    same = client.post(
        "/portal/console/agreements/publish", data={"text": DESK_V2, "csrf_token": token}
    )
    assert "is version 2 of Support desk (desk) already: nothing new was stored." in same.text
    assert _versions(provider) == 3


def test_publishing_an_invalid_text_stores_nothing(client: TestClient, provider: Provider) -> None:
    sign_in(client, "admin@prov.example")
    token = csrf_of(client.get("/portal/console/agreements/upload").text)
    answer = client.post(
        "/portal/console/agreements/publish", data={"text": MISTAKE, "csrf_token": token}
    )
    assert answer.status_code == 422
    assert "objectives[0].target" in answer.text
    assert _versions(provider) == 2


def test_a_file_chosen_is_checked_under_its_name(client: TestClient) -> None:
    sign_in(client, "admin@prov.example")
    token = csrf_of(client.get("/portal/console/agreements/upload").text)
    answer = client.post(
        "/portal/console/agreements/check",
        data={"csrf_token": token},
        files={"file": ("desk.yaml", MISTAKE.encode(), "application/yaml")},
    )
    assert answer.status_code == 422
    assert "problem in desk.yaml" in answer.text


def test_a_failed_delivery_is_listed_with_its_error_and_sent_again(
    client: TestClient, provider: Provider
) -> None:
    delivery = _failed_delivery(provider)
    sign_in(client, "agent@prov.example")
    page = client.get("/portal/console/deliveries")
    assert "HTTP 503" in page.text
    assert f'action="/portal/console/deliveries/{delivery}/retry"' in page.text
    retried = client.post(
        f"/portal/console/deliveries/{delivery}/retry",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert retried.headers["location"] == "/portal/console/deliveries?notice=retried"
    with provider.database.session() as session:
        row = session.get(Delivery, delivery)
        assert (row.status, row.attempts, row.lease_until) == ("pending", 0, None)
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "delivery.retried")
        ).one()
        assert (entry.actor, entry.object_id, entry.customer) == (
            "agent@prov.example",
            str(delivery),
            "acme-corp",
        )
        assert entry.detail["tries_before"] == 5
    # sent again only once it fails again: a pending delivery is not retried
    again = client.post(
        f"/portal/console/deliveries/{delivery}/retry", data={"csrf_token": csrf_of(page.text)}
    )
    assert again.status_code == 409


def test_another_organisations_delivery_is_not_found(
    client: TestClient, provider: Provider
) -> None:
    from accord.service import tenants

    with provider.database.session() as session:
        other = tenants.create_organisation(session, "other", "Other").id
    delivery = _failed_delivery(provider, other)
    sign_in(client, "admin@prov.example")
    token = csrf_of(client.get("/portal/console/deliveries").text)
    answer = client.post(f"/portal/console/deliveries/{delivery}/retry", data={"csrf_token": token})
    assert answer.status_code == 404
    assert f'id="delivery-{delivery}"' not in client.get("/portal/console/deliveries").text


def test_reviews_come_soonest_first_and_the_overdue_are_marked(
    client: TestClient, provider: Provider
) -> None:
    ending = DESK.replace("id: desk", "id: ending").replace(
        "effective: {start: 2026-01-01, review: {next: 2027-03-01, owner: owner@us.example}}",
        "effective: {start: 2026-01-01, end: 2027-01-31, notice: 90d, review: {next: 2026-11-30}}",
    )
    sign_in(client, "admin@prov.example")
    token = csrf_of(client.get("/portal/console/agreements/upload").text)
    client.post("/portal/console/agreements/publish", data={"text": ending, "csrf_token": token})
    moment = datetime(2026, 12, 7, tzinfo=UTC)
    with provider.database.session() as session:
        admin = provider.principal("admin@prov.example")
        found = reviews.due(session, admin, moment)
    assert [d.key for d in found] == ["ending", "desk", "globex-desk"]
    first = found[0]
    assert (first.review_overdue, first.notice_by, first.notice_passed, first.ended) == (
        True,
        datetime(2026, 11, 2).date(),
        True,
        False,
    )
    assert not found[1].overdue
    assert found[2].soonest is None
    page = client.get("/portal/console/reviews")
    assert "overdue by" in page.text
    assert page.text.index('data-agreement="ending"') < page.text.index('data-agreement="desk"')


def test_the_overview_shows_every_customer_and_each_objective(client: TestClient) -> None:
    sign_in(client, "agent@prov.example")
    page = client.get("/portal/console")
    assert "Customers, worst first" in page.text  # the overview of GET /v1/standing/overview
    for customer in ("acme-corp", "globex-retail"):
        assert f'<section class="customer" id="customer-{customer}"' in page.text
    acme = page.text[page.text.index('id="customer-acme-corp"') :]
    assert 'data-objective="response"' in acme
    assert 'data-objective="resolution"' in acme
