"""The trend, roll-up and comparison pages show what each month's or agreement's own report
shows: they are built from the same view (:mod:`accord.render.report_view`), in the reader's
locale and zone, with the pictures of each."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from accord import load_agreement
from accord.cli import app, parse_period
from accord.core.report import Report, evaluate
from accord.io.data import read_data
from accord.render.report import trend_html, trend_markdown
from accord.render.report_pictures import trend_pictures
from accord.render.report_view import build, build_trend
from tests.render.test_html import Element, parse, rows

ROOT = Path(__file__).resolve().parents[2]
SAAS = ROOT / "examples" / "agreements" / "saas.yaml"
OCTOBER = ROOT / "examples" / "data" / "cloudnote-2026-10"
CORPORATE = ROOT / "examples" / "agreements" / "multi-level" / "corporate.yaml"
HELIX = ROOT / "examples" / "data" / "helix-2026-10"
TWO_VENDORS = ROOT / "examples" / "agreements" / "two-vendors.yaml"
FIELD = ROOT / "examples" / "data" / "field-support-2026-10"


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _months() -> list[Report]:
    agreement, data = load_agreement(SAAS), read_data(OCTOBER)
    september, october = parse_period("2026-09", "UTC"), parse_period("2026-10", "UTC")
    return [evaluate(agreement, data, *september), evaluate(agreement, data, *october)]


def test_each_trend_cell_is_what_the_months_own_report_shows() -> None:
    reports = _months()
    trend = build_trend(reports, locale="de")
    own = [build(r, locale="de") for r in reports]
    for row in trend.rows:
        for cell, month in zip(row.cells, own, strict=True):
            [same] = [o for o in month.objectives if o.id == row.id]
            assert cell == same
    page = parse(trend_html(reports, trend_pictures(reports), locale="de"))
    [availability] = [r for r in rows(page.by_id("trend")) if r[0].content.startswith("Monthly")]
    assert availability[1].content == "99,9 %"  # the target, as German writes it
    october = availability[3]
    assert october.content == "99,692 %"
    assert october.attrs["class"] == "number missed"
    assert october.attrs["title"].startswith("99,692\xa0% available; the promise was 99,9\xa0%")
    assert october.attrs["data-exact"].startswith("99.692273")  # for programs: unchanged
    total = page.by_id("credit-total")
    assert total.content.replace(" .", ".") == "Credits owed over the period: 120,00 USD."
    assert total.attrs["data-amount"] == "120.00"
    english = trend_markdown(reports)
    assert "Credits owed over the period: 120.00 USD." in english
    german = trend_markdown(reports, locale="de")
    assert "Credits owed over the period: 120,00 USD." in german
    assert "| credits owed (USD) | | - | 120,00 |" in german  # September: no data, nothing settled


def test_the_trend_header_separates_the_version_from_the_period() -> None:
    """'version 3.0 · 1 Dec 2026 ...', not 'version 3.0· 1 Dec 2026' (the line break after the
    tier's block was trimmed with the space it stood for)."""
    agreement, data = load_agreement(SAAS), read_data(OCTOBER)
    months = [parse_period(month, "UTC") for month in ("2026-09", "2026-10")]
    for tier in (None, "team"):
        page = trend_html([evaluate(agreement, data, *month, tier) for month in months])
        found = re.search(r'<p class="meta">Agreement (.*?)</p>', page, re.S)
        assert found is not None
        assert "version" in found.group(1)
        assert re.search(r"\S&middot;", found.group(1)) is None, found.group(1)


def _figures(page: Element, kind: str) -> list[Element]:
    return [f for f in page.all("figure") if f.attrs.get("data-kind") == kind]


def test_the_trend_page_carries_the_attainment_trend_picture() -> None:
    page = parse(_cli(str(SAAS), "--data", str(OCTOBER), "--period", "2026-Q4", "--trend",
                      "--format", "html"))  # fmt: skip
    [picture] = _figures(page, "trend")
    assert picture.attrs["id"] == "picture-trend-availability-0"
    caption = picture.all("figcaption")[0].content
    assert caption.startswith("Monthly availability: month by month.")
    # the months drawn are the table's months
    months = [th.content for th in page.by_id("trend").all("th")][2:]
    assert months == ["2026-10", "2026-11", "2026-12"]
    drawn = [g for g in picture.walk() if "data-month" in g.attrs]
    labels = [t.content for t in picture.all("text")]
    assert "99.9%" in labels  # the target line's label
    assert [g.attrs["data-month"] for g in drawn] == months
    # October missed and owes the credit the table shows
    assert drawn[0].attrs.get("data-met") == "false"
    assert drawn[0].attrs.get("data-credit") == "120.00 USD"
    # in German, the picture writes its percentages as the table does
    german = parse(_cli(str(SAAS), "--data", str(OCTOBER), "--period", "2026-Q4", "--trend",
                        "--format", "html", "--locale", "de"))  # fmt: skip
    [picture] = _figures(german, "trend")
    labels = [t.content for t in picture.all("text")]
    assert "99,9 %" in labels
    assert "99.9%" not in labels
    assert "against its target of 99,9\xa0%" in picture.all("figcaption")[0].all("#text")[-1].text


def test_the_roll_up_shows_each_agreements_report_and_its_pictures() -> None:
    args = (str(CORPORATE), "--data", str(HELIX), "--period", "2026-10", "--roll-up")
    page = parse(_cli(*args, "--format", "html", "--locale", "de"))
    agreements = {"helix-corporate": "corporate.yaml", "helix-acme": "customer-acme.yaml"}
    sections = {
        s.attrs["id"]: s for s in page.all("section") if s.attrs.get("class") == "agreement"
    }
    assert list(sections) == ["helix-corporate", "helix-acme", "helix-acme-email"]
    for key, file in agreements.items():
        agreement = load_agreement(CORPORATE.parent / file)
        own = build(
            evaluate(agreement, read_data(HELIX), *parse_period("2026-10", "UTC")),
            locale="de",
        )
        table = rows(sections[key].all("table")[0])
        assert [[c.content for c in r[:4]] for r in table] == [
            [o.name, o.target.replace("\xa0", " "), o.actual.replace("\xa0", " "), o.verdict]
            for o in own.objectives
        ]
        # its own pictures, inside its section: the uptime bars and the budget's burn-down
        figures = sections[key].all("figure")
        assert [f.attrs["data-kind"] for f in figures] == ["uptime", "burn-down"]
        # the uptime bars' figure in German, as the table beside them
        texts = [t.content for t in figures[0].all("text")]
        assert any(t.endswith("% up over the days shown") and "," in t for t in texts), texts
        assert all(f.attrs["id"].startswith(f"picture-uptime-{key}-") or
                   f.attrs["id"].startswith(f"picture-burn-{key}-") for f in figures)  # fmt: skip
    # the summary's credits in German, and no id twice on the page
    owed = [r[4].content for r in rows(page.by_id("rollup"))]
    assert owed == ["100,00 EUR"] * 3
    ids = Counter(e.attrs["id"] for e in page.walk() if "id" in e.attrs)
    assert [i for i, n in ids.items() if n > 1] == []
    # the roll-up's Markdown is built from the same views
    markdown = _cli(*args, "--format", "markdown", "--locale", "de")
    assert "| helix-acme | 2.0 | 0 | Monthly availability | 100,00 EUR |" in markdown


def test_the_compare_page_tells_its_times_in_the_zone_asked_for() -> None:
    args = (str(TWO_VENDORS), "--data", str(FIELD), "--period", "2026-10", "--compare")
    tokyo = parse(_cli(*args, "--format", "html", "--timezone", "Asia/Tokyo"))
    judged = tokyo.by_id("judged-at")
    assert judged.content.replace(" .", ".") == (
        "Judged at 1 Nov 2026, 00:00 JST. Times in Asia/Tokyo."
    )
    plain = parse(_cli(*args, "--format", "html"))
    # without a zone: the agreement's own (London), the month reckoned in UTC
    assert plain.by_id("judged-at").content.replace(" .", ".") == (
        "Judged at 1 Nov 2026, 00:00 GMT. Times in Europe/London."
    )


def test_the_providers_compared_in_german() -> None:
    args = (str(TWO_VENDORS), "--data", str(FIELD), "--period", "2026-10", "--compare")
    english = _cli(*args, "--format", "markdown")
    german = _cli(*args, "--format", "markdown", "--locale", "de")
    assert "| 2026-10 | **75%** | 100% | **50%** |" in english
    assert "| 2026-10 | **75\xa0%** | 100\xa0% | **50\xa0%** |" in german
    assert "| 2026-10 | 0.00 GBP | 4,500.00 GBP |" in english
    assert "| 2026-10 | 0,00 GBP | 4.500,00 GBP |" in german
    # the months compared, and the instant judged at, as the reader writes them
    assert german.startswith(
        "# Store Field Support -- Dual Vendor Agreement: providers compared, Oktober 2026\n"
    )
    assert "providers compared, October 2026\n" in english
    page = parse(_cli(*args, "--format", "html", "--locale", "de"))
    assert "Judged at 1. Nov. 2026, 00:00 GMT" in page.by_id("judged-at").content
    totals = page.by_id("credit-totals").all("td")[1:]
    assert [(c.content, c.attrs["data-amount"]) for c in totals] == [
        ("0,00", "0.00"),
        ("4.500,00", "4500.00"),
    ]
    # JSON is the machine's form whatever the locale
    assert _cli(*args, "--format", "json", "--locale", "de") == _cli(*args, "--format", "json")
