"""Every example agreement evaluated against the example data shipped beside it, with the key
figures worked by hand in each data folder's README.md."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from accord import load_agreement
from accord.cli import parse_period
from accord.core.clocks import calendars_of
from accord.core.report import evaluate
from accord.io.data import read_data
from accord.render.report import report_csv, report_html, report_json, report_markdown
from accord.render.report_document import ReportDocument

ROOT = Path(__file__).resolve().parents[2]
AGREEMENTS = ROOT / "examples" / "agreements"
DATA = ROOT / "examples" / "data"


def ratio(up: int, window: int) -> Decimal:
    """Availability as the READMEs work it: (window - downtime) / window, in percent."""
    return Decimal(up) / Decimal(window) * 100


@dataclass(frozen=True)
class Example:
    agreement: str
    data: str
    figures: dict[str, Decimal | None]  # objective -> actual
    met: dict[str, bool | None]
    credit: Decimal | None = None  # amount owed
    zone: str = "UTC"
    tier: str | None = None
    penalties: tuple[Decimal, ...] = ()
    claim_by: datetime | None = None
    breaches: dict[str, int] = field(default_factory=dict)
    by_provider: dict[str, Decimal] = field(default_factory=dict)  # each on its own fee


EXAMPLES = [
    Example(
        "saas.yaml",
        "cloudnote-2026-10",
        {"availability": ratio(44520 - 137, 44520)},
        {"availability": False},
        Decimal("120.00"),
        claim_by=datetime(2026, 12, 1, tzinfo=UTC),
    ),
    Example(
        "ecommerce.yaml",
        "shopfront-2026-10",
        # 31 days of seconds; per component: storefront and checkout overlapping (90 s once),
        # 20 s third party and 40 s maintenance count
        {"shop-availability": ratio(2_678_400 - 150, 2_678_400), "incident-recovery": Decimal(50)},
        {"shop-availability": False, "incident-recovery": False},
        Decimal("1250.00"),
        claim_by=datetime(2026, 12, 16, tzinfo=UTC),
        breaches={"shop-availability": 4},  # SF-1 up to where SF-4 takes over, SF-4, SF-2, SF-M1
    ),
    Example(
        "isp.yaml",
        "fibre-2026-10",
        # 744 h - 3 h maintenance = 44,460 minutes; 540 down
        {
            "availability": ratio(44460 - 540, 44460),
            "download-speed": Decimal("21.0"),
            "fault-repair": None,
        },
        {"availability": False, "download-speed": True, "fault-repair": None},
        Decimal("22.25"),
        penalties=(Decimal("25.00"),),
        claim_by=datetime(2027, 1, 1, tzinfo=UTC),
    ),
    Example(
        "prime-time.yaml",
        "tradedesk-2026-10",
        # prime 220 h, off hours 525 h - 2 h maintenance
        {
            "prime-availability": ratio(13200 - 90, 13200),
            "off-hours-availability": ratio(31380 - 300, 31380),
        },
        {"prime-availability": False, "off-hours-availability": True},
        Decimal("4000.00"),
        zone="Europe/Berlin",
        # TD-1 breaches both windows (90 and 60 minutes of it); the Saturday's TD-2 only off hours
        breaches={"prime-availability": 1, "off-hours-availability": 2},
    ),
    Example(
        "marketing-to-sales.yaml",
        "acme-marketing-2026-10",
        {"qualified-leads": Decimal(205), "lead-first-contact": None},
        {"qualified-leads": True, "lead-first-contact": None},
    ),
    Example(
        "sales-to-service.yaml",
        "friction-report-2026-10",
        {"friction-report-on-time": Decimal(100)},
        {"friction-report-on-time": True},
    ),
    Example(
        "two-vendors.yaml",
        "field-support-2026-10",
        {
            "engineer-on-site": Decimal(50),
            "engineer-on-site@fixfast": Decimal(100),
            "engineer-on-site@techforce": Decimal(0),
            "fix-time": Decimal(75),
            "fix-time@fixfast": Decimal(100),
            "fix-time@techforce": Decimal(50),
            "first-visit-fix": Decimal(75),
        },
        {"engineer-on-site": False, "fix-time": False, "fix-time@fixfast": True},
        Decimal("4500.00"),
        # FixFast met both; TechForce 20% + 10% capped at 25% of its own 18,000
        by_provider={"fixfast": Decimal("0.00"), "techforce": Decimal("4500.00")},
    ),
    Example(
        "it-service-desk.yaml",
        "service-desk-2026-10",
        {"p1-first-response": Decimal(75), "p1-resolution": Decimal(75)},
        {"p1-first-response": False, "p1-resolution": False, "p2-first-response": None},
    ),
    Example(
        "multi-level/corporate.yaml",
        "helix-2026-10",
        {"availability": ratio(44520 - 50, 44520), "monthly-report": Decimal(100)},
        {"availability": False, "monthly-report": True},
        Decimal("100.00"),
    ),
    Example(
        "multi-level/customer-acme.yaml",
        "helix-2026-10",
        {"availability": ratio(44520 - 50, 44520)},
        {"availability": False},
        Decimal("100.00"),
    ),
    Example(
        "multi-level/service-acme-email.yaml",
        "helix-2026-10",
        {"availability": ratio(44520 - 30, 44520), "stuck-mail": Decimal(2)},
        {"availability": False, "stuck-mail": True},
        Decimal("270.00"),
        tier="premium",
    ),
    Example(
        "it-outsourcing.yaml",
        "it-outsourcing-2026",
        # October: telephony down 2 h of 744 h (MIT-10), the others up all month
        {"telephony": ratio(44640 - 120, 44640), "erp": Decimal(100)},
        {"telephony": True, "erp": True, "network": True, "hosting": True, "email": True},
        claim_by=datetime(2026, 12, 1, tzinfo=UTC),
    ),
]


def test_every_example_agreement_has_example_data() -> None:
    shipped = {str(p.relative_to(AGREEMENTS)) for p in AGREEMENTS.rglob("*.yaml")}
    assert shipped == {e.agreement for e in EXAMPLES}
    folders = {p.name for p in DATA.iterdir() if p.is_dir()}
    assert folders == {e.data for e in EXAMPLES} | GENERATED
    for folder in folders:
        assert (DATA / folder / "README.md").exists(), f"{folder}: no hand calculation"


# made by a script, not worked by hand: checked against each version's own reports in
# tests/test_cli_trial.py, and below to be what its script writes
GENERATED = {"service-desk-2026"}


def test_the_generated_example_year_is_what_its_script_writes(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parents[2] / "scripts" / "example-service-desk-year.py"
    spec = importlib.util.spec_from_file_location("example_year", script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    written = (tmp_path / "tickets.jsonl").read_bytes()
    assert written == (DATA / "service-desk-2026" / "tickets.jsonl").read_bytes()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.agreement for e in EXAMPLES])
def test_example_worked_by_hand(example: Example) -> None:
    report = evaluate(
        load_agreement(AGREEMENTS / example.agreement),
        read_data(DATA / example.data),
        *parse_period("2026-10", example.zone),
        example.tier,
    )
    results = {r.objective: r for r in report.objectives}
    assert {k: results[k].actual for k in example.figures} == example.figures
    assert {k: results[k].met for k in example.met} == example.met
    if example.credit is None:
        assert report.settlement is None
    else:
        assert report.settlement is not None
        assert report.settlement.amount == example.credit
    assert tuple(amount for amount, _ in report.penalties) == example.penalties
    assert {s.provider: s.amount for s in report.settlements} == example.by_provider
    for objective, count in example.breaches.items():
        assert len(results[objective].breaches) == count, results[objective].breaches
    if example.claim_by is not None:
        assert report.claim_deadline == example.claim_by
    # every renderer takes every example
    page = report_html(report)
    assert page.count('<tr data-objective="') >= len(report.objectives)
    assert report_markdown(report).startswith(f"# {report.title}")
    assert len(list(csv.reader(io.StringIO(report_csv(report))))) == 1 + len(report.objectives)
    assert len(report_json(report)["objectives"]) == len(report.objectives)
    # the JSON is what the API documents (ReportDocument's schema), every field of it
    shown = json.loads(json.dumps(report_json(report)))
    jsonschema.validate(shown, ReportDocument.model_json_schema())
    assert ReportDocument.model_validate(shown).model_dump(mode="json") == shown


def test_the_isp_penalty_over_the_year() -> None:
    """The yearly threshold over the whole year: the same 9 hours, one over 8."""
    report = evaluate(
        load_agreement(AGREEMENTS / "isp.yaml"),
        read_data(DATA / "fibre-2026-10"),
        *parse_period("2026", "UTC"),
    )
    [(amount, reason)] = report.penalties
    assert amount == Decimal("25.00")
    assert "9h of downtime, 8h allowed a year" in reason


def test_prime_time_and_off_hours_measure_every_minute_of_the_year_once() -> None:
    """Off-hours are every minute prime time is closed, so a weekday public holiday in Hesse is
    measured by the off-hours objective instead of by neither."""
    calendars = calendars_of(load_agreement(AGREEMENTS / "prime-time.yaml"))
    prime, off = calendars["prime"], calendars["off-hours"]
    for month in range(1, 13):
        start, end = parse_period(f"2026-{month:02d}", "Europe/Berlin")
        real = end.astimezone(UTC) - start.astimezone(UTC)  # the hour clocks skip or repeat
        assert prime.elapsed(start, end) + off.elapsed(start, end) == real, month
    # May 2026: 21 weekdays less Labour Day, Ascension and Whit Monday is 180 h of prime time,
    # and the other 564 h of the month's 744 are off-hours, the three holidays' days included
    start, end = parse_period("2026-05", "Europe/Berlin")
    assert prime.elapsed(start, end) == timedelta(hours=180)
    assert off.elapsed(start, end) == timedelta(hours=564)
