"""A proposal tried on history in the provider's console: who may try, the page's figures being
the trial API's for the same proposal, a target changed in the form, and a wrong proposal's
messages shown where they belong. Nothing is ever stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.service import agreements, ingest, reports, tenants, tracking
from accord.store.schema import AgreementVersion
from tests.portal.conftest import Provider
from tests.portal.test_pages import csrf_of, sign_in
from tests.service.agreements import DESK
from tests.service.test_served_reports import DESK_TICKETS

JUDGED = datetime(2026, 12, 6, 9, tzinfo=UTC)
PAGE = "/portal/console/agreements/desk/trial"
PROPOSAL = DESK.replace('version: "1"', 'version: "1.1"').replace("within: 4h", "within: 6h")
PRICED = (
    DESK.replace('version: "1"', 'version: "1.2"').replace("within: 4h", "within: 3h")
    + "remedies:\n  penalties:\n    - objective: resolution\n"
    + '      amount: {amount: "150.00", currency: EUR}\n      per: miss\n'
)
MONTHS = {"from": "2026-10", "to": "2026-12"}


@pytest.fixture
def evidence(client: TestClient, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    """ACME's tickets of October to December, the service's clock stopped on 6 December."""
    for module in (reports, ingest, agreements, tracking):
        monkeypatch.setattr(module, "now", lambda: JUDGED)
    sent = client.post(
        "/v1/events",
        json=DESK_TICKETS,
        headers={"Authorization": f"Bearer {provider.admin_key}"},
    )
    assert sent.status_code == 200, sent.text


def _versions(provider: Provider) -> int:
    with provider.database.session() as session:
        return session.scalar(select(func.count()).select_from(AgreementVersion)) or 0


def _tried(client: TestClient, **form: str) -> Any:
    token = csrf_of(client.get(PAGE).text)
    return client.post(PAGE, data={**MONTHS, **form, "csrf_token": token})


def _api(client: TestClient, provider: Provider, text: str) -> dict[str, Any]:
    answer = client.post(
        "/v1/agreements/desk/trial",
        params=MONTHS,
        content=text,
        headers={
            "Authorization": f"Bearer {provider.admin_key}",
            "Content-Type": "application/yaml",
        },
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _figures(html: str) -> dict[str, Any]:
    """The figures the page shows, read from its tables' cells: each objective's months (the
    status, exact figure and change under each version) and the costs."""
    objectives = {}
    for objective, body in re.findall(
        r'<table class="compared" data-objective="([^"]+)">(.*?)</table>', html, re.DOTALL
    ):
        months = {}
        for month, row in re.findall(r'<tr data-month="([^"]+)">(.*?)</tr>', body, re.DOTALL):
            cells = re.findall(
                r'data-version="([a-z-]+)" data-status="([^"]*)" data-exact="([^"]*)"', row
            )
            change = re.findall(r"<td>([^<]*)</td>\s*$", row.strip())
            months[month] = (
                {version: (status or None, exact or None) for version, status, exact in cells},
                change[0] if change else "",
            )
        objectives[objective] = months
    costs = re.findall(
        r'<tr data-month="([^"]+)"><th scope="row">[^<]+</th>'
        r'<td class="number" data-version="in-force" data-amount="([^"]+)">.*?'
        r'data-version="proposed" data-amount="([^"]+)"',
        html,
    )
    return {"objectives": objectives, "costs": costs}


def _figures_of(found: dict[str, Any]) -> dict[str, Any]:
    """The same figures from the trial API's JSON."""

    def cell(x: dict[str, Any] | None) -> tuple[str | None, str | None]:
        return (None, None) if x is None else (x["status"], x["actual"])

    return {
        "objectives": {
            o["objective"]: {
                m["month"]: (
                    {"in-force": cell(m["in_force"]), "proposed": cell(m["proposed"])},
                    m["change"] or "",
                )
                for m in o["months"]
            }
            for o in found["objectives"]
        },
        "costs": [(c["month"], c["in_force"], c["proposed"]) for c in found["costs"]["months"]],
    }


def test_a_trial_is_the_provider_staffs_and_a_customer_is_refused(
    client: TestClient, provider: Provider, evidence: None
) -> None:
    for email, status in (
        ("admin@prov.example", 200),
        ("agent@prov.example", 200),
        ("boss@acme.example", 403),
        ("viewer@acme.example", 403),
        ("viewer@globex.example", 403),
    ):
        client.cookies.clear()
        sign_in(client, email)
        assert client.get(PAGE).status_code == status, email
        token = csrf_of(client.get("/portal/").text)
        sent = client.post(PAGE, data={**MONTHS, "text": PROPOSAL, "csrf_token": token})
        assert sent.status_code == status, email
        agreement = client.get("/portal/agreements/desk").text
        assert (f'href="{PAGE}"' in agreement) == (status == 200), email
    # the API keeps its own rule: an admin key of the provider (a read key is refused)
    with provider.database.session() as session:
        _, read_key = tenants.create_key(session, provider.organisation_id, "read")
    by_key = client.post(
        "/v1/agreements/desk/trial",
        params=MONTHS,
        content=PROPOSAL,
        headers={"Authorization": f"Bearer {read_key}", "Content-Type": "application/yaml"},
    )
    assert by_key.status_code == 403, by_key.text
    client.cookies.clear()
    sign_in(client, "admin@prov.example")
    assert client.get("/portal/console/agreements/nothing/trial").status_code == 404
    refused = client.post(PAGE, data={**MONTHS, "text": PROPOSAL, "csrf_token": "forged"})
    assert refused.status_code == 403
    assert _versions(provider) == 2


