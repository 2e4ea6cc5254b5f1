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

from accord import load_agreement, load_agreements
from accord.cli import app
from accord.core.agreement import Agreement
from accord.core.agreement.model import Objective
from accord.core.errors import AccordError
from accord.io.templates import KINDS, LEVELS, Answers, _months_after, draft, draft_levels, slug

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in LEVELS])
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


def test_the_multi_level_template_drafts_three_levels_that_validate_and_render(
    tmp_path: Path,
) -> None:
    """Corporate terms, the customer's agreement refining them, one service refining that:
    three files, each valid resolved with its parents; the answers land at the customer's
    levels and the corporate terms stay as written."""
    folder = tmp_path / "helpful"
    code, out = run(
        "new", "multi-level", "--customer", "Acme Ltd", "--provider", "Helpful Co",
        "--start", "2027-03-01", "--target", "availability=99.99%",
        "--within", "sev2-response=1h", "--timezone", "Europe/Paris", "--country", "FR",
        "-o", str(folder),
    )  # fmt: skip
    assert code == 0, out
    assert sorted(p.name for p in folder.iterdir()) == sorted(LEVELS["multi-level"])
    for path in folder.iterdir():
        assert "$" not in path.read_text(encoding="utf-8")
    agreements = load_agreements(folder)
    corporate = agreements["helpful-co-corporate"]
    customer = agreements["helpful-co-acme-ltd"]
    service = agreements["helpful-co-acme-ltd-email"]
    assert (customer.parent, service.parent) == (corporate.id, customer.id)
    for agreement in (corporate, customer, service):
        assert agreement.effective is not None
        assert agreement.effective.start == date(2027, 3, 1)
        assert agreement.version == "1.0"
    assert service.parties is not None
    assert service.parties.customer.name == "Acme Ltd"
    assert [p.name for p in service.parties.all_providers] == ["Helpful Co"]
    assert corporate.calendars["office"]["timezone"] == "Europe/Paris"
    assert corporate.calendars["office"]["holidays"] == {"country": "FR"}

    def objectives(agreement: Agreement) -> dict[str, Objective]:
        return {o.id: o for o in agreement.objectives}

    assert objectives(corporate)["availability"].target == Decimal("99.9")  # as written
    assert objectives(customer)["availability"].target == Decimal("99.99")
    assert objectives(service)["availability"].target == Decimal("99.99")
    assert str(objectives(service)["sev2-response"].within) == "1h"
    assert str(objectives(corporate)["sev2-response"].within) == "4h"
    assert "monthly-report" not in objectives(service)  # removed by the customer level
    assert "stuck-mail" in objectives(service)  # added by the service level
    assert service.remedies is not None
    (schedule,) = service.remedies.credits
    assert schedule.bands[0].below == Decimal("99.99")  # no gap below the new target
    code, out = run("validate", str(folder))
    assert code == 0, out
    assert "3 agreements" in out
    code, out = run("show", str(folder / "service.yaml"), "--format", "markdown")
    assert code == 0, out
    assert "Refines `helpful-co-acme-ltd`" in out
    assert "- Customer: Acme Ltd" in out


def test_the_multi_level_template_prints_its_levels_or_shows_the_service() -> None:
    code, out = run("new", "multi-level", "--customer", "Acme", "--provider", "Helpful Co")
    assert code == 0, out
    assert [line for line in out.splitlines() if line.startswith("# ---- ")] == [
        f"# ---- {name}" for name in LEVELS["multi-level"]
    ]
    code, out = run(
        "new", "multi-level", "--customer", "Acme", "--provider", "Helpful Co", "--show"
    )
    assert code == 0, out
    assert out.startswith("# Helpful Co -- Acme Managed E-mail")


def test_a_multi_level_draft_is_not_one_agreement() -> None:
    answers = Answers("Acme", ["Helpful Co"], date(2027, 1, 1))
    with pytest.raises(AccordError, match="drafts 3 agreements"):
        draft("multi-level", answers)
    with pytest.raises(AccordError, match="is one agreement"):
        draft_levels("saas", answers)
    code, out = run("new", "multi-level", "--customer", "A", "--provider", "B", "--id", "mine")
    assert code != 0
    assert "names its 3 agreements from the parties" in " ".join(out.split())
