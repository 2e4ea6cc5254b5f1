"""The pages showing several reports (a trend's months, a roll-up's agreements, providers
compared month by month) mark the lines a caveat concerns as a report's own page does, in
every format: the same note text, numbered on the page, each distinct note once."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from accord import load_agreement
from accord.core.report import Data, Report, evaluate
from accord.render.compare import (
    ComparisonDocument,
    comparison,
    comparison_csv,
    comparison_html,
    comparison_json,
    comparison_markdown,
)
from accord.render.report import (
    report_csv,
    rollup_html,
    rollup_markdown,
    trend_html,
    trend_markdown,
)
from accord.render.served import Rollup, Trend, TrendDocument, rollup_json, trend_json
from tests.render.test_holiday_caveats import OFFICE, colombo_desk, january

ROOT = Path(__file__).resolve().parents[2]
NOTE = re.compile(r'<li id="note-(\d+)" class="caveat">⚠ (Public holidays unknown[^<]*)</li>')


def _trend(tmp_path: Path) -> tuple[list[Report], str]:
    """December 2026 (holidays known) and January 2027 (Sri Lanka's unknown) of the desk."""
    agreement = colombo_desk(tmp_path)
    # the months of the desk's own zone: December in UTC holds the first hours of 2027 there
    colombo = ZoneInfo("Asia/Colombo")
    december = evaluate(
        agreement,
        Data(),
        datetime(2026, 12, 1, tzinfo=colombo),
        datetime(2027, 1, 1, tzinfo=colombo),
    )
    reports = [december, january(agreement)]
    (caveat,) = reports[1].caveats
    assert reports[0].caveats == ()
    return reports, caveat.text


def test_the_trend_in_markdown_marks_the_month_s_cells_and_says_the_note(
    tmp_path: Path,
) -> None:
    reports, text = _trend(tmp_path)
    page = trend_markdown(reports)
    table, notes = page.split("## Notes", 1)
    assert notes.strip() == f"1. ⚠ {text}"  # numbered on the page, the report's own text
    names = {o.objective: o.name for o in reports[1].objectives}
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if "|" in line}
    for objective, name in names.items():
        december, january_cell = (c.strip() for c in rows[name].split("|")[3:5])
        assert "⚠" not in december
        if objective in OFFICE:
            assert january_cell.endswith("⚠ (see note 1)"), rows[name]
        else:
            assert "⚠" not in january_cell


def test_the_trend_page_links_each_marked_cell_to_the_page_s_note(tmp_path: Path) -> None:
    reports, text = _trend(tmp_path)
    page = trend_html(reports)
    ((number, said),) = NOTE.findall(page)
    assert number == "1"
    assert said == text.replace("'", "&#39;")
    rows = {
        chunk.split('"', 1)[0]: chunk.split("</tr>", 1)[0]
        for chunk in page.split('<tr data-objective="')[1:]
    }
    cells = {
        objective: re.findall(r'<td class="number[^"]*" data-month="([^"]+)"[^>]*>', row)
        for objective, row in rows.items()
    }
    assert all(months == ["2026-12", "2027-01"] for months in cells.values())
    marked = [
        o for o, row in rows.items() if re.search(r'data-month="2027-01"[^>]*data-caveats="1"', row)
    ]
    assert marked == OFFICE
    assert not any(re.search(r'data-month="2026-12"[^>]*data-caveats', r) for r in rows.values())
    assert page.count('<sup class="caveat"><a href="#note-1"') == len(OFFICE)


def test_the_trend_s_json_and_csv_carry_each_month_s_caveats(tmp_path: Path) -> None:
    reports, text = _trend(tmp_path)
    document = json.loads(
        json.dumps(trend_json(Trend("it-service-desk", "2026-12", "2027-01", reports)))
    )
    TrendDocument.model_validate(document)
    assert document["months"][0]["caveats"] == []
    (caveat,) = document["months"][1]["caveats"]
    assert caveat["text"] == text
    assert caveat["objectives"] == OFFICE
    rows = list(csv.DictReader(io.StringIO(report_csv(*reports))))
    marked = [(r["period_start"][:7], r["objective"]) for r in rows if r["caveats"]]
    assert marked == [("2027-01", objective) for objective in OFFICE]
    assert {r["caveats"] for r in rows if r["caveats"]} == {f"⚠ {text}"}


