"""``accord clocks``: ticket SLA clocks from an export, summed up or ticket by ticket."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from accord.cli.output import console, errors, fail, format_span, parse_instant
from accord.core.errors import AccordError

if TYPE_CHECKING:
    from rich.progress import Progress

    from accord.core.agreement import Agreement
    from accord.core.clocks import Attainment, Clock
    from accord.io.partitions import BucketResult

TICKET_COLUMNS = [
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


def clocks(
    agreement_file: Annotated[Path, typer.Argument(help="The agreement (YAML).")],
    events_file: Annotated[
        Path,
        typer.Argument(
            help="Ticket events: JSON Lines, CSV or Parquet; or a partitioned log's directory "
            "(written by `accord partition`), evaluated a bucket at a time."
        ),
    ],
    mapping: Annotated[
        Path | None, typer.Option(help="Column mapping (YAML) for exports of other desks.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Judge every ticket as of this ISO 8601 instant (without an offset: in the "
            "--mapping's timezone; without a mapping an offset is required). Default: the end "
            "of the log, its latest event.",
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
    runner: Annotated[
        str,
        typer.Option(
            "--runner",
            help="A partitioned log's buckets: local (one after another, in this process) or "
            "dask (one Dask task per bucket; pip install 'accord[distributed]').",
        ),
    ] = "local",
    scheduler: Annotated[
        str,
        typer.Option(
            "--scheduler", help="Dask's scheduler (with --runner dask): threads, processes, sync."
        ),
    ] = "threads",
) -> None:
    """Evaluate ticket SLA clocks: attainment per objective, or every ticket's clocks."""
    from accord.core.clock_engines import ENGINES, evaluate_clocks
    from accord.core.clocks import calendars_of, summarize
    from accord.io.agreements import load_agreement
    from accord.io.tickets import ColumnMapping, read_events

    if events_file.is_dir():
        _partitioned(
            agreement_file, events_file, as_of, by or [], tickets, engine, runner, scheduler,
            mapping,
        )  # fmt: skip
        return
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
        writer.writerow(TICKET_COLUMNS)
        _write_clocks(
            writer, evaluation.clocks, judged_at, evaluation.engine, evaluation.evaluated_by
        )
        return
    count = len({c.ticket for c in evaluation.clocks})
    _print_table(agreement, rows, by or [], count)
    source = "--as-of" if as_of is not None else "the end of the log, its latest event"
    console.print(
        f"judged as of {judged_at or '-'} ({source}); {evaluation.account()}",
        highlight=False,
        soft_wrap=True,
    )


def _write_clocks(
    writer: Any, clocks: Iterable[Clock], judged_at: str, engine: str, by: Callable[[Clock], str]
) -> None:
    for c in clocks:
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
                _utc(c.deadline),
                _utc(c.breached_at),
                format_span(c.paused_by.get("customer", timedelta(0))),
                format_span(c.paused_by.get("third_party", timedelta(0))),
                format_span(c.wall),
                judged_at,
                engine,
                by(c),
            ]
        )


def _utc(moment: datetime | None) -> str:
    """An instant of the CSV in UTC, as its ``as_of`` is: the same text whichever engine (or
    calendar's zone) gave it."""
    return "" if moment is None else moment.astimezone(UTC).isoformat()


def _print_table(agreement: Agreement, rows: list[Attainment], by: list[str], count: int) -> None:
    from rich.table import Table

    table = Table(title=f"{agreement.overview.title}: {count} tickets")
    for column in (
        "objective",
        *by,
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
            *(row.group.get(name, "") for name in by),
            str(row.in_scope),
            str(row.met),
            str(row.breached),
            str(row.open),
            attained + verdict,
            f"{row.target}%" if row.target is not None else "-",
            *(format_span(row.percentiles[p]) if p in row.percentiles else "-" for p in (50, 90)),
        )
    console.print(table)


