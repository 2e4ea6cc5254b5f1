"""Agreements: ``accord validate``, ``show``, ``diff`` and ``schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.output import console, errors, fail, print_markdown
from accord.core.errors import AccordError


def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="Agreement, column mapping or calendar files, or folders.")
    ],
) -> None:
    """Check agreements, column mappings and calendars: exit 0 when valid, 1 listing every
    problem, 2 on unreadable input.

    Each YAML file is checked by the schema of what it is (told by its keys); parents are
    resolved across every file given (folders are read recursively).
    """
    from accord.io.agreements import check_paths

    checked = check_paths(list(paths))
    problems = checked.problems
    for problem in problems:
        console.print(str(problem), highlight=False, soft_wrap=True)
    for warning in checked.warnings:  # a warning alone leaves the exit code 0
        console.print(str(warning), highlight=False, soft_wrap=True)
    if any(p.unreadable for p in problems):
        raise typer.Exit(code=2)
    if problems:
        errors.print(f"{len(problems)} problem(s)", highlight=False)
        raise typer.Exit(code=1)
    found = [
        (len(checked.agreements), "agreement", sorted(checked.agreements)),
        (len(checked.mappings), "column mapping", checked.mappings),
        (len(checked.calendars), "calendar", checked.calendars),
        (len(checked.coverages), "data coverage", checked.coverages),
    ]
    counts = ", ".join(f"{n} {what}{'' if n == 1 else 's'}" for n, what, _ in found)
    console.print(f"valid: {counts}", highlight=False, soft_wrap=True)
    for n, what, names in found:
        if n:
            console.print(f"{what}s: {', '.join(names)}", highlight=False, soft_wrap=True)


def show(
    path: Annotated[Path, typer.Argument(help="An agreement file.")],
    output: Annotated[
        str, typer.Option("--format", help="text, markdown (the customer-facing document) or json")
    ] = "text",
) -> None:
    """The resolved agreement (with everything it inherits), for people or programs."""
    from accord.io.agreements import load_agreement
    from accord.render.agreement import to_markdown

    try:
        agreement = load_agreement(path)
    except AccordError as error:
        raise fail(error) from None
    if output == "json":
        console.print_json(agreement.model_dump_json(exclude_defaults=True))
    elif output in ("markdown", "text"):
        print_markdown(to_markdown(agreement), raw=output == "markdown")
    else:
        raise fail(
            AccordError(f"--format: unknown format {output!r}; expected text, markdown or json")
        )


def diff(
    old: Annotated[Path, typer.Argument(help="The earlier version.")],
    new: Annotated[Path, typer.Argument(help="The later version.")],
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """The change log between two versions: measures added, removed and changed, and the rest."""
    from accord.core.agreement import diff_agreements
    from accord.io.agreements import load_agreement

    try:
        before, after = load_agreement(old), load_agreement(new)
    except AccordError as error:
        raise fail(error) from None
    entries = diff_agreements(before, after)
    if output == "json":
        console.print_json(
            data=[
                {
                    "section": e.section,
                    "item": e.item,
                    "kind": e.kind,
                    "field": e.field,
                    "before": e.before,
                    "after": e.after,
                }
                for e in entries
            ]
        )
        return
    if output != "text":
        raise fail(AccordError(f"--format: unknown format {output!r}; expected text or json"))
    console.print(f"{before.id} {before.version} -> {after.id} {after.version}", highlight=False)
    if not entries:
        console.print("no changes")
    for entry in entries:
        console.print(f"- {entry}", highlight=False, soft_wrap=True)


def schema(
    mapping: Annotated[
        bool, typer.Option("--mapping", help="The column mapping's schema instead.")
    ] = False,
) -> None:
    """The agreement schema (or a column mapping's) as JSON Schema, for editors to autocomplete
    and check YAML."""
    from accord.core.agreement import Agreement
    from accord.io.mapping import ColumnMapping

    model = ColumnMapping if mapping else Agreement
    print(json.dumps(model.model_json_schema(), indent=2))
