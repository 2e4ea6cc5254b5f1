"""``accord import``: a service desk's export as Accord's ticket event log, with the desk's
verdicts and status map beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from accord.cli.output import console, errors, fail
from accord.core.errors import AccordError
from accord.io.desk_names import BUILT_IN_DESKS

if TYPE_CHECKING:
    from accord.io.desks import Summary


def import_log(
    source: Annotated[
        str, typer.Argument(help="The desk: " + ", ".join(sorted(BUILT_IN_DESKS)) + ".")
    ],
    files: Annotated[
        list[Path],
        typer.Argument(help="Its export files (CSV or JSON; .gz and .zip are read through)."),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="The event log to write: .parquet or .jsonl. The desk's verdicts go beside it "
            "(NAME.verdicts.jsonl), and the status map used (NAME.statuses.yaml).",
        ),
    ],
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="The desk's time zone (IANA name), for exports that write times without one.",
        ),
    ] = None,
    statuses: Annotated[
        Path | None,
        typer.Option(
            "--statuses",
            help="A status map (YAML) to use instead of the desk's default: the "
            "NAME.statuses.yaml an earlier import wrote, adjusted.",
        ),
    ] = None,
    summary_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON instead of tables.")
    ] = False,
) -> None:
    """Import a service desk's export: ticket events, the desk's own SLA verdicts, a summary."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from accord.io.desks import Context, StatusMap, source_named
    from accord.io.desks.base import zone_named
    from accord.io.desks.output import import_files

    try:
        desk = source_named(source)
        status_map = StatusMap.read(statuses, desk.name) if statuses else desk.statuses
        context = Context(status_map, zone=zone_named(timezone))
        with Progress(
            TextColumn(f"importing {desk.name}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=errors,
            transient=True,
        ) as progress:
            task = progress.add_task("import", total=None)
            context.on_progress = lambda done: progress.advance(task, done)
            summary = import_files(
                desk,
                files,
                output,
                context,
                on_start=lambda total: progress.update(task, total=total or None),
            )
    except AccordError as error:
        raise fail(error) from None
    if summary_json:
        print(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    else:
        print_summary(summary)


def print_summary(summary: Summary) -> None:
    from rich.table import Table

    span = (
        f"{summary.first:%Y-%m-%d %H:%M} to {summary.last:%Y-%m-%d %H:%M} UTC"
        if summary.first and summary.last
        else "no events"
    )
    console.print(
        f"{summary.tickets:,} tickets, {summary.events:,} events ({span}); "
        f"{summary.verdicts:,} verdicts of the desk",
        highlight=False,
    )
    table = Table(title="Statuses seen")
    for column in ("desk status", "rows", "written as", "means"):
        table.add_column(column)
    for name, count, value, means, known in summary.mapped():
        table.add_row(name, f"{count:,}", value, means + ("" if known else " (not in the map)"))
    console.print(table)
    if summary.warnings.counts:
        warned = Table(title="Warnings (rows skipped or read with a doubt)")
        for column in ("kind", "count", "first examples"):
            warned.add_column(column)
        for kind, count in summary.warnings.counts.most_common():
            warned.add_row(kind, f"{count:,}", "\n".join(summary.warnings.examples.get(kind, [])))
        console.print(warned)
    else:
        console.print("no warnings", highlight=False)
    for path in summary.written:
        console.print(f"wrote {path}", highlight=False, soft_wrap=True)


_AUDIT_FORMATS = ("table", "json", "csv", "html")


def audit(
    agreement_file: Annotated[Path, typer.Argument(help="The agreement (YAML).")],
    log: Annotated[
        Path, typer.Argument(help="The event log `accord import` wrote (.parquet or .jsonl).")
    ],
    verdicts: Annotated[
        Path | None,
        typer.Option(
            "--verdicts",
            help="The desk's verdicts (default: the NAME.verdicts.jsonl beside the log).",
        ),
    ] = None,
    statuses: Annotated[
        Path | None,
        typer.Option(
            "--statuses",
            help="The status map (default: the NAME.statuses.yaml beside the log): which "
            "statuses mean resolved and closed, for the variant stopping at closure.",
        ),
    ] = None,
    metric: Annotated[
        str, typer.Option("--metric", help="Accord's metric to compare: resolution, ...")
    ] = "resolution",
    desk_metric: Annotated[
        str | None,
        typer.Option(
            "--desk-metric",
            help="The desk's verdicts to compare (made_sla, a task SLA's name); needed when "
            "the verdicts are of several.",
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="table, json, csv or html")] = "table",
    to_file: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file.")
    ] = None,
) -> None:
    """Recompute every ticket under the agreement and put Accord's verdict beside the desk's:
    the agreement rate, and each disagreement classified by its cause."""
    from accord.cli.report import _write
    from accord.io.agreements import load_agreement
    from accord.io.desks import StatusMap
    from accord.io.desks.output import read_verdicts, siblings
    from accord.render.desk_audit import audit_csv, audit_html, audit_json, audit_table
    from accord.service.desk_audit import audit as audit_log
    from accord.service.desk_audit import read_log

    try:
        if output not in _AUDIT_FORMATS:
            raise AccordError(f"--format: {output!r}; expected {', '.join(_AUDIT_FORMATS)}")
        agreement = load_agreement(agreement_file)
        near_verdicts, near_statuses = siblings(log)
        status_file = statuses or (near_statuses if near_statuses.exists() else None)
        status_map = StatusMap.read(status_file) if status_file is not None else None
        with errors.status("recomputing every ticket", spinner="dots"):
            result = audit_log(
                agreement,
                read_log(log),
                read_verdicts(verdicts or near_verdicts),
                metric,
                desk_metric,
                status_map,
            )
    except AccordError as error:
        raise fail(error) from None
    if output == "table" and to_file is None:
        console.print(audit_table(result))
        return
    text = {
        "json": lambda: json.dumps(audit_json(result), indent=2, ensure_ascii=False) + "\n",
        "csv": lambda: audit_csv(result),
        "html": lambda: audit_html(result),
        "table": lambda: audit_csv(result),
    }[output]()
    if to_file is not None:
        _write(to_file, text)
    else:
        print(text, end="")
