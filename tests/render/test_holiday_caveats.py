"""A report of a period whose public holidays are unknown for a calendar marks the lines it
concerns, in every format, and says which calendar, country and years, and the fix."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from accord import load_agreement
from accord.core.agreement.model import Agreement
from accord.core.calendar import years
from accord.core.report import Data, Report, evaluate
from accord.render.report import (
    report_csv,
    report_html,
    report_json,
    report_markdown,
    report_terminal,
)
from accord.render.report_document import ReportDocument

DESK = Path(__file__).resolve().parents[2] / "examples" / "agreements" / "it-service-desk.yaml"
NEW_YORK = """\
    timezone: America/New_York
    hours:
      mon-fri: "08:00-18:00"
    holidays:
      country: US
      subdivision: NY
"""
COLOMBO = """\
    timezone: Asia/Colombo
    hours:
      mon-fri: "08:00-18:00"
    holidays:
      country: LK
"""
# the example's objectives measured in office hours (P1 is worked around the clock)
OFFICE = [
    "p2-first-response",
    "p2-resolution",
    "p3-first-response",
    "p3-resolution",
    "p4-first-response",
    "p4-resolution",
    "first-contact-resolution",
]


def colombo_desk(tmp_path: Path, replace: tuple[str, str] | None = None) -> Agreement:
    """The example desk agreement, its office moved to Colombo (the holidays library knows
    Sri Lanka's public holidays through 2026 only)."""
    text = DESK.read_text()
    assert NEW_YORK in text
    text = text.replace(NEW_YORK, COLOMBO)
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "desk.yaml"
    path.write_text(text)
    return load_agreement(path)


def january(agreement: Agreement, year: int = 2027) -> Report:
    return evaluate(
        agreement, Data(), datetime(year, 1, 1, tzinfo=UTC), datetime(year, 2, 1, tzinfo=UTC)
    )


def test_the_caveat_names_calendar_country_years_fix_and_the_objectives(tmp_path: Path) -> None:
    report = january(colombo_desk(tmp_path))
    (caveat,) = report.caveats
    assert caveat.calendar == "new-york-office"
    assert caveat.gap.where == "LK"
    assert caveat.gap.missing == (2027,)
    assert list(caveat.objectives) == OFFICE
    assert "calendar 'new-york-office'" in caveat.text
    assert "LK only from 2003 through 2026" in caveat.text
    assert "list the public holidays of 2027 under the calendar's holidays.dates" in caveat.text
    assert "holidays.listed_years" in caveat.text


def test_markdown_marks_the_lines_it_concerns_and_points_to_the_note(tmp_path: Path) -> None:
    report = january(colombo_desk(tmp_path))
    text = report_markdown(report)
    notes = text.split("## Notes", 1)[1]
    number = re.search(r"^(\d+)\. ⚠ Public holidays unknown", notes, re.MULTILINE)
    assert number is not None, notes
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| ")}
    names = {o.objective: o.name for o in report.objectives}
    for objective, name in names.items():
        marked = f"{name} ⚠ (see note {number.group(1)})"
        if objective in OFFICE:
            assert marked in rows, rows.keys()
        else:
            assert name in rows  # P1, worked around the clock: no public holiday to miss
            assert "⚠" not in rows[name]


def test_html_marks_each_line_with_a_link_to_the_note(tmp_path: Path) -> None:
    report = january(colombo_desk(tmp_path))
    page = report_html(report)
    note = re.search(r'<li id="note-(\d+)" class="caveat">⚠ Public holidays unknown', page)
    assert note is not None
    marked = re.findall(r'<tr data-objective="([^"]+)" class="caveat" data-caveats="(\d+)">', page)
    assert [objective for objective, _ in marked] == OFFICE
    assert {n for _, n in marked} == {note.group(1)}
    assert page.count(f'<sup class="caveat"><a href="#note-{note.group(1)}"') == len(OFFICE)


def test_the_terminal_table_marks_the_lines(tmp_path: Path) -> None:
    report = january(colombo_desk(tmp_path))
    console = Console(file=io.StringIO(), width=240, color_system=None)
    console.print(report_terminal(report))
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert shown.count("⚠ see note 11") == len(OFFICE)
    assert "11. ⚠ Public holidays unknown" in shown


def test_json_and_csv_carry_the_caveats(tmp_path: Path) -> None:
    report = january(colombo_desk(tmp_path))
    document = json.loads(json.dumps(report_json(report)))
    ReportDocument.model_validate(document)
    (caveat,) = document["caveats"]
    assert caveat["calendar"] == "new-york-office"
    assert caveat["country"] == "LK"
    assert caveat["missing_years"] == [2027]
    assert caveat["known_through"] == 2026
    assert caveat["objectives"] == OFFICE
    assert "Fix:" in caveat["text"]
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    for row in rows:
        if row["objective"] in OFFICE:
            assert row["caveats"] == "⚠ " + caveat["text"]
        else:
            assert row["caveats"] == ""


def test_a_period_inside_the_known_years_has_no_caveat(tmp_path: Path) -> None:
    within = january(colombo_desk(tmp_path), 2026)
    assert within.caveats == ()
    assert "⚠" not in report_markdown(within)
    assert report_json(within)["caveats"] == []
    assert not any(row["caveats"] for row in csv.DictReader(io.StringIO(report_csv(within))))


def test_a_period_ending_at_new_year_in_utc_but_not_at_home_has_no_caveat_for_it(
    tmp_path: Path,
) -> None:
    """The service gives a period as UTC instants: December 2026 in New York ends at 05:00
    UTC on 1 January 2027, yet holds no day of 2027, so no caveat for 2027 (its calendar
    takes Sri Lanka's public holidays, known through 2026)."""
    agreement = colombo_desk(tmp_path, ("timezone: Asia/Colombo", "timezone: America/New_York"))
    zone = ZoneInfo("America/New_York")
    start = datetime(2026, 12, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(2027, 1, 1, tzinfo=zone).astimezone(UTC)
    assert end == datetime(2027, 1, 1, 5, tzinfo=UTC)
    assert evaluate(agreement, Data(), start, end).caveats == ()
    # the next month, which holds days of 2027 there, does draw it
    (caveat,) = evaluate(
        agreement, Data(), end, datetime(2027, 2, 1, tzinfo=zone).astimezone(UTC)
    ).caveats
    assert caveat.gap.missing == (2027,)


def test_a_year_listed_in_full_has_no_caveat(tmp_path: Path) -> None:
    listed = (
        "      dates:\n",
        "      listed_years: [2027]\n"
        "      dates:\n"
        "        2027-01-13: Duruthu Poya\n"
        "        2027-01-14: Tamil Thai Pongal\n",
    )
    assert january(colombo_desk(tmp_path, listed)).caveats == ()


def test_a_composed_calendar_is_reported_by_the_part_lacking_years(tmp_path: Path) -> None:
    """An objective measured in a calendar made of others is marked, and the caveat names
    the part to fix: a named calendar, or one written in place."""
    composed = (
        "objectives:\n",
        "  support:\n"
        "    union:\n"
        "      - new-york-office\n"
        "      - {timezone: Asia/Kolkata, hours: {sat: '09:00-13:00'}, "
        "holidays: {country: IN}}\n"
        "  colombo-nights:\n"
        "    except: {timezone: Asia/Colombo, hours: {mon-fri: '08:00-18:00'}, "
        "holidays: {country: LK}}\n"
        "objectives:\n",
    )
    agreement = colombo_desk(tmp_path, composed)
    objectives = [
        o.model_copy(update={"calendar": "support"})
        if o.id == "p2-first-response"
        else o.model_copy(update={"calendar": "colombo-nights"})
        if o.id == "p1-first-response"
        else o
        for o in agreement.objectives
    ]
    report = january(agreement.model_copy(update={"objectives": tuple(objectives)}))
    by_place = {(c.calendar, c.part): c for c in report.caveats}
    office = by_place[("new-york-office", "")]
    assert office.used == ("support", "new-york-office")
    assert "p2-first-response" in office.objectives
    assert "(part of 'support')" in office.text
    nights = by_place[("colombo-nights", "except")]
    assert nights.objectives == ("p1-first-response",)
    assert "calendar 'colombo-nights' at except (written in place)" in nights.text
    assert "colombo-nights.except's holidays.dates" in nights.text
    known_india = ("support", "union[1]") not in by_place
    assert known_india  # India's holidays are known for 2027: its part is not named


def test_a_calendar_chosen_by_a_ticket_field_marks_its_objective(tmp_path: Path) -> None:
    """``calendar_from`` may pick any of the agreement's calendars: a line measured in the
    built-in 24x7 by default is marked when one of them lacks the period's holidays."""
    agreement = colombo_desk(tmp_path)
    objectives = tuple(
        o.model_copy(update={"clock": o.clock.model_copy(update={"calendar_from": "site"})})
        if o.id == "p1-first-response" and o.clock is not None
        else o
        for o in agreement.objectives
    )
    (caveat,) = evaluate(
        agreement.model_copy(update={"objectives": objectives}),
        Data(),
        datetime(2027, 1, 1, tzinfo=UTC),
        datetime(2027, 2, 1, tzinfo=UTC),
        strict=False,
    ).caveats
    assert "p1-first-response" in caveat.objectives
    assert "p1-resolution" not in caveat.objectives


def test_the_notes_tell_instants_as_the_page_does(tmp_path: Path) -> None:
    report = january(colombo_desk(tmp_path))
    notes = report_markdown(report).split("## Notes", 1)[1]
    assert "T00:00:00" not in notes
    assert "no data from 1 Jan 2027, 05:30" in notes
    assert "judged from 1 Jan 2027, 05:30" in notes
    # the documents for programs keep the engine's exact account
    assert "2027-01-01T00:00:00+00:00" in report_json(report)["objectives"][0]["detail"]


def test_a_kept_report_keeps_its_caveats(tmp_path: Path) -> None:
    """The service keeps closed periods' reports as JSON (accord.store.codec): read back, the
    caveats mark the same lines."""
    from accord.store import codec

    report = january(colombo_desk(tmp_path))
    back = codec.loads(codec.dumps(report), Report)
    assert back.caveats == report.caveats
    assert report_markdown(back) == report_markdown(report)


def test_the_pdf_marks_the_lines_as_its_page_does(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from accord.render.report import report_pdf

    report = january(colombo_desk(tmp_path))
    pages = PdfReader(io.BytesIO(report_pdf(report))).pages
    text = "".join(page.extract_text() for page in pages)
    assert text.count("⚠") == len(OFFICE) + 1  # each line's mark, and the note's
    assert "⚠ Public holidays unknown" in text


def test_the_calendars_are_read_once_per_agreement_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each report of one agreement version (a trend's months, the service's reports) finds
    the same caveats without parsing its calendars again; another version is read anew."""
    agreement = colombo_desk(tmp_path)
    parsed: list[object] = []
    real = years.parse_calendar

    def counting(spec: Any) -> Any:
        parsed.append(spec)
        return real(spec)

    monkeypatch.setattr(years, "parse_calendar", counting)
    first, second = january(agreement), january(agreement, 2028)
    assert first.caveats[0].gap.missing == (2027,)
    assert second.caveats[0].gap.missing == (2028,)
    assert len(parsed) == len(agreement.calendars)
    assert january(agreement.model_copy()).caveats == first.caveats
    assert len(parsed) == 2 * len(agreement.calendars)