def _progress() -> Progress:
    """A bar across a partitioned log's buckets, on standard error (standard output keeps the
    table or the CSV)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("buckets"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[tickets]:,} tickets"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    )


def _partitioned(
    agreement_file: Path,
    root: Path,
    as_of: str | None,
    by: list[str],
    tickets: bool,
    engine: str,
    runner: str,
    scheduler: str,
    mapping: Path | None,
) -> None:
    """``accord clocks`` over a partitioned log: the same table (or CSV, bucket by bucket)."""
    from accord.core.clock_engines import ENGINES
    from accord.io.agreements import load_agreement
    from accord.io.partitions import Partitions, evaluate_partitioned

    writer = csv.writer(sys.stdout) if tickets else None
    try:
        if mapping is not None:
            raise AccordError(
                "--mapping: a partitioned log is in Accord's columns already (map the export "
                "before `accord partition`)"
            )
        if tickets and runner != "local":
            raise AccordError("--tickets: with --runner local only (printed bucket by bucket)")
        if runner not in ("local", "dask"):
            raise AccordError(f"--runner: {runner!r}; expected local or dask")
        if engine not in ENGINES:
            raise AccordError(f"--engine: {engine!r}; expected one of {', '.join(ENGINES)}")
        agreement = load_agreement(agreement_file)
        moment = parse_instant(as_of, None, "--as-of") if as_of is not None else None
        total = len(Partitions.open(root).files)
        judged = ""  # the CSV's as_of column, known before the first bucket
        if writer is not None:
            end, _, _, _ = Partitions.open(root).scan()
            judged_moment = moment or end
            judged = judged_moment.isoformat() if judged_moment else ""
            writer.writerow(TICKET_COLUMNS)
        with _progress() as progress:
            task = progress.add_task("buckets", total=total, tickets=0)
            done = {"tickets": 0}

            def on_bucket(result: BucketResult) -> None:
                done["tickets"] += result.tickets
                progress.update(task, advance=1, tickets=done["tickets"])
                if writer is not None and result.clocks is not None:
                    _write_clocks(writer, result.clocks, judged, result.engine, result.evaluated_by)
                    result.clocks = None  # printed: the next bucket's clocks take their place

            evaluation = evaluate_partitioned(
                root,
                agreement,
                moment,
                engine,
                by if not tickets else (),
                runner=runner,  # type: ignore[arg-type]
                scheduler=scheduler,
                on_bucket=on_bucket,
                keep_clocks=tickets,
            )
        if tickets:
            return
        rows = evaluation.tally.attainment(agreement.objectives)
    except AccordError as error:
        raise fail(error) from None
    _print_table(agreement, rows, by, evaluation.tickets)
    judged_at = evaluation.as_of.isoformat() if evaluation.as_of else ""
    source = "--as-of" if as_of is not None else "the end of the log, its latest event"
    console.print(
        f"judged as of {judged_at or '-'} ({source}); {evaluation.account()}; "
        f"{total} buckets ({runner})",
        highlight=False,
        soft_wrap=True,
    )


def partition(
    events_file: Annotated[Path, typer.Argument(help="A ticket event log in Parquet.")],
    target: Annotated[Path, typer.Argument(help="The directory to write (must not exist).")],
    buckets: Annotated[
        int, typer.Option("--buckets", help="How many buckets (files) of whole tickets.")
    ] = 64,
) -> None:
    """Rewrite a Parquet event log into buckets of whole tickets, for `accord clocks DIR` on a
    log larger than memory."""
    from accord.io.partitions import partition_log

    try:
        written = partition_log(events_file, target, buckets)
    except AccordError as error:
        raise fail(error) from None
    filled = sum(1 for n in written.events if n)
    console.print(
        f"{sum(written.events):,} events in {filled} of {buckets} buckets under {target} "
        f"(largest: {max(written.events, default=0):,} events)",
        highlight=False,
    )
