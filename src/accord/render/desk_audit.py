"""An audit of a desk's verdicts (:class:`accord.core.desk_audit.AuditResult`) as a terminal
table, JSON, a CSV of tickets, and an HTML page with the report's pictures: the bars of the
causes, and each cause's first example drawn as the report draws a ticket's clock."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from typing import Any

from rich.table import Table

from accord.core.desk_audit import AuditResult
from accord.render.pictures import Bar, Picture, stacked_bars
from accord.render.report import templates
from accord.render.report_pictures import clock_picture

CSV_COLUMNS = ("ticket", "desk", "accord", "cause", "variants", "detail", "origin")


def audit_json(result: AuditResult, examples: int = 3) -> dict[str, Any]:
    return {
        "agreement": result.agreement,
        "metric": result.metric,
        "desk_metric": result.desk_metric,
        "tickets": len(result.tickets),
        "agreeing": result.agreeing,
        "rate": None if result.rate is None else round(result.rate, 2),
        "causes": [
            {
                "cause": cause,
                "count": count,
                "directions": [
                    {"desk": desk, "accord": accord, "count": n}
                    for (desk, accord), n in result.directions(cause)
                ],
                "examples": [
                    {"ticket": t.ticket, "detail": t.detail, "variants": list(t.variants)}
                    for t in result.examples(cause, examples)
                ],
            }
            for cause, count in result.by_cause()
        ],
    }


def audit_csv(result: AuditResult) -> str:
    """Every ticket audited, one row each (agreeing ones too: cause ``agree``)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for t in result.tickets:
        writer.writerow(
            [t.ticket, t.desk, t.accord or "", t.cause, ";".join(t.variants), t.detail, t.origin]
        )
    return out.getvalue()


def audit_table(result: AuditResult) -> Table:
    rate = "-" if result.rate is None else f"{result.rate:.1f}%"
    table = Table(
        title=f"{result.agreeing:,} of {len(result.tickets):,} verdicts agree ({rate}): "
        f"Accord's {result.metric} under {result.agreement} beside the desk's "
        f"{result.desk_metric}"
    )
    for column in ("cause", "tickets", "desk / Accord", "example"):
        table.add_column(column)
    for cause, count in result.by_cause():
        directions = "\n".join(
            f"{n:,}: desk {desk}, Accord {accord or 'no clock'}"
            for (desk, accord), n in result.directions(cause)
        )
        example = result.examples(cause, 1)
        shown = f"{example[0].ticket}: {example[0].detail}" if example else ""
        table.add_row(cause, f"{count:,}", directions, shown)
    return table


def audit_picture(result: AuditResult) -> Picture:
    bars = [Bar("agree", result.agreeing, 0, f"{result.agreeing} tickets agree")]
    bars += [Bar(str(i), 0, n, f"{cause}: {n} tickets") for i, (cause, n) in
             enumerate(result.by_cause(), 1)]  # fmt: skip
    rows = tuple((b.text.split(":")[0], str(b.good + b.bad)) for b in bars)
    return stacked_bars(
        "audit-causes",
        "Verdicts that agree, and each cause of disagreement",
        "The first bar counts the tickets whose verdicts agree; each numbered bar a cause, in "
        "the order of the table of causes.",
        bars,
        names=("agree", "disagree"),
        head=("", "tickets"),
        table=rows,
    )


def example_pictures(result: AuditResult) -> list[Picture]:
    """For the first example of each cause, the report's picture of where its time went:
    Accord's clock by status, team and assignee, running or paused, with its deadline."""
    found = []
    for number, (cause, _) in enumerate(result.by_cause(), 1):
        example = result.examples(cause, 1)
        for clock in result.clocks.get(example[0].ticket, ())[:1] if example else ():
            audited = example[0]
            found.append(
                clock_picture(
                    f"audit-example-{number}",
                    f"{cause}: where ticket {clock.ticket}'s time went (Accord {clock.state}, "
                    f"desk {audited.desk})",
                    clock,
                    UTC,
                )
            )
    return found


def audit_html(result: AuditResult) -> str:
    return (
        templates()
        .get_template("desk_audit.html")
        .render(result=result, pictures=[audit_picture(result), *example_pictures(result)])
    )
