"""``accord try``: a proposed version of an agreement tried on history, beside the version in
force: what it would have reported, month by month, and what it would have cost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.output import fail
from accord.cli.report import _evaluated, _evidence, as_of_zone, emit, judged_at, parse_period
from accord.core.errors import AccordError

_FORMATS = ("table", "json", "csv", "markdown", "html")


def try_version(
    proposed_path: Annotated[Path, typer.Argument(help="The proposed version (YAML).")],
    against: Annotated[
        Path, typer.Option("--against", help="The version in force (YAML) to compare with.")
    ],
    period: Annotated[
        str, typer.Option("--period", help="The past months: 2026-10, 2026-Q4 or 2026.")
    ],
    data: Annotated[
        Path | None, typer.Option("--data", help="The data folder (outages, tickets...).")
    ] = None,
    tickets: Annotated[
        Path | None,
        typer.Option("--tickets", help="A ticket log given directly, in place of a folder's."),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Column mapping (YAML) of --tickets.")
    ] = None,
    tier: Annotated[
        str | None, typer.Option(help="The customer's tier (default: the first).")
    ] = None,
    zone: Annotated[
        str | None,
        typer.Option("--timezone", help="Zone of the months' bounds (default UTC), as report."),
    ] = None,
    output: Annotated[
        str, typer.Option("--format", help="table, json, csv, markdown or html")
    ] = "table",
    locale: Annotated[
        str, typer.Option("--locale", help="Numbers and money as this locale writes them.")
    ] = "en",
    to_file: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Judge at this instant (without an offset: in --timezone, else the --mapping's "
            "timezone, else UTC; default: the end of the evidence).",
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="Clock engine: auto, columns or replay.")
    ] = "auto",
) -> None:
    """Try a proposed version on history before agreeing to it: each month of the period
    judged under the version in force and under the proposal (as if it had been in force
    then), on the same evidence; the verdicts that change and what each would have cost."""
    from accord.core.agreement import as_if_in_force
    from accord.core.clock_engines import ENGINES
    from accord.core.periods import period_label, split
    from accord.core.report import ClockCache
    from accord.io.agreements import load_agreement
    from accord.io.mapping import ColumnMapping
    from accord.render.trial import (
        proposal_trial,
        trial_csv,
        trial_html,
        trial_json,
        trial_markdown,
    )
    from accord.render.words import locale_of, zone_of

    try:
        if output not in _FORMATS:
            raise AccordError(
                f"--format: unknown format {output!r}; expected " + ", ".join(_FORMATS)
            )
        if engine not in ENGINES:
            raise AccordError(f"--engine: {engine!r}; expected one of {', '.join(ENGINES)}")
        if zone is not None:
            zone_of(zone)
        try:
            locale_of(locale)
        except AccordError as error:
            raise AccordError(f"--locale: {error}") from None
        current = load_agreement(against)
        written = load_agreement(proposed_path)
        proposed = as_if_in_force(written, current)
        bounds = zone or "UTC"
        start, end = parse_period(period, bounds)
        log_mapping = ColumnMapping.read(mapping) if mapping else None
        evidence = _evidence(data, tickets, log_mapping)
        moment = judged_at(evidence, as_of, as_of_zone(zone, log_mapping))
        months = [(period_label(a, "month"), a, b) for _, a, b in split(start, end, "month")]
        cache = ClockCache()  # the log's columns built once for both versions
        before = _evaluated(
            [(label, current, a, b) for label, a, b in months],
            evidence,
            tier,
            f"version {current.version}",
            moment,
            engine,
            cache=cache,
        )
        after = _evaluated(
            [(label, proposed, a, b) for label, a, b in months],
            evidence,
            tier,
            f"version {proposed.version}",
            moment,
            engine,
            cache=cache,
        )
        found = proposal_trial(before, after, current, written, zone, locale)
    except AccordError as error:
        raise fail(error) from None
    text = {
        "json": lambda: json.dumps(trial_json(found), indent=2, ensure_ascii=False) + "\n",
        "csv": lambda: trial_csv(found),
        "html": lambda: trial_html(found),
    }.get(output, lambda: trial_markdown(found))()
    emit(text, output, to_file)
