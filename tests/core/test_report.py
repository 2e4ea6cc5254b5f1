"""The period report on the shipped example data, worked by hand (examples/data/*/README.md)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord import load_agreement
from accord.cli import app, parse_period
from accord.core.availability import Outage
from accord.core.errors import AccordError
from accord.core.report import Data, Measurement, Report, evaluate
from accord.io.data import DataError, read_data
from accord.render.report import report_html, report_json, report_markdown

ROOT = Path(__file__).resolve().parents[2]
SAAS = ROOT / "examples" / "agreements" / "saas.yaml"
OCTOBER = ROOT / "examples" / "data" / "cloudnote-2026-10"


def test_cloudnote_october_worked_by_hand() -> None:
    report = evaluate(load_agreement(SAAS), read_data(OCTOBER), *parse_period("2026-10", "UTC"))
    availability = report.objectives[0]
    assert availability.actual == (Decimal(44520) - 137) / Decimal(44520) * 100
    assert availability.met is False
    # INC-101, INC-102 (half), INC-104 on storage (a component of the web app), CHG-8 late
    assert len(availability.breaches) == 4
    # four incidents lasting 42 + 90 + 20 + 30 minutes of the window (unweighted)
    assert availability.incidents == 4
    assert availability.time_to_recover == timedelta(minutes=182) / 4
    assert availability.time_between_failures == timedelta(minutes=44520 - 182) / 4
    assert "4 incidents, mean time to recover 45m30s" in availability.detail
    rendered = json.loads(json.dumps(report_json(report)))["objectives"][0]
    assert (rendered["incidents"], rendered["time_to_recover_seconds"]) == (4, 2730)
    assert rendered["status"] == "final"
    assert report.settlement is not None
    assert (report.settlement.percent, report.settlement.amount) == (Decimal(10), Decimal("120.00"))
    assert report.claim_deadline == datetime(2026, 12, 1, tzinfo=UTC)


def test_business_tier_is_judged_and_billed_as_that_tier() -> None:
    report = evaluate(
        load_agreement(SAAS), read_data(OCTOBER), *parse_period("2026-10", "UTC"), tier="business"
    )
    assert report.settlement is not None
    assert report.settlement.amount == Decimal("480.00")


def test_a_count_of_qualified_leads() -> None:
    agreement = load_agreement(ROOT / "examples" / "agreements" / "marketing-to-sales.yaml")
    count = next(o for o in agreement.objectives if o.metric == "count")
    start, end = parse_period("2026-10", "UTC")
    leads = [
        Measurement(
            count.source or count.id,
            datetime(2026, 10, 2, tzinfo=UTC),
            {"score": str(s), "status": "qualified"},
        )
        for s in [59, 60, 75, 90] * 60
    ]
    report = evaluate(agreement, Data(measurements=tuple(leads)), start, end)
    result = next(r for r in report.objectives if r.objective == count.id)
    assert result.actual == 180  # the 60 leads scoring 59 are not qualified
    assert result.met is False


def test_periods() -> None:
    assert parse_period("2026-Q4", "UTC") == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert parse_period("2026", "UTC")[1] == datetime(2027, 1, 1, tzinfo=UTC)
    with pytest.raises(AccordError, match="malformed period"):
        parse_period("October", "UTC")


def test_bad_data_rows_name_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "outages.jsonl").write_text(
        '{"service": "api", "start": "2026-10-06T14:05:00+00:00", "cause": "aliens"}\n'
    )
    with pytest.raises(DataError, match=r"outages.jsonl:1: column 'cause': unknown cause 'aliens'"):
        read_data(tmp_path)
    (tmp_path / "outages.jsonl").write_text('{"service": "api", "start": "2026-10-06T14:05"}\n')
    with pytest.raises(DataError, match="has no UTC offset"):
        read_data(tmp_path)


def test_report_command() -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["report", str(SAAS), "--data", str(OCTOBER), "--period", "2026-10", "--format", "json"],
    )
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["credits"]["amount"] == "120.00"
    assert data["objectives"][0]["met"] is False


def test_throughput_at_the_fifth_percentile() -> None:
    agreement = load_agreement(ROOT / "examples" / "agreements" / "isp.yaml")
    start, end = parse_period("2026-10", "UTC")
    # 100 speed tests: 1..100 Mbit/s shifted; the 5th percentile (nearest rank) is the 5th value
    tests = tuple(
        Measurement("line-probe", datetime(2026, 10, 3, tzinfo=UTC), {"download_mbps": str(v)})
        for v in range(16, 116)
    )
    result = next(
        r
        for r in evaluate(agreement, Data(measurements=tests), start, end).objectives
        if r.objective == "download-speed"
    )
    assert (result.actual, result.met) == (Decimal(20), True)


def test_a_deliverable_due_on_the_fifth_business_day() -> None:
    agreement = load_agreement(ROOT / "examples" / "agreements" / "sales-to-service.yaml")
    start, end = parse_period("2026-10", "UTC")

    def judged(at: datetime) -> bool | None:
        data = Data(
            measurements=(Measurement("wiki-publications", at, {"service": "friction-report"}),)
        )
        return next(r for r in evaluate(agreement, data, start, end).objectives).met

    # October 2026 starts on a Thursday: business days 1, 2, 5, 6, 7 -> due Wednesday the 7th
    assert judged(datetime(2026, 10, 7, 12, tzinfo=UTC)) is True
    assert judged(datetime(2026, 10, 9, 12, tzinfo=UTC)) is False


def test_report_as_csv() -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["report", str(SAAS), "--data", str(OCTOBER), "--period", "2026-10", "--format", "csv"]
    )
    assert result.exit_code == 0
    header, first, second = csv.reader(io.StringIO(result.output))  # a cell may hold lines
    assert ",".join(header).startswith(
        "agreement,version,period_start,period_end,judged_at,objective"
    )
    assert first[4:13] == [
        "2026-11-01T00:00:00+00:00",  # the end of the evidence (the folder's coverage.yaml)
        "availability",
        "availability",
        "99.9%",
        "final",
        "2026-10-01T00:00:00+00:00",
        "2026-11-01T00:00:00+00:00",
        "99.692273",  # (44,520 - 137) / 44,520, to six places
        "false",
    ]
    # no ticket in the folder: no figure, and no credit from it
    assert second[5:9] == ["support-first-response", "first_response", "95%", "no data"]
    assert second[11:13] == ["", ""]


def test_month_by_month_trend() -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "report",
            str(SAAS),
            "--data",
            str(OCTOBER),
            "--period",
            "2026-Q4",
            "--trend",
            "--format",
            "markdown",
        ],
    )
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "| objective | target | 2026-10 | 2026-11 | 2026-12 |" in lines
    # the data covers October only: November and December are no data, not 100% met
    # each month's figure as its own report writes it (the trend is built from the months' views)
    assert "| Monthly availability | 99.9% | **99.692%** | no data | no data |" in lines
    assert "| credits owed (USD) | | 120.00 | - | - |" in lines
    assert "Credits owed over the period: 120.00 USD." in lines


def _agreement_measured_by(method: str, **extra: object) -> object:
    from accord.core.agreement import Agreement

    return Agreement.model_validate(
        {
            "id": "probed",
            "version": "1",
            "overview": {"title": "Probed"},
            "exclusions": {"unknown_data": "down"},
            "objectives": [
                {"id": "up", "metric": "availability", "target": "99%", "method": method, **extra}
            ],
        }
    )


def test_availability_from_probe_slices_with_unknown_counted_down(tmp_path: Path) -> None:
    lines = []
    for minute in range(
        1440
    ):  # 14 April: one probe a minute, failing 10:00-10:29, none 20:00-20:59
        if 1200 <= minute < 1260:
            continue
        at = datetime(2026, 4, 14, tzinfo=UTC).timestamp() + minute * 60
        ok = not 600 <= minute < 630
        lines.append(
            json.dumps(
                {"service": "api", "at": datetime.fromtimestamp(at, UTC).isoformat(), "ok": ok}
            )
        )
    (tmp_path / "probes.jsonl").write_text("\n".join(lines) + "\n")
    agreement = _agreement_measured_by("slices")
    start, end = datetime(2026, 4, 14, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC)
    [result] = evaluate(agreement, read_data(tmp_path), start, end).objectives  # type: ignore[arg-type]
    assert result.actual == Decimal(1440 - 90) / Decimal(1440) * 100
    assert "60 without data (counted as down)" in result.detail
    # budget: 1% of 1,440 one-minute slices = 14.4 minutes; 90 slices down
    assert result.budget == timedelta(minutes=14, seconds=24)
    assert result.downtime == timedelta(minutes=90)
    [runs] = evaluate(
        _agreement_measured_by("slices", bad_run=45),
        read_data(tmp_path),  # type: ignore[arg-type]
        start,
        end,
    ).objectives
    assert runs.actual == Decimal(1440 - 60) / Decimal(1440) * 100  # the 30-minute run is forgiven


def test_availability_from_request_counts(tmp_path: Path) -> None:
    (tmp_path / "requests.csv").write_text(
        "service,at,good,total\n"
        "api,2026-04-14T00:00:00+00:00,90,100\n"
        "api,2026-04-14T00:05:00+00:00,1000,1000\n"
    )
    start, end = datetime(2026, 4, 14, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC)
    [occurrence] = evaluate(
        _agreement_measured_by("occurrences"),
        read_data(tmp_path),  # type: ignore[arg-type]
        start,
        end,
    ).objectives
    assert occurrence.actual == Decimal(1090) / Decimal(1100) * 100
    [ratio] = evaluate(
        _agreement_measured_by("ratio_slices"),
        read_data(tmp_path),  # type: ignore[arg-type]
        start,
        end,
    ).objectives
    assert ratio.actual == Decimal(95)  # (90% + 100%) / 2, as S3 measures


def _composed(method: str, services: list[dict[str, object]], scope: str) -> object:
    from accord.core.agreement import Agreement

    return Agreement.model_validate(
        {
            "id": "composed",
            "version": "1",
            "overview": {"title": "Composed"},
            "services": [{"name": str(s["id"]).title(), **s} for s in services],
            "exclusions": {"unknown_data": "excluded"},
            "objectives": [
                {
                    "id": "up",
                    "metric": "availability",
                    "target": "99%",
                    "method": method,
                    "scope": {"service": [scope]},
                }
            ],
        }
    )


def _probes(path: Path, failing: dict[str, range], silent: dict[str, range]) -> None:
    """One probe a minute on 14 April for api and db; failing and silent minutes per service."""
    lines = []
    for service in ("api", "db"):
        for minute in range(1440):
            if minute in silent.get(service, range(0)):
                continue
            at = datetime(2026, 4, 14, tzinfo=UTC) + timedelta(minutes=minute)
            ok = minute not in failing.get(service, range(0))
            lines.append(json.dumps({"service": service, "at": at.isoformat(), "ok": ok}))
    (path / "probes.jsonl").write_text("\n".join(lines) + "\n")


def test_a_service_composed_of_all_its_components_measured_by_probes(tmp_path: Path) -> None:
    """Each slice is judged per component: down when one is down, unknown when none is down
    and one is silent (never up by default), so a busy component cannot hide an idle one's
    failure; the probes of the other service never count."""
    _probes(
        tmp_path,
        failing={"api": range(600, 630), "db": range(620, 650), "cache": range(0, 1440)},
        silent={"db": range(1000, 1100)},
    )
    agreement = _composed(
        "slices",
        [{"id": "shop", "components": ["api", "db"]}, {"id": "api"}, {"id": "db"}],
        "shop",
    )
    start, end = datetime(2026, 4, 14, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC)
    [result] = evaluate(agreement, read_data(tmp_path), start, end).objectives  # type: ignore[arg-type]
    # down 10:00-10:49 (either failing), db silent for 100 minutes: left out
    assert result.actual == Decimal(1340 - 50) / Decimal(1340) * 100
    assert "50 bad, 100 without data" in result.detail
    assert "every one of api, db" in result.detail


def test_a_weighted_service_measured_by_probes_and_by_requests(tmp_path: Path) -> None:
    _probes(tmp_path, failing={"api": range(0, 144)}, silent={})
    (tmp_path / "requests.csv").write_text(
        "service,at,good,total\n"
        "api,2026-04-14T00:00:00+00:00,900,1000\n"
        "db,2026-04-14T00:05:00+00:00,990,1000\n"
    )
    services = [
        {
            "id": "search",
            "components": ["api", "db"],
            "composition": "weighted",
            "weights": {"api": "0.7", "db": "0.3"},
        },
        {"id": "api"},
        {"id": "db"},
    ]
    start, end = datetime(2026, 4, 14, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC)
    [probed] = evaluate(
        _composed("slices", services, "search"),
        read_data(tmp_path),  # type: ignore[arg-type]
        start,
        end,
    ).objectives
    # api down 144 of 1,440 slices (90%), db up: 0.7 x 90 + 0.3 x 100
    assert probed.actual == Decimal(93)
    assert "0.7 x api 90.0000%" in probed.detail
    [counted] = evaluate(
        _composed("occurrences", services, "search"),
        read_data(tmp_path),  # type: ignore[arg-type]
        start,
        end,
    ).objectives
    assert counted.actual == Decimal("0.7") * 90 + Decimal("0.3") * 99
    (tmp_path / "requests.csv").write_text(
        "service,at,good,total\napi,2026-04-14T00:00:00+00:00,900,1000\n"
    )
    [unmeasured] = evaluate(
        _composed("occurrences", services, "search"),
        read_data(tmp_path),  # type: ignore[arg-type]
        start,
        end,
    ).objectives
    assert unmeasured.actual is None
    assert "no data for db" in unmeasured.detail


def test_requests_of_a_composed_service_count_its_components(tmp_path: Path) -> None:
    (tmp_path / "requests.csv").write_text(
        "service,at,good,total\n"
        "api,2026-04-14T00:00:00+00:00,90,100\n"
        "db,2026-04-14T00:05:00+00:00,1000,1000\n"
        "cache,2026-04-14T00:05:00+00:00,0,1000\n"
    )
    agreement = _composed(
        "occurrences",
        [{"id": "shop", "components": ["api", "db"]}, {"id": "api"}, {"id": "db"}],
        "shop",
    )
    start, end = datetime(2026, 4, 14, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC)
    [result] = evaluate(agreement, read_data(tmp_path), start, end).objectives  # type: ignore[arg-type]
    assert result.actual == Decimal(1090) / Decimal(1100) * 100


def test_two_vendors_side_by_side_on_a_common_metric() -> None:
    from accord.core.clocks import TicketEvent

    agreement = load_agreement(ROOT / "examples" / "agreements" / "two-vendors.yaml")
    start, end = parse_period("2026-10", "UTC")

    def ticket(name: str, service: str, fixed_after_hours: int) -> list[TicketEvent]:
        opened = datetime(2026, 10, 6, 9, tzinfo=UTC)  # a Tuesday, store hours 07:00-22:00
        return [
            TicketEvent(
                f"{name}-1",
                name,
                opened,
                "created",
                {"priority": "P1", "status": "New", "service": service, "assignee": "engineer"},
            ),
            TicketEvent(
                f"{name}-2",
                name,
                opened.replace(hour=9 + fixed_after_hours),
                "updated",
                {"status": "Resolved"},
            ),
        ]

    events = (
        ticket("N1", "north-field", 2)
        + ticket("N2", "north-field", 3)
        + ticket("S1", "south-field", 10)
    )
    report = evaluate(agreement, Data(tickets=tuple(events)), start, end)
    fix = {r.objective: r for r in report.objectives if r.objective.startswith("fix-time")}
    assert set(fix) == {"fix-time", "fix-time@fixfast", "fix-time@techforce"}
    assert fix["fix-time@fixfast"].actual == 100  # both within 8 hours
    assert fix["fix-time@techforce"].actual == 0  # 10 hours
    assert fix["fix-time"].actual == Decimal(200) / 3
    provider = next(p for p in agreement.parties.all_providers if p.id == "fixfast")  # type: ignore[union-attr]
    assert fix["fix-time@fixfast"].name == f"Fix time ({provider.name})"


def test_roll_up_of_a_multi_level_chain() -> None:
    runner = CliRunner()
    corporate = ROOT / "examples" / "agreements" / "multi-level" / "corporate.yaml"
    result = runner.invoke(
        app,
        [
            "report",
            str(corporate),
            "--data",
            str(OCTOBER),
            "--period",
            "2026-10",
            "--roll-up",
            "--format",
            "markdown",
        ],
    )
    assert result.exit_code == 0
    rows = [
        line.split("|")[1].strip()
        for line in result.output.splitlines()
        if line.startswith("| helix")
    ]
    assert rows == ["helix-corporate", "helix-acme", "helix-acme-email"]  # corporate -> service


TWO_VENDORS = ROOT / "examples" / "agreements" / "two-vendors.yaml"
FIELD = ROOT / "examples" / "data" / "field-support-2026-10"


def test_each_provider_is_settled_on_its_own_figures_and_its_own_fee() -> None:
    """Worked by hand (examples/data/field-support-2026-10/README.md), with other fees:
    FixFast met both objectives (100%, 100%): nothing on its 10,000. TechForce: on site 0%
    (below 80%: 20%), fix time 50% (below 80%: 10%), 30% capped at 25% of its 20,000 = 5,000.
    On the combined figures (50%, 75%) both would have owed 25%."""
    text = (
        TWO_VENDORS.read_text()
        .replace(
            'fixfast: {amount: "18000.00", currency: GBP}',
            'fixfast: {amount: "10000.00", currency: GBP}',
        )
        .replace(
            'techforce: {amount: "18000.00", currency: GBP}',
            'techforce: {amount: "20000.00", currency: GBP}',
        )
    )
    report = evaluate(load_agreement(text), read_data(FIELD), *parse_period("2026-10", "UTC"))
    fixfast, techforce = report.settlements
    assert (fixfast.provider, fixfast.fee, fixfast.amount) == ("fixfast", 10000, 0)
    assert fixfast.reasons == (
        "FixFast Field Services Ltd (fixfast): settled on its own figures and its own fee of "
        "10000.00 GBP; no credit owed",
    )
    assert (techforce.fee, techforce.percent, techforce.amount) == (20000, 25, Decimal("5000.00"))
    assert [(c.objective, c.attainment, c.percent, c.amount) for c in techforce.credits] == [
        ("engineer-on-site@techforce", 0, 20, Decimal("4000.00")),
        ("fix-time@techforce", 50, 10, Decimal("2000.00")),
    ]
    assert techforce.reasons[-2:] == (
        "credits add up: 20% + 10% = 30%",
        "capped at 25% of the fee (was 30%)",
    )
    total = report.settlement
    assert total is not None
    assert (total.fee, total.amount, total.currency) == (30000, Decimal("5000.00"), "GBP")
    assert total.percent == Decimal("16.66666666666666666666666667")
    assert total.reasons[-1] == "owed in all: 0.00 (fixfast) + 5000.00 (techforce) = 5000.00 GBP"
    rendered = json.loads(json.dumps(report_json(report)))
    assert [(p["provider"], p["amount"]) for p in rendered["credits_by_provider"]] == [
        ("fixfast", "0.00"),
        ("techforce", "5000.00"),
    ]
    assert "### techforce: 5,000.00 GBP (25% of its 20,000.00 GBP fee)" in report_markdown(report)
    assert 'data-provider="techforce"' in report_html(report)


def test_fees_per_provider_are_checked() -> None:
    text = TWO_VENDORS.read_text().replace("      techforce: {amount", "      techfarce: {amount")
    with pytest.raises(AccordError, match=r"tiers\[0\]\.fees\.techfarce: unknown provider"):
        load_agreement(text)
    both = TWO_VENDORS.read_text().replace(
        "    fees:\n", '    fee: {amount: "1.00", currency: GBP}\n    fees:\n'
    )
    with pytest.raises(AccordError, match="give either one fee or each provider's fees"):
        load_agreement(both)


def test_the_claim_procedure_and_evidence_are_in_every_format() -> None:
    report = evaluate(load_agreement(SAAS), read_data(OCTOBER), *parse_period("2026-10", "UTC"))
    assert report.claim is not None
    assert report.claim.evidence == (
        "Dates and times of the outage",
        "Affected users or workspaces",
    )
    claim = report_json(report)["claim"]
    assert claim["deadline"] == "2026-12-01T00:00:00+00:00"
    assert claim["window"] == str(report.claim.window)
    assert claim["procedure"].startswith('Open a support ticket titled "SLA credit request"')
    assert claim["evidence"] == list(report.claim.evidence)
    markdown = report_markdown(report)
    assert "Procedure: Open a support ticket" in markdown
    assert "- Affected users or workspaces" in markdown
    page = report_html(report)
    assert 'id="claim-procedure">Open a support ticket titled &#34;SLA credit request&#34;' in page
    assert "<li>Dates and times of the outage</li>" in page


def _last_hour(minutes_before_end: int) -> Report:
    """Cloudnote's API down for the hour that ends ``minutes_before_end`` before November."""
    stop = datetime(2026, 11, 1, tzinfo=UTC) - timedelta(minutes=minutes_before_end)
    outage = Outage("api", stop - timedelta(hours=1), stop, id="INC-9")
    october = parse_period("2026-10", "UTC")
    return evaluate(load_agreement(SAAS), Data(outages=(outage,), observed=october), *october)