def test_the_roll_up_marks_the_agreement_and_its_lines(tmp_path: Path) -> None:
    reports, text = _trend(tmp_path)
    month = [reports[1]]
    page = rollup_markdown(month)
    table, notes = page.split("## Notes", 1)
    assert notes.strip() == f"1. ⚠ {text}"
    assert "| it-service-desk ⚠ (see note 1) | 3.0 |" in table
    html = rollup_html(month)
    assert NOTE.findall(html) == [("1", text.replace("'", "&#39;"))]
    assert '<tr data-agreement="it-service-desk" class="caveat" data-caveats="1">' in html
    marked = re.findall(r'<tr data-objective="([^"]+)" class="caveat" data-caveats="1">', html)
    assert marked == OFFICE
    # the summary's line and each objective's: one link each, all to the page's note 1
    assert html.count('<sup class="caveat"><a href="#note-1"') == 1 + len(OFFICE)
    document = rollup_json(Rollup("it-service-desk", "2027-01", month))
    assert document["agreements"][0]["caveats"][0]["text"] == text
    # a month whose holidays are known: no mark, no note
    assert "⚠" not in rollup_markdown([reports[0]])
    assert "⚠" not in rollup_html([reports[0]])


def _vendors() -> tuple[list[Report], dict[str, str]]:
    text = (ROOT / "examples" / "agreements" / "two-vendors.yaml").read_text()
    gb = "    holidays:\n      country: GB\n      subdivision: ENG\n"
    assert gb in text
    agreement = load_agreement(text.replace(gb, "    holidays:\n      country: LK\n"))
    months = [
        (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        (datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)),
    ]
    reports = [evaluate(agreement, Data(), a, b) for a, b in months]
    assert agreement.parties is not None
    return reports, {p.id: p.name for p in agreement.parties.all_providers}


def test_providers_compared_mark_the_cells_in_every_format() -> None:
    reports, providers = _vendors()
    (caveat,) = reports[1].caveats
    found = comparison(reports, providers)
    page = comparison_markdown(found)
    tables, notes = page.split("## Notes", 1)
    assert notes.strip() == f"1. ⚠ {caveat.text}"
    january_rows = [line for line in tables.splitlines() if line.startswith("| 2027-01 |")]
    december_rows = [line for line in tables.splitlines() if line.startswith("| 2026-12 |")]
    assert len(january_rows) == 3  # each objective compared
    for row in january_rows:  # all providers, then each: every cell marked
        assert row.count("⚠ (see note 1)") == 3, row
    assert not any("⚠" in row for row in december_rows)

    html = comparison_html(found)
    assert NOTE.findall(html) == [("1", caveat.text.replace("'", "&#39;"))]
    assert html.count('data-caveats="1"') == 9  # 3 objectives x (all + 2 providers)
    assert html.count('<sup class="caveat"><a href="#note-1"') == 9

    document = json.loads(json.dumps(comparison_json(found)))
    ComparisonDocument.model_validate(document)
    assert document["caveats"] == [{"note": 1, "text": caveat.text}]
    for objective in document["objectives"]:
        december, january_month = objective["months"]
        assert december["all"]["caveats"] == []
        assert january_month["all"]["caveats"] == [1]
        assert {p: c["caveats"] for p, c in january_month["providers"].items()} == {
            "fixfast": [1],
            "techforce": [1],
        }

    rows = list(csv.DictReader(io.StringIO(comparison_csv(found))))
    assert {r["caveats"] for r in rows if r["month"] == "2027-01"} == {f"⚠ {caveat.text}"}
    assert {r["caveats"] for r in rows if r["month"] == "2026-12"} == {""}


def test_one_note_per_distinct_caveat_numbered_in_the_order_met(tmp_path: Path) -> None:
    """Two months lacking different years say two notes, each month's cells pointing to its
    own; the same caveat in two months is one note."""
    agreement = colombo_desk(tmp_path)
    months = [january(agreement, 2027), january(agreement, 2028), january(agreement, 2028)]
    page = trend_markdown(months)
    notes = page.split("## Notes", 1)[1].strip().splitlines()
    assert [n.split(".", 1)[0] for n in notes] == ["1", "2"]
    assert "those of 2027" in notes[0]
    assert "those of 2028" in notes[1]
    row = next(line for line in page.splitlines() if line.startswith("| P2 first response"))
    cells = [c.strip() for c in row.split("|")[3:6]]
    assert [c.split("⚠ ")[1] for c in cells] == ["(see note 1)", "(see note 2)", "(see note 2)"]
