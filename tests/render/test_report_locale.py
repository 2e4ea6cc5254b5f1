"""Numbers in the reader's convention: a report for people in German writes 99,692 % where
the English one writes 99.692%, and money as 1.200,00 USD; the words stay English, and the
JSON and CSV documents stay in the machine's form whatever the locale."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.dates import get_month_names
from babel.numbers import parse_decimal
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from rich.console import Console
from typer.testing import CliRunner

from accord import load_agreement
from accord.cli import app, parse_period
from accord.core.report import Report, evaluate
from accord.io.data import read_data
from accord.render.report import report_markdown, report_pdf, report_terminal
from accord.render.report_view import build
from accord.render.words import (
    LocaleError,
    locale_of,
    preferred_locale,
    zone_abbreviation,
    zone_of,
)
from tests.render.test_html import parse, rows

ROOT = Path(__file__).resolve().parents[2]
SAAS = ROOT / "examples" / "agreements" / "saas.yaml"
OCTOBER = ROOT / "examples" / "data" / "cloudnote-2026-10"
ARGS = ["report", str(SAAS), "--data", str(OCTOBER), "--period", "2026-10"]


def _october() -> Report:
    return evaluate(load_agreement(SAAS), read_data(OCTOBER), *parse_period("2026-10", "UTC"))


def _cli(*extra: str) -> str:
    result = CliRunner().invoke(app, [*ARGS, *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_view_writes_the_figures_as_the_locale_does() -> None:
    report = _october()
    english, german = build(report), build(report, locale="de")
    assert (english.locale, german.locale) == ("en", "de")
    availability = next(o for o in german.objectives if o.id == "availability")
    assert english.objectives[0].actual == "99.692%"
    assert availability.actual == "99,692\xa0%"
    assert availability.target == "99,9\xa0%"
    assert availability.margin == "0,21 points short"
    assert availability.summary.startswith("99,692\xa0% available; the promise was 99,9\xa0%")
    # the exact figure for programs is the machine's in every locale
    assert availability.actual_exact == english.objectives[0].actual_exact
    assert availability.actual_exact.startswith("99.692273")
    assert german.credits is not None
    assert english.credits is not None
    assert german.credits.amount == english.credits.amount == "120.00"
    assert german.credits.sentence == "120,00 USD owed: 10\xa0% of the 1.200,00 USD fee."
    assert english.credits.sentence == "120.00 USD owed: 10% of the 1,200.00 USD fee."
    [line] = german.credits.lines
    assert line.band == "at least 99,0\xa0% and below 99,9\xa0%"  # the band's edges as written
    # the words stay English; the days are the reader's (see the test on dates below)
    assert english.period == "October 2026 (UTC)"
    assert german.period == "Oktober 2026 (UTC)"


def test_a_german_report_shows_99_69_where_the_english_shows_99_69_in_every_human_format() -> None:
    english, german = _cli("--format", "markdown"), _cli("--format", "markdown", "--locale", "de")
    assert "| 99.9% | 99.692% | **missed** | 0.21 points short |" in english
    assert "| 99,9\xa0% | 99,692\xa0% | **missed** | 0,21 points short |" in german
    assert "**120.00 USD** owed: 10% of the 1,200.00 USD fee." in english
    assert "**120,00 USD** owed: 10\xa0% of the 1.200,00 USD fee." in german
    assert "Numbers as written in de." in german
    assert "Numbers as written in" not in english
    assert "99.692" not in german.split("## Notes")[0]

    page = parse(_cli("--format", "html", "--locale", "de"))
    # (an element's content has its whitespace, the locale's no-break space too, collapsed)
    [objective] = [r for r in rows(page.by_id("objectives")) if r[0].content.startswith("Monthly")]
    assert objective[2].content == "99,692 %"
    assert objective[2].attrs["data-exact"].startswith("99.692273")  # for programs: unchanged
    total = page.by_id("credit-total")
    assert total.content.startswith("120,00 USD owed")
    assert (total.attrs["data-amount"], total.attrs["data-percent"]) == ("120.00", "10")
    [credit] = rows(page.by_id("credits"))
    assert [c.content for c in credit[1:5]] == [
        "99,692 %",
        "at least 99,0 % and below 99,9 %",
        "10 %",
        "120,00 USD",
    ]

    screen = io.StringIO()
    Console(file=screen, width=200).print(report_terminal(_october(), locale="de"))
    assert "99,692\xa0%" in screen.getvalue()
    assert "120,00 USD owed" in screen.getvalue()


def test_the_german_pdf_has_the_german_figures() -> None:
    text = " ".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(report_pdf(_october(), locale="de"))).pages
    )
    assert "99,692" in text
    assert "1.200,00 USD" in text
    assert "99.692%" not in text


def test_json_and_csv_are_the_same_whatever_the_locale() -> None:
    for fmt in ("json", "csv"):
        assert _cli("--format", fmt, "--locale", "de") == _cli("--format", fmt)
    document = json.loads(_cli("--format", "json", "--locale", "de"))
    assert document["objectives"][0]["actual"] == "99.692273"
    assert document["credits"]["amount"] == "120.00"


def test_an_unknown_locale_is_an_error_naming_the_option() -> None:
    result = CliRunner().invoke(app, [*ARGS, "--locale", "xx-nowhere"])
    assert result.exit_code != 0
    assert "--locale: locale 'xx-nowhere'" in result.output
    with pytest.raises(LocaleError, match="'tlh-XX'"):
        locale_of("tlh-XX")


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        ("de-CH,de;q=0.9,en;q=0.8", "de-CH"),
        ("en;q=0.4, fr;q=0.9", "fr"),
        ("xx-YY, de;q=0.5", "de"),  # unknown languages are passed over
        ("de-XX", "de"),  # a region Babel does not know: the language
        ("*", "en"),
        ("xx", "en"),
        ("", "en"),
        (None, "en"),
        ("de;q=0, fr;q=0.1", "fr"),  # q=0: not acceptable
        ("de;q=oops, pt-BR", "pt-BR"),  # a weight that cannot be read counts for nothing
    ],
)
def test_accept_language_is_weighed_among_the_locales_babel_knows(
    header: str | None, chosen: str
) -> None:
    assert preferred_locale(header).name == chosen


@given(
    value=st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False),
    places=st.integers(min_value=0, max_value=6),
    locale=st.sampled_from(["en", "de", "fr", "de-CH", "pt-BR", "hi"]),
)
def test_a_number_read_back_in_its_locale_is_the_figure_rounded(
    value: Decimal, places: int, locale: str
) -> None:
    numbers = locale_of(locale)
    written = numbers.decimal(value, places)
    read = parse_decimal(written, locale=numbers.locale, strict=False)
    assert read == round(value, places)


@given(
    amount=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
    locale=st.sampled_from(["en", "de", "fr", "de-CH", "ja"]),
)
def test_money_is_the_amount_to_the_cent_and_its_code(amount: Decimal, locale: str) -> None:
    numbers = locale_of(locale)
    written = numbers.money(amount, "EUR")
    figure, code = written.rsplit(" ", 1)
    assert code == "EUR"
    assert parse_decimal(figure, locale=numbers.locale, strict=False) == amount
    decimal_sign = numbers.locale.number_symbols["latn"]["decimal"]
    assert figure.split(decimal_sign)[-1].isdigit()
    assert len(figure.split(decimal_sign)[-1]) == 2


def test_the_markdown_function_takes_the_locale_too() -> None:
    assert "99,692\xa0%" in report_markdown(_october(), locale="de")


def test_days_and_times_are_written_as_the_readers_locale_writes_them_in_every_human_format() -> (
    None
):
    """German writes "6. Okt. 2026" where English writes "6 Oct 2026"; American English
    "Oct 6, 2026, 7:05 AM" on a 12-hour clock. The words and zones stay; JSON and CSV keep
    the ISO instants."""
    report = _october()
    english, german, american = (build(report, locale=x) for x in ("en", "de", "en-US"))
    assert english.judged == "Judged at the period's end, 31 Oct 2026, 17:00 PDT."
    assert german.judged == "Judged at the period's end, 31. Okt. 2026, 17:00 PDT."
    assert american.judged == "Judged at the period's end, Oct 31, 2026, 5:00 PM PDT."
    first = "outage INC-101 of api (the provider's cause), 42 min of it in the agreement's hours"
    assert english.breaches[0].text == f"6 Oct 2026, 07:05 to 07:47 PDT: {first}"
    assert german.breaches[0].text == f"6. Okt. 2026, 07:05 to 07:47 PDT: {first}"
    assert american.breaches[0].text.startswith("Oct 6, 2026, 7:05 AM to 7:47 AM PDT")

    markdown = _cli("--format", "markdown", "--locale", "de")
    assert "# Cloudnote Team -- Service Level Agreement: Oktober 2026 (UTC)" in markdown
    assert f"- Monthly availability: 6. Okt. 2026, 07:05 to 07:47 PDT: {first}" in markdown
    assert "6 Oct 2026" not in markdown
    page = _cli("--format", "html", "--locale", "de")
    assert "6. Okt. 2026, 07:05 to 07:47 PDT" in page
    assert "Oktober 2026" in page
    screen = io.StringIO()
    Console(file=screen, width=300).print(report_terminal(report, locale="de"))
    assert "6. Okt. 2026, 07:05 to 07:47 PDT" in screen.getvalue()
    pdf = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(report_pdf(report, locale="de"))).pages
    )
    assert "6. Okt. 2026, 07:05 to 07:47 PDT" in pdf
    assert "31. Okt. 2026" in pdf  # the footer's instant too
    assert "31 Oct 2026" not in pdf


@given(
    moment=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    locale=st.sampled_from(["de", "fr", "de-CH", "pt-BR", "en-US", "da", "pl"]),
)
def test_a_day_read_back_in_its_locale_is_the_day(moment: datetime, locale: str) -> None:
    """Whatever the locale, the day written is the instant's day in the zone: its day of the
    month, its month by the locale's own abbreviated name (CLDR's table) and its year; the
    time is after it, and the zone's name last."""
    numbers = locale_of(locale)
    zone = zone_of("Europe/Berlin")
    local = moment.astimezone(zone)
    written = numbers.when(moment, zone)
    day = numbers.day(moment, zone)
    assert written.startswith(day)
    assert written.endswith(zone_abbreviation(local))
    month = get_month_names("abbreviated", locale=numbers.locale)[local.month]
    assert re.search(rf"(?<!\d){local.day}(?!\d)", day), day
    assert month in day, (day, month)
    assert str(local.year) in day