def test_burn_rates_and_the_workbook_alerts_at_the_period_end() -> None:
    availability = _last_hour(0).objectives[0]
    # 1 h of 744 h down against a 0.1% budget: 1/744 / 0.001 = 1.344x the budget
    assert availability.burn_rate is not None
    assert round(availability.burn_rate, 18) == round(Decimal(1) / Decimal(744) * 1000, 18)
    fast, medium, slow = availability.burn_alerts
    assert (fast.long, fast.short, fast.threshold) == (
        timedelta(hours=1),
        timedelta(minutes=5),
        Decimal("14.4"),
    )
    assert fast.long_rate == fast.short_rate == 1000  # all of the last hour down
    assert medium.long_rate is not None
    assert round(medium.long_rate, 18) == round(Decimal(1000) / 6, 18)  # an hour of six
    assert slow.long_rate is not None
    assert round(slow.long_rate, 18) == round(Decimal(1000) / 72, 18)  # of three days
    assert fast.firing
    assert medium.firing
    assert slow.firing
    # ended ten minutes before the end: the long windows still burn, the short ones do not
    fast, medium, slow = _last_hour(10).objectives[0].burn_alerts
    assert fast.long_rate is not None
    assert round(fast.long_rate, 18) == round(Decimal(1000) * 50 / 60, 18)
    assert (fast.short_rate, fast.firing) == (0, False)
    assert medium.firing  # the last 30 minutes hold 20 down: 667x
    assert slow.firing
    rendered = report_json(_last_hour(10))["objectives"][0]["burn_alerts"]
    assert [a["firing"] for a in rendered] == [False, True, True]
    assert "## Burn-rate alerts firing" in report_markdown(_last_hour(10))