@pytest.mark.parametrize(
    ("proposal", "changed"),
    [
        (PROPOSAL, {("resolution", "2026-12"): "no longer missed"}),
        (PRICED, {("resolution", "2026-11"): ""}),
    ],
)
def test_the_pages_figures_are_the_trial_apis_for_the_same_proposal(
    client: TestClient,
    provider: Provider,
    evidence: None,
    proposal: str,
    changed: dict[tuple[str, str], str],
) -> None:
    """The page shows every figure the API's JSON has for the same YAML: resolution within 6h
    instead of 4h (December's ticket D, 5h, met under the proposal only), or within 3h with a
    penalty for each month missed (what it would have cost, in money)."""
    sign_in(client, "agent@prov.example")
    page = _tried(client, text=proposal, **{"try": "text"})
    assert page.status_code == 200, page.text
    served = _api(client, provider, proposal)
    shown = _figures(page.text)
    expected = _figures_of(served)
    assert shown["objectives"] == expected["objectives"]
    for (objective, month), change in changed.items():
        assert shown["objectives"][objective][month][1] == change
    if served["costs"]["currency"] is None:
        assert "Nothing in money: neither version owed" in page.text
        assert all(c[1:] == ("0", "0") for c in expected["costs"])
    else:
        assert served["costs"]["currency"] == "EUR"  # the penalty's, not its reason's text
        assert shown["costs"] == expected["costs"]
        assert any(proposed != "0" for _, _, proposed in shown["costs"])
    version = served["proposed"]
    assert f"Version {version} tried on 2026-10 to 2026-12, beside version 1" in page.text
    captions = re.findall(r"<caption>([^<]+)</caption>", page.text)
    assert f"resolution each month under version 1 (in force) and version {version} (proposed)" in (
        captions
    )
    assert _versions(provider) == 2  # nothing stored


def test_a_target_changed_in_the_form_is_tried_as_the_same_yaml_through_the_api(
    client: TestClient, provider: Provider, evidence: None
) -> None:
    sign_in(client, "admin@prov.example")
    form = client.get(PAGE).text
    assert 'id="t-within-resolution" name="within-resolution" value="4h"' in form
    page = _tried(client, **{"within-resolution": "6h", "try": "targets"})
    assert page.status_code == 200, page.text
    written = re.search(r'<textarea id="t-text"[^>]*>(.*?)</textarea>', page.text, re.DOTALL)
    assert written is not None
    text = unescape(written.group(1))
    # the version in force's own text, only the value asked for and the label changed
    assert text == DESK.replace('version: "1"', 'version: "1 proposed"').replace(
        "within: 4h", 'within: "6h"'
    )
    served = _api(client, provider, text)
    assert served["proposed"] == "1 proposed"
    assert served["changes"] == ["objectives 'resolution': within changed from 4h to 6h"]
    assert _figures(page.text)["objectives"] == _figures_of(served)["objectives"]
    assert _versions(provider) == 2


def test_a_wrong_proposal_is_shown_where_it_is_wrong_and_nothing_is_tried(
    client: TestClient, provider: Provider, evidence: None
) -> None:
    sign_in(client, "admin@prov.example")
    target = _tried(client, **{"target-resolution": "lots", "try": "targets"})
    assert target.status_code == 422
    assert re.search(
        r'<span class="field-problem" id="t-target-resolution-problem-1">'
        r"objectives\[1\]\.target: expected a target such as",
        target.text,
    )
    assert 'aria-invalid="true" aria-describedby="t-target-resolution-problem-1' in target.text
    assert 'id="trial"' not in target.text
    broken = _tried(client, text=PROPOSAL.replace("target: 90%", "tagret: 90%", 1))
    assert broken.status_code == 422
    assert re.search(r'<li id="message-1">line \d+, column \d+, field <code>', broken.text)
    assert "tagret" in broken.text
    other = _tried(client, text=PROPOSAL.replace("id: desk", "id: globex-desk"))
    assert other.status_code == 422
    assert "the proposed agreement is &#39;globex-desk&#39;, not &#39;desk&#39;" in other.text
    months = _tried(client, text=PROPOSAL, **{"from": "2026-13"})
    assert months.status_code == 422
    assert 'href="#t-from"' in months.text
    assert 'id="t-from" name="from" value="2026-13"' in months.text
    empty = _tried(client, text="  ")
    assert empty.status_code == 422
    assert "Paste the proposed version&#39;s YAML" in empty.text
    assert _versions(provider) == 2


def test_a_trials_money_is_written_in_the_readers_locale(
    client: TestClient, provider: Provider, evidence: None
) -> None:
    sign_in(client, "admin@prov.example")
    token = csrf_of(client.get(PAGE).text)
    page = client.post(
        PAGE,
        data={**MONTHS, "text": PRICED, "csrf_token": token},
        headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    assert page.status_code == 200, page.text
    totals = re.search(r'<tr id="cost-totals">(.*?)</tr>', page.text, re.DOTALL)
    assert totals is not None
    amount = re.search(r'data-version="proposed" data-amount="([0-9.]+)">([^<]+)<', totals.group(1))
    assert amount is not None
    assert amount.group(1).endswith(".00")  # the exact figure, for programs
    assert re.fullmatch(r"[0-9.]+,00\s.*EUR|[0-9.]+,00\s€", amount.group(2).strip()), amount.group(
        2
    )
