"""Every format for people renders the same view of a report: the figures in words, the times
in a named zone, the breaches explained; the PDF is that page, with its footer."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from rich.console import Console
from typer.testing import CliRunner

from accord import load_agreement
from accord.cli import app, parse_period
from accord.core.clocks import TicketEvent
from accord.core.report import Consumed, Data, Report, evaluate
from accord.io.data import read_data
from accord.render.report import (
    breaches_explained,
    report_csv,
    report_html,
    report_json,
    report_markdown,
    report_pdf,
    report_terminal,
)
from accord.render.report_document import ReportDocument
from accord.render.report_view import SHOWN_BREACHES, build
from accord.render.words import when, zone_of
from tests.render.test_html import parse, rows

ROOT = Path(__file__).resolve().parents[2]
SAAS = ROOT / "examples" / "agreements" / "saas.yaml"
OCTOBER = ROOT / "examples" / "data" / "cloudnote-2026-10"
DESK = ROOT / "examples" / "agreements" / "it-service-desk.yaml"


def _saas() -> Report:
    return evaluate(load_agreement(SAAS), read_data(OCTOBER), *parse_period("2026-10", "UTC"))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _terminal(report: Report, zone: str | None = None) -> str:
    screen = io.StringIO()
    Console(file=screen, width=2000, color_system=None).print(report_terminal(report, zone))
    return _flat(screen.getvalue())


def _pdf_pages(document: bytes) -> list[str]:
    return [_flat(page.extract_text()) for page in PdfReader(io.BytesIO(document)).pages]


def _desk_ticket() -> Data:
    """A P1 ticket (4 hours to resolve, around the clock): an hour with the desk (Ana), an hour
    waiting on a vendor (paused), then 4.5 hours with the network team (Raj)."""
    opened = datetime(2026, 10, 6, 10, tzinfo=UTC)

    def at(hours: float) -> datetime:
        return opened + timedelta(hours=hours)

    fields = {"priority": "1 - Critical", "service": "service-desk"}
    events = [
        TicketEvent(
            "T1-1",
            "T1",
            opened,
            "created",
            {**fields, "status": "New", "team": "Desk", "assignee": "ana"},
        ),
        TicketEvent("T1-2", "T1", at(1), "updated", {"status": "Awaiting Vendor"}),
        TicketEvent(
            "T1-3",
            "T1",
            at(2),
            "updated",
            {"status": "In Progress", "team": "Network", "assignee": "raj"},
        ),
        TicketEvent("T1-4", "T1", at(6.5), "updated", {"status": "Resolved"}),
    ]
    return Data(tickets=tuple(events))


EXPECTED = (
    Consumed("status", "In Progress", timedelta(hours=4, minutes=30)),
    Consumed("status", "New", timedelta(hours=1)),
    Consumed("team", "Network", timedelta(hours=4, minutes=30)),
    Consumed("team", "Desk", timedelta(hours=1)),
    Consumed("assignee", "raj", timedelta(hours=4, minutes=30)),
    Consumed("assignee", "ana", timedelta(hours=1)),
    Consumed("paused", "third_party", timedelta(hours=1)),
)


@pytest.mark.parametrize("engine", ["columns", "replay"])
def test_a_ticket_breach_says_which_statuses_teams_and_assignees_used_the_time(
    engine: str,
) -> None:
    report = evaluate(
        load_agreement(DESK),
        _desk_ticket(),
        *parse_period("2026-10", "UTC"),
        engine=engine,  # type: ignore[arg-type]
    )
    [resolution] = [o for o in report.objectives if o.objective == "p1-resolution"]
    [breach] = resolution.breaches
    assert breach.business == timedelta(hours=5, minutes=30)
    assert breach.allowed == timedelta(hours=4)
    assert breach.consumed == EXPECTED  # the same whichever engine judged the clocks
    document = report_json(report)
    ReportDocument.model_validate(document)
    [shown] = next(o for o in document["objectives"] if o["objective"] == "p1-resolution")[
        "breaches"
    ]
    assert shown["allowed_seconds"] == 4 * 3600
    assert shown["consumed"][0] == {
        "kind": "status",
        "value": "In Progress",
        "business_seconds": 4.5 * 3600,
    }
    assert shown["consumed"][-1] == {
        "kind": "paused",
        "value": "third_party",
        "business_seconds": 3600,
    }


def test_the_breach_explanation_is_the_same_in_every_format() -> None:
    report = evaluate(load_agreement(DESK), _desk_ticket(), *parse_period("2026-10", "UTC"))
    view = build(report)
    [breach] = [b for b in view.breaches if b.objective == "p1-resolution"]
    assert breach.why == (
        "in status In Progress 4 h 30 min, New 1 h; with team Network 4 h 30 min, Desk 1 h; "
        "assigned to raj 4 h 30 min, ana 1 h; and the clock was paused waiting on a third "
        "party 1 h"
    )
    # the agreement's zone is New York's: the 4 hours ran out at 15:00 UTC (1 h, 1 h paused,
    # then 3 h), 11:00 EDT
    assert breach.text == (
        "ticket T1: 5 h 30 min of business time used of the 4 h allowed; late from "
        "6 Oct 2026, 11:00 EDT; stopped 6 Oct 2026, 12:30 EDT"
    )
    page = parse(report_html(report))
    cell = next(
        r[1] for r in rows(page.by_id("breaches")) if r[0].content == "P1 resolution"
    ).content
    pdf = " ".join(_pdf_pages(report_pdf(report)))
    for shown in (_flat(report_markdown(report)), _flat(cell), _terminal(report), pdf):
        assert breach.text in shown
        assert breach.why in shown
    # the CSV, for a spreadsheet: the engine's account, and the time each used, in seconds
    [row] = [
        r
        for r in csv.DictReader(io.StringIO(report_csv(report)))
        if r["objective"] == "p1-resolution"
    ]
    assert row["breaches_explained"] == (
        "ticket T1: 5h30m used of 4h (deadline passed 2026-10-06T15:00:00+00:00); used: "
        "status In Progress 16200 s, status New 3600 s, team Network 16200 s, team Desk 3600 s, "
        "assignee raj 16200 s, assignee ana 3600 s, paused third_party 3600 s"
    )


def test_the_csv_explains_the_costliest_breaches_and_counts_the_others() -> None:
    """Availability: each outage with its business time; more breaches than the other formats
    explain: those, then how many more."""
    [availability] = list(csv.DictReader(io.StringIO(report_csv(_saas()))))[:1]
    lines = availability["breaches_explained"].split("\n")
    assert lines[0] == (
        "2026-10-06T14:05:00+00:00 - 2026-10-06T14:47:00+00:00: outage INC-101 on api "
        "(provider); 2520 s in the agreement's hours"
    )
    assert len(lines) == int(availability["breaches"]) == 4
    report = _saas()
    [o] = [o for o in report.objectives if o.objective == "availability"]
    many = replace(o, breaches=tuple(o.breaches[i % 4] for i in range(25)))
    shown = breaches_explained(many.breaches).split("\n")
    assert len(shown) == SHOWN_BREACHES + 1
    assert shown[-1] == f"and {25 - SHOWN_BREACHES} more"


def test_every_format_shows_the_figures_words_and_notes_the_page_shows() -> None:
    report = _saas()
    view = build(report)
    page = parse(report_html(report))
    html = _flat(page.all("body")[0].content)
    formats = {
        "markdown": _flat(report_markdown(report).replace("**", "")),
        "terminal": _terminal(report),
        "pdf": " ".join(_pdf_pages(report_pdf(report))),
        "html": html,
    }
    [availability] = [o for o in view.objectives if o.id == "availability"]
    # what the page shows of the budget and the burn rate, every format shows
    assert availability.budget == "44 min 31 s of downtime allowed, 2 h 17 min used"
    assert availability.summary == (
        "99.692% available; the promise was 99.9%: 1 h 32 min more downtime than allowed"
    )
    assert availability.burn is not None
    assert availability.burn.startswith("downtime came 3.1 times as fast as the promise allows")
    wanted = [
        availability.summary,
        availability.budget,
        availability.burn,
        availability.margin,
        "99.692%",
        view.judged_at,
        *(b.text for b in view.breaches),
        *(n.text for n in view.notes),
    ]
    assert view.credits is not None
    wanted.append(view.credits.sentence)
    for name, shown in formats.items():
        missing = [w for w in wanted if _flat(w) not in shown]
        assert not missing, f"{name} lacks {missing}"
    # words for people, not the engine's shorthand, outside the notes
    assert "-0.208 pt" not in html
    assert "end exclusive" not in html
    assert "burn rate 3.08x" not in formats["markdown"].split("## Notes")[0]


def test_times_in_the_zone_asked_for_with_the_zone_named() -> None:
    runner = CliRunner()
    args = ["report", str(SAAS), "--data", str(OCTOBER), "--period", "2026-10"]
    berlin = runner.invoke(app, [*args, "--timezone", "Europe/Berlin", "--format", "markdown"])
    assert berlin.exit_code == 0, berlin.output
    # the outage from 14:05 to 14:47 UTC on 6 October, in Berlin's summer time; the month
    # reckoned in Berlin too (October 2026, with no other zone named)
    assert "# Cloudnote Team -- Service Level Agreement: October 2026\n" in berlin.output
    assert "6 Oct 2026, 16:05 to 16:47 CEST: outage INC-101 of api" in berlin.output
    assert "Times in Europe/Berlin." in berlin.output
    plain = runner.invoke(app, [*args, "--format", "markdown"])
    assert "6 Oct 2026, 07:05 to 07:47 PDT: outage INC-101 of api" in plain.output  # LA's
    wrong = runner.invoke(app, [*args, "--timezone", "Mars/Olympus"])
    assert wrong.exit_code == 2
    assert "time zone 'Mars/Olympus': not an IANA zone name" in wrong.output


@pytest.mark.parametrize(("paper", "size"), [("a4", (595, 842)), ("letter", (612, 792))])
def test_the_pdf_on_a4_and_letter_with_the_agreement_and_page_numbers_in_the_footer(
    tmp_path: Path, paper: str, size: tuple[int, int]
) -> None:
    target = tmp_path / "october.pdf"
    result = CliRunner().invoke(
        app,
        [
            *("report", str(SAAS), "--data", str(OCTOBER), "--period", "2026-10"),
            *("--format", "pdf", "-o", str(target), "--paper", paper),
        ],
    )
    assert result.exit_code == 0, result.output
    reader = PdfReader(target)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size
    pages = [_flat(p.extract_text()) for p in reader.pages]
    for number, text in enumerate(pages, start=1):
        assert "Agreement cloudnote-saas version 2.1 · figures as of 31 Oct 2026, 17:00 PDT" in text
        assert f"Page {number} of {len(pages)}" in text
    first = pages[0]
    assert "99.692%" in first
    assert "1 h 32 min more downtime than allowed" in first
    assert "120.00 USD owed" in " ".join(pages)
    # the pictures are drawn in it (as images drawn for paper), their words with them
    everything = " ".join(pages)
    assert "downtime within the day's share of the budget" in everything  # uptime bars
    assert "even spend (the target's pace)" in everything  # the burn-down
    assert "Monthly availability: uptime day by day." in everything  # its caption


def test_a_pdf_needs_a_file_and_one_period() -> None:
    args = ["report", str(SAAS), "--data", str(OCTOBER), "--period", "2026-10", "--format", "pdf"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--format pdf: name the file to write with -o FILE" in result.output
    bad = CliRunner().invoke(app, [*args[:-2], "--paper", "a5"])
    assert bad.exit_code == 2
    assert "--paper: 'a5'; expected a4 or letter" in bad.output


def test_an_instant_is_told_in_its_zone_with_the_zone_named() -> None:
    moment = datetime(2026, 10, 6, 14, 5, tzinfo=UTC)
    assert when(moment, zone_of("Europe/Berlin")) == "6 Oct 2026, 16:05 CEST"
    assert when(moment + timedelta(days=30), zone_of("Europe/Berlin")) == "5 Nov 2026, 15:05 CET"
    assert when(moment, zone_of("UTC")) == "6 Oct 2026, 14:05 UTC"
    assert when(moment, zone_of("Asia/Dubai")) == "6 Oct 2026, 18:05 UTC+04:00"


def test_a_month_of_many_breaches_lists_the_costliest_and_counts_the_others() -> None:
    from accord.core.availability import Outage
    from accord.render.report_view import SHOWN_BREACHES

    october = parse_period("2026-10", "UTC")
    # outages of 1 to 15 minutes, one a day: the longest ten are listed, in time order
    outages = tuple(
        Outage(
            "api",
            datetime(2026, 10, day, 12, tzinfo=UTC),
            datetime(2026, 10, day, 12, tzinfo=UTC) + timedelta(minutes=(day * 7) % 15 + 1),
            id=f"OUT-{day}",
        )
        for day in range(1, 16)
    )
    report = evaluate(load_agreement(SAAS), Data(outages=outages, observed=october), *october)
    view = build(report, "UTC")
    [availability] = [o for o in view.objectives if o.id == "availability"]
    assert len(report.objectives[0].breaches) == 15
    longest = sorted(outages, key=lambda o: o.end - o.start, reverse=True)[:SHOWN_BREACHES]  # type: ignore[operator]
    assert [b.item for b in availability.breaches] == [
        o.id for o in sorted(longest, key=lambda o: o.start)
    ]
    assert availability.more_breaches == 5
    said = "and 5 more breaches of Monthly availability, smaller than those above"
    assert said in report_markdown(report, "UTC")
    assert said in _terminal(report, "UTC")
    assert said[1:] in report_html(report, zone="UTC")  # "And 5 more ...", a row of its own
    # programs get every one
    assert len(report_json(report)["objectives"][0]["breaches"]) == 15


def test_a_report_explains_the_costliest_ticket_breaches_or_every_one_when_asked() -> None:
    opened = datetime(2026, 10, 6, 10, tzinfo=UTC)
    fields = {"priority": "1 - Critical", "service": "service-desk", "status": "New"}
    events = []
    for number in range(12):  # resolved after 5 h, 5 h 10 min, ...: each past the 4 hours
        name = f"T{number:02d}"
        events += [
            TicketEvent(f"{name}-1", name, opened, "created", {**fields, "team": "Desk"}),
            TicketEvent(
                f"{name}-2",
                name,
                opened + timedelta(hours=5, minutes=10 * number),
                "updated",
                {"status": "Resolved"},
            ),
        ]
    october = parse_period("2026-10", "UTC")
    agreement = load_agreement(DESK)

    def resolution(report: Report) -> list[bool]:
        [found] = [o for o in report.objectives if o.objective == "p1-resolution"]
        return [b.explained for b in found.breaches]

    default = evaluate(agreement, Data(tickets=tuple(events)), *october)
    # the ten that used most time are explained, the two that used least are not
    assert resolution(default) == [False, False] + [True] * 10
    [shown] = [o for o in build(default).objectives if o.id == "p1-resolution"]
    assert [b.item for b in shown.breaches] == [f"T{n:02d}" for n in range(2, 12)]
    assert all(b.why.startswith("in status New") for b in shown.breaches)
    every = evaluate(agreement, Data(tickets=tuple(events)), *october, explain=None)
    assert resolution(every) == [True] * 12
    assert evaluate(agreement, Data(tickets=tuple(events)), *october, explain=0).objectives == (
        tuple(
            replace(o, breaches=tuple(replace(b, consumed=(), explained=False) for b in o.breaches))
            for o in default.objectives
        )
    )


def test_the_report_command_explains_every_breach_when_asked(tmp_path: Path) -> None:
    import json

    lines = []
    for number in range(12):
        name = f"T{number:02d}"
        fields = {"priority": "1 - Critical", "service": "service-desk", "status": "New"}
        lines.append(
            {"id": f"{name}-1", "ticket": name, "at": "2026-10-06T10:00:00+00:00"}
            | {"kind": "created", "fields": {**fields, "team": "Desk"}}
        )
        resolved = datetime(2026, 10, 6, 15, tzinfo=UTC) + timedelta(minutes=10 * number)
        lines.append(
            {"id": f"{name}-2", "ticket": name, "at": resolved.isoformat()}
            | {"kind": "updated", "fields": {"status": "Resolved"}}
        )
    (tmp_path / "tickets.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    args = ["report", str(DESK), "--data", str(tmp_path), "--period", "2026-10", "--format"]

    def explained(*more: str) -> list[bool]:
        result = CliRunner().invoke(app, [*args, "json", *more])
        assert result.exit_code == 0, result.output
        document = json.loads(result.output)
        ReportDocument.model_validate(document)
        [found] = [o for o in document["objectives"] if o["objective"] == "p1-resolution"]
        return [b["explained"] for b in found["breaches"]]

    assert explained() == [False, False] + [True] * 10
    assert explained("--explain", "all") == [True] * 12
    assert explained("--explain", "0") == [False] * 12