def test_a_quiet_month_burns_nothing() -> None:
    october = parse_period("2026-10", "UTC")
    availability = evaluate(load_agreement(SAAS), Data(observed=october), *october).objectives[0]
    assert availability.burn_rate == 0
    assert not any(a.firing for a in availability.burn_alerts)


def test_a_month_nobody_observed_burns_nothing_and_says_so() -> None:
    availability = evaluate(
        load_agreement(SAAS), Data(), *parse_period("2026-10", "UTC")
    ).objectives[0]
    assert (availability.status, availability.actual, availability.met) == ("no data", None, None)
    assert availability.burn_rate is None
    assert availability.burn_alerts == ()


def test_a_roll_up_page_tells_its_times_in_the_zone_asked_for() -> None:
    corporate = ROOT / "examples" / "agreements" / "multi-level" / "corporate.yaml"
    helix = ROOT / "examples" / "data" / "helix-2026-10"
    args = ["report", str(corporate), "--data", str(helix), "--period", "2026-10", "--roll-up"]
    runner = CliRunner()
    asked = runner.invoke(app, [*args, "--format", "html", "--timezone", "Asia/Tokyo"])
    assert asked.exit_code == 0, asked.output
    # the month reckoned in Tokyo ends at 1 Nov 00:00 JST, the instant judged at
    assert (
        'Judged at <time datetime="2026-11-01T00:00:00+09:00">1 Nov 2026, 00:00 JST</time>'
        in asked.output
    )
    assert "Times in Asia/Tokyo." in asked.output
    plain = runner.invoke(app, [*args, "--format", "html"])
    assert plain.exit_code == 0, plain.output
    # without a zone, the parent agreement's (Amsterdam): 1 Nov 00:00 UTC is 01:00 CET
    assert "1 Nov 2026, 01:00 CET</time>" in plain.output
