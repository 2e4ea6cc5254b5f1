"""The HTML page of a report: parsed back, it holds the Report's figures; hostile text is
escaped."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord import load_agreement
from accord.cli import app, parse_period
from accord.core.report import Report, evaluate
from accord.io.data import read_data
from accord.render.report import report_html, rollup_html, trend_html

ROOT = Path(__file__).resolve().parents[2]
SAAS = ROOT / "examples" / "agreements" / "saas.yaml"
OCTOBER = ROOT / "examples" / "data" / "cloudnote-2026-10"
_VOID = {"meta", "br", "hr", "img", "input", "link"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def all(self, tag: str) -> list[Element]:
        found = [self] if self.tag == tag else []
        for child in self.children:
            found += child.all(tag)
        return found

    def by_id(self, wanted: str) -> Element:
        [found] = [e for e in self.walk() if e.attrs.get("id") == wanted]
        return found

    def walk(self) -> list[Element]:
        return [self] + [e for c in self.children for e in c.walk()]

    @property
    def content(self) -> str:
        """All text inside, whitespace collapsed."""
        return " ".join((self.text + " ".join(c.content for c in self.children)).split())


class _Tree(HTMLParser):
    """A strict little DOM: every element closed in order, or the test fails."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        # text between children is kept in order by a text child
        self.stack[-1].children.append(Element("#text", {}, text=data))


def parse(page: str) -> Element:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    assert tree.stack == [tree.root], "unclosed elements"
    return tree.root


def rows(table: Element) -> list[list[Element]]:
    return [row.all("td") for row in table.all("tbody")[0].all("tr")]


def _october() -> Report:
    return evaluate(load_agreement(SAAS), read_data(OCTOBER), *parse_period("2026-10", "UTC"))


def test_the_page_holds_the_reports_figures() -> None:
    report = _october()
    page = parse(report_html(report))
    # the period as it was reckoned (UTC), the times in the agreement's zone (Los Angeles)
    assert page.all("title")[0].content == f"{report.title}: October 2026 (UTC)"
    table = rows(page.by_id("objectives"))
    assert len(table) == len(report.objectives)
    for cells, result in zip(table, report.objectives, strict=True):
        name, target, actual, met, margin, _, words = cells
        assert name.content == result.name
        assert target.content == result.target
        exact = actual.attrs["data-exact"]
        assert (Decimal(exact) if exact else None) == result.actual
        shown = {None: result.status, True: "met", False: "missed"}[result.met]
        assert (met.content, met.attrs["data-status"]) == (shown, result.status)
        exact_margin = margin.attrs["data-exact"]
        assert (Decimal(exact_margin) if exact_margin else None) == result.margin
        # the figure in words, with a note holding how it was reached, as the engine says it
        [link] = words.all("a")
        note = page.by_id(link.attrs["href"].removeprefix("#"))
        assert result.detail in note.content
    availability = table[0]
    assert availability[2].content == "99.692%"  # (44,520 - 137) / 44,520, shown to 3 places
    assert availability[4].content == "0.21 points short"
    assert availability[4].attrs["title"] == "-0.207727 percentage points"
    # budget: 0.1% of 44,520 minutes = 44.52 minutes allowed; 137 used; 92.48 over
    # and the budget went 137 / 44.52 = 3.08 times as fast as it may
    assert availability[5].content == (
        "44 min 31 s of downtime allowed, 2 h 17 min used "
        "downtime came 3.1 times as fast as the promise allows: the allowance lasted "
        "10 days 1 h of the 31 days"
    )
    assert availability[5].all("span")[0].attrs["title"] == "burn rate 3.08x"
    assert availability[6].content.startswith(
        "99.692% available; the promise was 99.9%: 1 h 32 min more downtime than allowed"
    )
    breaches = rows(page.by_id("breaches"))
    assert len(breaches) == len(report.objectives[0].breaches)
    # the outage at 14:05 UTC, told in the agreement's zone (Los Angeles, summer time)
    assert breaches[0][1].content.startswith(
        "6 Oct 2026, 07:05 to 07:47 PDT: outage INC-101 of api (the provider's cause), "
        "42 min of it in the agreement's hours"
    )
    # the engine's exact account (ISO 8601 instants, durations to the second) is its title
    for cells, breach in zip(breaches, report.objectives[0].breaches, strict=True):
        assert cells[1].attrs["title"] == breach.text
    assert (
        breaches[0][1]
        .attrs["title"]
        .startswith("2026-10-06T14:05:00+00:00 - 2026-10-06T14:47:00+00:00")
    )
    total = page.by_id("credit-total")
    settlement = report.settlement
    assert settlement is not None
    assert (total.attrs["data-amount"], total.attrs["data-currency"]) == ("120.00", "USD")
    assert Decimal(total.attrs["data-percent"]) == settlement.percent
    [credit] = rows(page.by_id("credits"))
    assert credit[0].content == "Monthly availability"
    assert credit[2].content == "at least 99.0% and below 99.9%"
    assert credit[4].content == "120.00 USD"
    assert credit[5].content == settlement.credits[0].reason
    assert report.claim_deadline is not None
    claim = page.by_id("claim-deadline")
    assert (
        claim.attrs["data-deadline"]
        == report.claim_deadline.isoformat()
        == ("2026-12-01T00:00:00+00:00")
    )


