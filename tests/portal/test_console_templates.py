"""A new agreement from a template in the provider's console: who may draft and save, the
answers landing in the agreement, the validator's messages next to the answer they are about,
and the saved agreement stored and audit-logged as an upload is."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.io.templates import Answers, draft, questions
from accord.portal.agreements_new import ONE_AGREEMENT
from accord.render.agreement import to_html
from accord.store.schema import AgreementRow, AgreementVersion, AuditEntry
from tests.portal.conftest import Provider
from tests.portal.test_pages import csrf_of, sign_in

FORM = "/portal/console/agreements/new/it-service-desk"


def _versions(provider: Provider) -> int:
    with provider.database.session() as session:
        return session.scalar(select(func.count()).select_from(AgreementVersion)) or 0


def _fields(html: str) -> dict[str, str]:
    """Each input of the template's form by name, with its value (unescaped, as sent)."""
    found = dict(
        re.findall(r'<input id="f-[^"]+" name="([^"]+)" type="[a-z]+" value="([^"]*)"', html)
    )
    return {name: unescape(value) for name, value in found.items()}


def _answers(client: TestClient, **changed: str) -> dict[str, Any]:
    """The form as the page offers it, with the parties named and ``changed`` answers."""
    page = client.get(FORM)
    assert page.status_code == 200, page.text
    sent: dict[str, Any] = _fields(page.text)
    sent |= {"customer": "Bäckerei Schmidt", "provider-1": "Helpdesk GmbH", "start": "2027-01-01"}
    return sent | changed | {"csrf_token": csrf_of(page.text)}


def test_the_templates_are_the_provider_staffs_and_saving_the_admins(
    client: TestClient, provider: Provider
) -> None:
    expected = {
        "admin@prov.example": (200, 200, 200, 303),
        "agent@prov.example": (200, 200, 200, 403),
        "boss@acme.example": (403, 403, 403, 403),
        "viewer@acme.example": (403, 403, 403, 403),
    }
    for email, statuses in expected.items():
        client.cookies.clear()
        sign_in(client, email)
        token = csrf_of(client.get("/portal/").text)
        listed = client.get("/portal/console/agreements/new")
        form = client.get(FORM)
        sent = {
            **_fields(form.text),
            "customer": f"Customer of {email}",
            "provider-1": "Helpdesk GmbH",
            "csrf_token": token,
        }
        previewed = client.post(f"{FORM}/preview", data=sent)
        saved = client.post(f"{FORM}/save", data=sent, follow_redirects=False)
        found = (listed.status_code, form.status_code, previewed.status_code, saved.status_code)
        assert found == statuses, email
        if statuses[0] == 200:
            assert "New agreement from a template" in listed.text
            assert all(
                f'href="/portal/console/agreements/new/{kind}"' in listed.text
                for kind in ONE_AGREEMENT
            )
            # three files drafted together: `accord new multi-level -o FOLDER`, not a form
            assert 'href="/portal/console/agreements/new/multi-level"' not in listed.text
            assert client.get("/portal/console/agreements/new/multi-level").status_code == 404
            assert ("Save as a new agreement" in previewed.text) == (statuses[3] == 303), email
    assert _versions(provider) == 3  # the admin's only


def test_every_template_offers_its_own_questions_filled_with_its_answers(
    client: TestClient,
) -> None:
    sign_in(client, "agent@prov.example")
    for kind in ONE_AGREEMENT:
        asked = questions(kind)
        fields = _fields(client.get(f"/portal/console/agreements/new/{kind}").text)
        providers = [f"provider-{n}" for n in range(1, asked.providers + 1)]
        assert all(fields[name] == "" for name in ("customer", *providers)), kind
        assert fields["timezone"] == asked.timezone
        for objective in asked.objectives:
            assert fields[f"target-{objective.id}"] == objective.target
            assert fields.get(f"within-{objective.id}") == objective.within
    assert client.get("/portal/console/agreements/new/sass").status_code == 404


def test_the_preview_is_the_drafted_agreement_as_its_page_reads_and_stores_nothing(
    client: TestClient, provider: Provider
) -> None:
    sign_in(client, "admin@prov.example")
    sent = _answers(client, **{"target-p2-resolution": "95%", "within-p2-resolution": "6h"})
    answer = client.post(f"{FORM}/preview", data=sent)
    assert answer.status_code == 200, answer.text
    text, agreement = draft(
        "it-service-desk",
        Answers(
            "Bäckerei Schmidt",
            ["Helpdesk GmbH"],
            date(2027, 1, 1),
            targets={"p2-resolution": "95%"},
            limits={"p2-resolution": "6h"},
        ),
    )
    assert agreement.id == "backerei-schmidt-it-service-desk"
    assert "backerei-schmidt-it-service-desk) version 1.0 is valid" in answer.text
    # the document exactly as the agreement's page renders a stored agreement
    article = re.search(
        r'<article class="document" aria-label="The drafted agreement">\n(.*?)\n</article>',
        answer.text,
        re.DOTALL,
    )
    assert article is not None
    assert article.group(1) == to_html(agreement)
    assert "Helpdesk GmbH" in article.group(1)
    assert "6h" in text
    assert text.split("\n", 3)[3] in unescape(answer.text)  # the YAML, to read
    assert _versions(provider) == 2


