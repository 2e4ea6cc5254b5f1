"""``accord clocks``: ticket SLA clocks from an export, summed up or ticket by ticket."""

from __future__ import annotations

import csv
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from accord.cli.output import console, fail, format_span, parse_instant
from accord.core.clock_engines import ENGINES, evaluate_clocks
from accord.core.clocks import calendars_of, summarize
from accord.core.errors import AccordError
from accord.io.agreements import load_agreement
from accord.io.tickets import ColumnMapping, read_events


def clocks(
    agreement_file: Annotated[Path, typer.Argument(help="The agreement (YAML).")],
    events_file: Annotated[Path, typer.Argument(help="Ticket events: JSON Lines or CSV.")],
    mapping: Annotated[
        Path | None, typer.Option(help="Column mapping (YAML) for exports of other desks.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Judge every ticket as of this ISO 8601 instant, with its UTC offset "
            "(default: the end of the log, its latest event).",
        ),
    ] = None,
    by: Annotated[
        list[str] | None, typer.Option("--by", help="Group by a ticket field (repeatable).")
    ] = None,
    tickets: Annotated[
        bool, typer.Option("--tickets", help="Print every ticket's clocks (CSV) instead.")
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="auto (the column engine when it covers the agreement's rules, else the "
            "replay), columns, or replay (rule by rule).",
        ),
    ] = "auto",
) -> None:
    """Evaluate ticket SLA clocks: attainment per objective, or every ticket's clocks."""
    try:
        agreement = load_agreement(agreement_file)
        column_mapping = ColumnMapping.read(mapping) if mapping else None
        events = read_events(events_file, column_mapping)
        moment = None
        if as_of is not None:
            # without an offset: in the log's zone when a mapping names it
            zone = ZoneInfo(column_mapping.timezone) if column_mapping else None
            moment = parse_instant(as_of, zone, "--as-of")
        if engine not in ENGINES:
            raise AccordError(f"--engine: {engine!r}; expected one of {', '.join(ENGINES)}")
        evaluation = evaluate_clocks(
            events,
            agreement.objectives,
            calendars_of(agreement),
            moment,
            engine,  # type: ignore[arg-type]
        )
        rows = summarize(evaluation.clocks, agreement.objectives, by or ()) if not tickets else []
    except AccordError as error:
        raise fail(error) from None
    judged_at = evaluation.as_of.isoformat() if evaluation.as_of else ""
    if tickets:
        writer = csv.writer(sys.stdout)
        writer.writerow(
            [
                "ticket",
                "metric",
                "cycle",
                "objective",
                "state",
                "target",
                "used",
                "left",
                "deadline",
                "breached_at",
                "paused_customer",
                "paused_third_party",
                "wall",
                "as_of",
                "engine",
                "evaluated_by",
            ]
        )
        for c in evaluation.clocks:
            writer.writerow(
                [
                    c.ticket,
                    c.metric,
                    c.cycle,
                    c.objective,
                    c.state,
                    format_span(c.target or timedelta(0)),
                    format_span(c.used),
                    format_span(c.left or timedelta(0)),
                    c.deadline.isoformat() if c.deadline else "",
                    c.breached_at.isoformat() if c.breached_at else "",
                    format_span(c.paused_by.get("customer", timedelta(0))),
                    format_span(c.paused_by.get("third_party", timedelta(0))),
                    format_span(c.wall),
                    judged_at,
                    evaluation.engine,
                    evaluation.evaluated_by(c),
                ]
            )
        return
    count = len({c.ticket for c in evaluation.clocks})
    table = Table(title=f"{agreement.overview.title}: {count} tickets")
    for column in (
        "objective",
        *(by or ()),
        "in scope",
        "met",
        "breached",
        "open",
        "attainment",
        "target",
        "p50",
        "p90",
    ):
        table.add_column(column)
    for row in rows:
        attained = "-" if row.attainment is None else f"{row.attainment:.1f}%"
        verdict = "" if row.target_met is None else (" ok" if row.target_met else " MISSED")
        table.add_row(
            row.objective,
            *(row.group.get(name, "") for name in by or ()),
            str(row.in_scope),
            str(row.met),
            str(row.breached),
            str(row.open),
            attained + verdict,
            f"{row.target}%" if row.target is not None else "-",
            *(format_span(row.percentiles[p]) if p in row.percentiles else "-" for p in (50, 90)),
        )
    console.print(table)
    source = "--as-of" if as_of is not None else "the end of the log, its latest event"
    console.print(
        f"judged as of {judged_at or '-'} ({source}); {evaluation.account()}",
        highlight=False,
        soft_wrap=True,
    )
