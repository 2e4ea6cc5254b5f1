"""``accord new``: agreements drafted from templates, asking only for what differs."""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from accord import load_agreement
from accord.cli import app
from accord.io.templates import KINDS, Answers, _months_after, draft, slug

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_template_drafts_a_valid_agreement_with_only_the_parties(
    kind: str, tmp_path: Path
) -> None:
    providers = ["Fixers Ltd", "Menders plc"] if kind == "vendors" else ["Helpful Co"]
    path = tmp_path / f"{kind}.yaml"
    args = ["new", kind, "--customer", "Acme Ltd", "--start", "2027-03-01", "-o", str(path)]
    for name in providers:
        args += ["--provider", name]
    code, out = run(*args)
    assert code == 0, out
    agreement = load_agreement(path)
    assert (agreement.id, agreement.version) == (f"acme-ltd-{kind}", "1.0")
    assert agreement.effective is not None
    assert agreement.effective.start == date(2027, 3, 1)
    parties = agreement.parties
    assert parties is not None
    assert parties.customer is not None
    assert parties.customer.name == "Acme Ltd"
    assert [p.name for p in parties.all_providers] == providers
    text = path.read_text(encoding="utf-8")
    assert "$" not in text  # every placeholder filled in
    code, out = run("validate", str(path))
    assert code == 0, out
    code, out = run("show", str(path), "--format", "markdown")
    assert code == 0, out
    assert "- Customer: Acme Ltd" in out


def test_the_answers_land_where_they_belong() -> None:
    """Place, fee, a stricter target (the first credit band moves with it: no gap between
    the target and the band) and a limit; the term keeps the template's length in months,
    the next review follows the cadence."""
    text, agreement = draft(
        "saas",
        Answers(
            customer="Bäckerei Schmidt KG",
            providers=["Wolkig GmbH"],
            start=date(2027, 1, 1),
            timezone="Europe/Berlin",
            country="DE",
            subdivision="BY",
            fee="900 EUR",
            targets={"availability": "99.95%"},
            limits={"support-first-response": "2h"},
        ),
    )
    assert agreement.id == "backerei-schmidt-kg-saas"
    calendars = agreement.calendars
    assert {c["timezone"] for c in calendars.values()} == {"Europe/Berlin"}
    assert calendars["support-hours"]["holidays"] == {"country": "DE", "subdivision": "BY"}
    assert {(t.fee.amount, t.fee.currency) for t in agreement.tiers if t.fee} == {
        (Decimal("900.00"), "EUR")
    }
    objectives = {o.id: o for o in agreement.objectives}
    assert objectives["availability"].target == Decimal("99.95")
    assert str(objectives["support-first-response"].within) == "2h"
    assert agreement.remedies is not None
    (schedule,) = agreement.remedies.credits
    assert schedule.bands[0].below == Decimal("99.95")
    assert agreement.effective is not None
    assert (agreement.effective.start, agreement.effective.end) == (
        date(2027, 1, 1),
        date(2028, 12, 31),  # the template's two years
    )
    assert agreement.effective.review.next == date(2027, 4, 1)  # quarterly
    assert "wolkig-gmbh.example" in text


def test_a_country_given_drops_the_templates_company_holidays() -> None:
    text, agreement = draft(
        "it-service-desk",
        Answers("Acme Ltd", ["IT"], date(2027, 1, 1), timezone="Europe/Paris", country="FR"),
    )
    holidays = agreement.calendars["new-york-office"]["holidays"]
    assert holidays == {"country": "FR"}
    assert "Christmas Eve" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("new", "sass", "--customer", "A", "--provider", "B"), "unknown template 'sass'"),
        (
            ("new", "saas", "--customer", "A", "--provider", "B", "--fee", "lots"),
            "--fee: 'lots'; expected an amount and a currency, such as '1200 EUR'",
        ),
        (
            ("new", "saas", "--customer", "A", "--provider", "B", "--target", "uptime=99%"),
            "the template has no objective 'uptime'; its objectives are availability, "
            "support-first-response",
        ),
        (
            ("new", "saas", "--customer", "A", "--provider", "B", "--within", "availability"),
            "--within 'availability': expected OBJECTIVE=VALUE",
        ),
        (("new", "vendors", "--customer", "A", "--provider", "B"), "name 2 providers"),
        (
            ("new", "saas", "--customer", "A", "--provider", "B", "--timezone", "Mars/Olympus"),
            "Mars/Olympus",
        ),
        (
            ("new", "saas", "--customer", "Acme", "--provider", "Acme"),
            "the parties' names give the same id twice",
        ),
    ],
)
def test_a_wrong_answer_is_a_clear_error(args: tuple[str, ...], message: str) -> None:
    code, out = run(*args)
    assert code != 0
    assert message in " ".join(out.split())


def test_the_templates_are_listed() -> None:
    code, out = run("new", "--list")
    assert code == 0
    for kind in KINDS:
        assert kind in out


def test_names_become_identifiers() -> None:
    assert slug("Bäckerei Schmidt KG") == "backerei-schmidt-kg"
    assert slug("  IT & Ops / EMEA ") == "it-ops-emea"


@given(st.dates(date(1990, 1, 1), date(2090, 1, 1)), st.integers(0, 240))
def test_a_term_in_months_lands_on_the_same_day_or_the_months_last(day: date, months: int) -> None:
    found = _months_after(day, months)
    assert (found.year * 12 + found.month) - (day.year * 12 + day.month) == months
    assert found.day == min(day.day, monthrange(found.year, found.month)[1])