def test_a_wrong_answer_is_shown_next_to_its_field_with_the_validators_message(
    client: TestClient, provider: Provider
) -> None:
    sign_in(client, "admin@prov.example")

    def problems_at(html: str, name: str) -> list[str]:
        return re.findall(
            rf'<span class="field-problem" id="f-{name}-problem-\d+">([^<]+)</span>', html
        )

    sent = _answers(client, **{"target-p2-resolution": "ninety", "fee": "lots"})
    answer = client.post(f"{FORM}/preview", data=sent)
    assert answer.status_code == 422
    # the validator's message, field named, as `accord validate` prints it
    assert problems_at(answer.text, "target-p2-resolution") == [
        "objectives[3].target: expected a target such as &#39;99.9%&#39; or &#39;&gt;= 200&#39;, "
        "got &#39;ninety&#39;"
    ]
    # the fee's own message (`accord new --fee`'s), at its field, in the same answer
    assert problems_at(answer.text, "fee") == [
        "&#39;lots&#39;; expected an amount and a currency, such as &#39;1200 EUR&#39;"
    ]
    assert 'href="#f-target-p2-resolution"' in answer.text  # the summary links to the field
    assert "2 problems: nothing was drafted" in answer.text
    assert "Save as a new agreement" not in answer.text
    zone = client.post(f"{FORM}/preview", data=_answers(client, timezone="Mars/Olympus"))
    assert zone.status_code == 422
    assert problems_at(zone.text, "timezone")[0].startswith(
        "calendars.new-york-office.timezone: unknown time zone &#39;Mars/Olympus&#39;"
    )
    assert re.search(
        r'id="f-timezone" name="timezone" type="text" value="Mars/Olympus"[^>]*'
        r'aria-describedby="f-timezone-hint f-timezone-problem-1" aria-invalid="true"',
        zone.text,
    )
    missing = client.post(f"{FORM}/preview", data=_answers(client, customer=" ", start="soon"))
    assert missing.status_code == 422
    assert 'id="f-customer-problem-1">a name is needed' in missing.text
    # the summary says which field: two "a name is needed" would not tell them apart
    assert '<a href="#f-customer">Customer&#39;s name: a name is needed</a>' in missing.text
    assert "&#39;soon&#39;; expected a date YYYY-MM-DD" in missing.text
    same = client.post(
        f"{FORM}/preview", data=_answers(client, **{"provider-1": "Bäckerei Schmidt"})
    )
    assert same.status_code == 422
    assert 'id="f-provider-1-problem-1">the parties&#39; names give the same id twice' in same.text
    # the first credit band moves with a target: its problem is that target's too
    page = client.get("/portal/console/agreements/new/saas").text
    saas = {
        **_fields(page),
        "customer": "Initech",
        "provider-1": "Umbrella",
        "target-availability": "most",
        "csrf_token": csrf_of(page),
    }
    banded = client.post("/portal/console/agreements/new/saas/preview", data=saas)
    assert banded.status_code == 422
    assert [p.split(":")[0] for p in problems_at(banded.text, "target-availability")] == [
        "objectives[0].target",
        "remedies.credits[0].bands[0].below",
    ]
    assert _versions(provider) == 2


@pytest.mark.parametrize("kind", ["saas", "vendors"])
def test_saving_stores_the_draft_as_an_upload_does_audit_logged(
    client: TestClient, provider: Provider, kind: str
) -> None:
    sign_in(client, "admin@prov.example")
    page = client.get(f"/portal/console/agreements/new/{kind}")
    sent = {
        **_fields(page.text),
        "customer": "Initech",
        "provider-1": "Umbrella",
        "provider-2": "Hooli",
        "fee": "990 EUR",
        "start": "2027-02-01",
        "csrf_token": csrf_of(page.text),
    }
    saved = client.post(
        f"/portal/console/agreements/new/{kind}/save", data=sent, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    key = f"initech-{kind}"
    assert saved.headers["location"] == f"/portal/console/agreements/new?saved={key}"
    notice = client.get(saved.headers["location"]).text
    assert f'<a href="/portal/agreements/{key}">read it</a>' in notice
    with provider.database.session() as session:
        row = session.scalars(select(AgreementRow).where(AgreementRow.key == key)).one()
        version = session.scalars(
            select(AgreementVersion).where(AgreementVersion.agreement_id == row.id)
        ).one()
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "agreement.uploaded")
        ).all()
    assert "990.00" in version.source
    assert "EUR" in version.source
    assert version.source.startswith(f"# Drafted by `accord new {kind}` on 2027-02-01")
    assert any(entry.object_id == key and "admin@prov.example" in entry.actor for entry in audit)
    assert client.get(f"/portal/agreements/{key}").status_code == 200
    # the same id again is a new agreement no more: refused at the id, nothing stored
    again = client.post(f"/portal/console/agreements/new/{kind}/save", data=sent)
    assert again.status_code == 422
    assert re.search(
        r'id="f-id-problem-1">an agreement &#39;initech-[a-z]+&#39; exists', again.text
    )
    assert _versions(provider) == 3


def test_the_template_forms_are_refused_without_the_csrf_token(
    client: TestClient, provider: Provider
) -> None:
    sign_in(client, "admin@prov.example")
    sent = _answers(client)
    for token in ("", "not-the-token"):
        for action in ("preview", "save"):
            refused = client.post(f"{FORM}/{action}", data=sent | {"csrf_token": token})
            assert refused.status_code == 403
            assert "This form was not sent from Accord" in refused.text
    assert _versions(provider) == 2
