"""The HTML fragments of credits and claims: parsed back, they hold the figures, the
deadlines, the history with the provider's comments and the evidence; their forms carry the
CSRF token given, and every control has a label."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from accord import load_agreement
from accord.cli import parse_period
from accord.core.claims import (
    ClaimRecord,
    ClaimStep,
    CreditOwed,
    Eligible,
    credits_owed,
    evidence_of,
    figure_now,
)
from accord.core.report import Report, evaluate
from accord.io.data import read_data
from accord.render.claims import claim_html, credits_html, decision_html
from tests.render.test_html import OCTOBER, SAAS, Element, parse

FILED = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(load_agreement(SAAS), read_data(OCTOBER), *parse_period("2026-10", "UTC"))


@pytest.fixture(scope="module")
def owed(report: Report) -> CreditOwed:
    (found,) = credits_owed(report, "2026-10")
    return found


def record(report: Report, owed: CreditOwed, *steps: ClaimStep) -> ClaimRecord:
    history = (ClaimStep(FILED, "key 3f9a (portal)", "filed", "submitted", None), *steps)
    return ClaimRecord(
        id=7,
        agreement="saas",
        customer="cloudnote",
        objective=owed.objective,
        period="2026-10",
        timezone="UTC",
        state=history[-1].state,
        amount=owed.credit.amount,
        currency=owed.credit.currency,
        deadline=owed.deadline,
        filed_at=FILED,
        filed_by="key 3f9a (portal)",
        updated_at=history[-1].at,
        history=history,
        evidence=evidence_of(report, owed),
    )


def labelled(fragment: Element) -> None:
    """Every form control has a label naming it (by ``for``) or an ``aria-label``."""
    labels = {label.attrs.get("for") for label in fragment.all("label")}
    controls = fragment.all("input") + fragment.all("textarea") + fragment.all("select")
    for control in controls:
        if control.attrs.get("type") == "hidden":
            continue
        assert control.attrs.get("id") in labels or control.attrs.get("aria-label"), control


def test_credits_owed_show_the_deadline_and_a_claim_button(owed: CreditOwed) -> None:
    page = parse(
        credits_html([Eligible(owed, None, None, None)], action="/claims", csrf_token="t0k")
    )
    (section,) = page.all("section")
    headers = [th.content for th in section.all("thead")[0].all("th")]
    assert headers == ["period", "objective", "attainment", "credit", "claim by", "claim"]
    assert all(th.attrs.get("scope") == "col" for th in section.all("thead")[0].all("th"))
    (row,) = section.all("tbody")[0].all("tr")
    assert row.attrs["data-claimable"] == "yes"
    assert "120.00 USD" in row.content
    (deadline,) = row.all("time")
    assert deadline.attrs["datetime"] == "2026-12-01T00:00:00+00:00"
    (form,) = row.all("form")
    assert (form.attrs["method"], form.attrs["action"]) == ("post", "/claims")
    hidden = {i.attrs["name"]: i.attrs["value"] for i in form.all("input")}
    assert hidden == {"csrf_token": "t0k", "objective": "availability", "period": "2026-10"}
    (button,) = form.all("button")
    assert button.attrs["aria-label"] == "Claim 120.00 USD for Monthly availability in 2026-10"


def test_a_claimed_or_late_credit_has_no_button_and_says_why(owed: CreditOwed) -> None:
    late = owed.too_late(datetime(2026, 12, 2, tzinfo=UTC))
    assert late is not None
    items = [Eligible(owed, 7, "rejected", None), Eligible(owed, None, None, late)]
    page = parse(credits_html(items, action="/claims"))
    claimed, too_late = page.all("tbody")[0].all("tr")
    assert not claimed.all("form")
    assert "Claimed: rejected (claim 7)" in claimed.content
    assert not too_late.all("form")
    assert "No longer possible: the claim deadline for availability in 2026-10 was" in (
        too_late.content
    )
    assert "remedies.claim.window: 30d" in too_late.content


def test_hostile_text_is_escaped(owed: CreditOwed) -> None:
    page = parse(
        credits_html([Eligible(owed, None, None, None)], action="/c", csrf_token='"><b>x</b>')
    )
    assert not page.all("b")
    (token,) = [i for i in page.all("input") if i.attrs["name"] == "csrf_token"]
    assert token.attrs["value"] == '"><b>x</b>'


def test_a_claim_shows_its_history_with_the_reason_and_its_evidence(
    report: Report, owed: CreditOwed
) -> None:
    reason = "INC-101 was maintenance announced on 1 October <see section 4>"
    rejected = record(
        report, owed, ClaimStep(FILED, "ops@provider.example", "reject", "rejected", reason)
    )
    page = parse(claim_html(rejected))
    (section,) = page.all("section")
    assert section.attrs["data-state"] == "rejected"
    history = section.all("table")[0]
    steps = [[td.content for td in tr.all("td")] for tr in history.all("tbody")[0].all("tr")]
    assert [s[2] for s in steps] == ["filed", "rejected"]
    assert steps[1][1] == "ops@provider.example"
    assert steps[1][4] == reason  # the customer reads the provider's reason, as written
    figures = section.all("table")[1]
    target, actual, verdict, credit = figures.all("tbody")[0].all("td")
    assert (target.content, verdict.content) == ("99.9%", "missed")
    assert actual.attrs["data-exact"] == str(rejected.evidence.objective.actual)
    assert "120.00 USD (10% of the fee)" in credit.content
    breaches = section.all("table")[2]
    assert len(breaches.all("tbody")[0].all("tr")) == 4
    assert not [p for p in section.all("p") if "figure-differs" in p.attrs.get("class", "")]


def test_a_claim_says_when_the_report_judged_now_differs(report: Report, owed: CreditOwed) -> None:
    data = read_data(OCTOBER)
    later = evaluate(
        load_agreement(SAAS),
        replace(data, outages=data.outages[1:]),
        *parse_period("2026-10", "UTC"),
    )
    claim = record(report, owed)
    claim = replace(claim, now=figure_now(claim.evidence, later))
    page = parse(claim_html(claim))
    (note,) = [p for p in page.all("p") if "figure-differs" in p.attrs.get("class", "")]
    assert "keeps the figures it was filed on" in note.content


@pytest.mark.parametrize(
    ("steps", "choices"),
    [
        ((), ["accept", "reject"]),
        ((ClaimStep(FILED, "ops", "accept", "accepted", None),), ["pay"]),
        (
            (
                ClaimStep(FILED, "ops", "accept", "accepted", None),
                ClaimStep(FILED, "ops", "pay", "paid", "invoice 42"),
            ),
            [],
        ),
    ],
)
def test_the_decision_form_offers_what_the_state_allows(
    report: Report, owed: CreditOwed, steps: tuple[ClaimStep, ...], choices: list[str]
) -> None:
    claim = record(report, owed, *steps)
    page = parse(decision_html(claim, action="/claims/7/decision", csrf_token="t0k"))
    offered = [i.attrs["value"] for i in page.all("input") if i.attrs.get("type") == "radio"]
    assert offered == choices
    if not choices:
        assert not page.all("form")
        assert "nothing is left to decide" in page.content
        return
    (form,) = page.all("form")
    assert form.attrs["method"] == "post"
    assert [i.attrs["value"] for i in form.all("input") if i.attrs["name"] == "csrf_token"] == [
        "t0k"
    ]
    assert form.all("textarea")[0].attrs["name"] == "reason"
    labelled(form)


def test_times_are_told_in_the_zone_the_periods_were_reckoned_in(owed: CreditOwed) -> None:
    paris = replace(owed, deadline=datetime(2026, 12, 1, tzinfo=ZoneInfo("Europe/Paris")))
    page = parse(credits_html([Eligible(paris, None, None, None)], action="/claims"))
    assert "(times in Europe/Paris)" in page.all("caption")[0].content
    assert page.all("time")[0].content == "1 Dec 2026, 00:00 CET"
    utc = parse(credits_html([Eligible(paris, None, None, None)], action="/c", zone="UTC"))
    assert utc.all("time")[0].content == "30 Nov 2026, 23:00 UTC"


def test_amounts_and_percentages_are_written_in_the_readers_convention(
    report: Report, owed: CreditOwed
) -> None:
    # German: a decimal comma and a (no-break) space before the percent sign; the exact
    # figures the page carries for machines stay as the engine writes them. (``content``
    # reads any white space as one space.)
    page = parse(credits_html([Eligible(owed, None, None, None)], action="/c", locale="de"))
    (row,) = page.all("tbody")[0].all("tr")
    attainment, credit = row.all("td")[1:3]
    assert credit.attrs["data-amount"] == "120.00"
    assert credit.content.startswith("120,00 USD")
    exact = owed.credit.attainment
    whole, places = f"{exact:.3f}".rstrip("0").rstrip(".").split(".")
    assert attainment.content == f"{whole},{places} %"
    (button,) = row.all("button")
    assert button.attrs["aria-label"] == "Claim 120,00 USD for Monthly availability in 2026-10"

    claim = parse(claim_html(record(report, owed), locale="de"))
    target, actual, _, money = claim.all("table")[1].all("tbody")[0].all("td")
    assert target.content == "99,9 %"
    assert actual.content == attainment.content
    assert "120,00 USD (10 % of the fee)" in money.content
    assert "120,00 USD claimed" in claim.all("p")[0].content
    decision = decision_html(record(report, owed), action="/d", locale="de")
    assert "Decision on 120,00 USD for" in decision
    # English stays as it was
    english = parse(credits_html([Eligible(owed, None, None, None)], action="/c"))
    assert english.all("tbody")[0].all("td")[2].content.startswith("120.00 USD")