HOSTILE = "<script>alert('x')</script> & <b>"


def test_hostile_text_in_an_agreement_or_data_is_escaped(tmp_path: Path) -> None:
    text = (
        SAAS.read_text()
        .replace("title: Cloudnote Team -- Service Level Agreement", f'title: "{HOSTILE}"', 1)
        .replace("name: Monthly availability", f'name: "{HOSTILE}"', 1)
    )
    agreement = load_agreement(text)
    (tmp_path / "outages.jsonl").write_text(
        '{"id": "<img src=x onerror=alert(1)>", "service": "api", '
        '"start": "2026-10-06T14:05:00+00:00", "end": "2026-10-06T14:47:00+00:00"}\n'
    )
    report = evaluate(agreement, read_data(tmp_path), *parse_period("2026-10", "UTC"))
    for page_text in (report_html(report), trend_html([report]), rollup_html([report])):
        assert "<script>" not in page_text
        assert "<img" not in page_text
        page = parse(page_text)
        assert not page.all("script")
        assert not page.all("img")
        assert not page.all("b")
        assert HOSTILE in page.all("h1")[0].content  # shown as text, literally
    page = parse(report_html(report))
    assert rows(page.by_id("objectives"))[0][0].content == HOSTILE
    assert "outage <img src=x onerror=alert(1)>" in rows(page.by_id("breaches"))[0][1].content


def test_trend_and_roll_up_pages() -> None:
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
            "html",
        ],
    )
    assert result.exit_code == 0, result.output
    page = parse(result.output)
    months = [th.content for th in page.by_id("trend").all("th")][2:]
    assert months == ["2026-10", "2026-11", "2026-12"]
    availability = rows(page.by_id("trend"))[0]
    assert [c.content for c in availability] == [
        "Monthly availability",
        "99.9%",
        "99.692%",
        "no data",  # the data covers October only: not 100% met
        "no data",
    ]
    assert availability[2].attrs["class"] == "number missed"
    assert page.by_id("credit-total").attrs["data-amount"] == "120.00"
    corporate = ROOT / "examples" / "agreements" / "multi-level" / "corporate.yaml"
    result = runner.invoke(
        app,
        [
            *("report", str(corporate), "--data", str(OCTOBER), "--period", "2026-10"),
            *("--roll-up", "--format", "html"),
        ],
    )
    assert result.exit_code == 0, result.output
    page = parse(result.output)
    assert [r[0].content for r in rows(page.by_id("rollup"))] == [
        "helix-corporate",
        "helix-acme",
        "helix-acme-email",
    ]
    sections = [s for s in page.all("section") if s.attrs.get("class") == "agreement"]
    assert [s.attrs["id"] for s in sections] == [
        "helix-corporate",
        "helix-acme",
        "helix-acme-email",
    ]


def test_report_command_writes_html() -> None:
    result = CliRunner().invoke(
        app,
        ["report", str(SAAS), "--data", str(OCTOBER), "--period", "2026-10", "--format", "html"],
    )
    assert result.exit_code == 0
    assert result.output.startswith("<!DOCTYPE html>")
    assert parse(result.output).by_id("credit-total").attrs["data-amount"] == "120.00"


def test_progress_bar_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import json

    from rich.console import Console

    import accord.cli.report

    args = ["report", str(SAAS), "--data", str(OCTOBER), "--period", "2026", "--trend"]
    # captured (not a terminal): stdout is the JSON alone, stderr has no progress bar
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0
    months = json.loads(result.stdout)["months"]
    assert [r["start"][:7] for r in months][:2] == ["2026-01", "2026-02"]
    # on a terminal: the bar is drawn on stderr while the months are evaluated
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(accord.cli.report, "errors", terminal)
    result = CliRunner().invoke(app, [*args, "--format", "csv"])
    assert result.exit_code == 0
    assert "months: 2026-" in screen.getvalue()
    assert "12/12" in screen.getvalue()
    assert "months" not in result.stdout
    # header, 2 objectives x 12 months (a row's breaches_explained cell may hold lines)
    assert len(list(csv.reader(io.StringIO(result.stdout)))) == 1 + 12 * 2
