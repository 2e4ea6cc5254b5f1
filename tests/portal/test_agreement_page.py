"""An agreement's page by direct requests: the agreement in plain words, its versions and
what changed between them; text from the agreement is escaped, never run."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from accord.service import agreements, tenants
from tests.portal.conftest import Provider
from tests.portal.test_pages import sign_in
from tests.service.agreements import DESK, DESK_V2


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def test_the_page_is_the_agreement_in_plain_words(client: TestClient, provider: Provider) -> None:
    sign_in(client, "viewer@acme.example")
    page = client.get("/portal/agreements/desk")
    assert page.status_code == 200
    text = _words(page.text)
    assert "<h2>Parties</h2>" in text
    assert "Customer: ACME" in text
    assert "<h2>Service levels</h2>" in text
    assert "90% within 4h" in text  # the resolution objective, in words
    assert "version 1 (1), the version in force" in text
    assert "the first version" in text


def test_versions_say_what_changed_and_two_versions_are_compared(
    client: TestClient, provider: Provider
) -> None:
    with provider.database.session() as session:
        admin = tenants.authenticate(session, provider.admin_key)
        agreements.upload(session, admin, DESK_V2)
    sign_in(client, "viewer@acme.example")
    page = client.get("/portal/agreements/desk")
    text = _words(page.text)
    assert "version 2 (2), the version in force" in text
    assert "90% within 8h" in text  # the document is the version in force
    changed = re.search(r"<ul class=\"changes\">(.*?)</ul>", text)
    assert changed is not None
    assert "4h" in changed.group(1)
    assert "8h" in changed.group(1)
    older = _words(client.get("/portal/agreements/desk?version=1").text)
    assert "90% within 4h" in older
    assert "version 2 is in force" in older
    compared = _words(client.get("/portal/agreements/desk?version=2&compare=1").text)
    assert "From version 1 to version 2" in compared
    assert client.get("/portal/agreements/desk?version=9").status_code == 404
    assert client.get("/portal/agreements/desk?version=2&compare=9").status_code == 404


def test_markup_in_the_agreements_text_is_shown_as_text(
    client: TestClient, provider: Provider
) -> None:
    summary = "'<script>alert(1)</script> <b>bold</b> [x](javascript:alert(1))'"
    text = DESK.replace("id: desk", "id: marked").replace(
        "overview: {title: Support desk}", f"overview: {{title: Marked, summary: {summary}}}"
    )
    with provider.database.session() as session:
        admin = tenants.authenticate(session, provider.admin_key)
        agreements.upload(session, admin, text)
    sign_in(client, "viewer@acme.example")
    page = client.get("/portal/agreements/marked")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text
    assert "<b>bold</b>" not in page.text
    assert 'href="javascript:' not in page.text


def test_another_customers_agreement_is_not_found_in_any_version(
    client: TestClient, provider: Provider
) -> None:
    sign_in(client, "viewer@acme.example")
    for path in ("/portal/agreements/globex-desk", "/portal/agreements/globex-desk?version=1"):
        assert client.get(path).status_code == 404
