"""``accord evidence sheet``: a spreadsheet of measurements (CSV or .xlsx) posted to the
service for an agreement, or written as a data folder's ``measurements.csv``."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from accord.cli.output import console, errors, fail
from accord.cli.report import _write
from accord.core.errors import AccordError

if TYPE_CHECKING:
    import httpx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def evidence_sheet(
    path: Annotated[Path, typer.Argument(help="The sheet: a .csv or .xlsx file.")],
    post: Annotated[
        str | None,
        typer.Option(
            "--post",
            help="An Accord service (http://host:8000) to store the rows in, for --agreement, "
            "with the key in ACCORD_KEY (ingest or admin role); posting again stores only "
            "the rows not stored before.",
        ),
    ] = None,
    agreement: Annotated[
        str | None, typer.Option("--agreement", help="With --post: the agreement's id.")
    ] = None,
    into: Annotated[
        Path | None,
        typer.Option("--into", help="A data folder to write measurements.csv into."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite measurements.csv there.")
    ] = False,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="What the rows measured, for a sheet without a source column (with --post, "
            "default: the one source the agreement's objectives read).",
        ),
    ] = None,
    zone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="Of days and times without a UTC offset (default: the agreement's own "
            "with --post, UTC with --into).",
        ),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="The workbook's sheet (default: the first).")
    ] = None,
) -> None:
    """Evidence from a spreadsheet: a row per measurement (a qualified lead, a report
    delivered...) under a header naming `at` (or `date`), optionally `source` and `id`, and
    the measured fields. A sheet with a wrong row is refused whole, naming each row and
    column; nothing is stored or written."""
    import httpx

    from accord.io.sheets import is_workbook

    try:
        if (post is None) == (into is None):
            raise AccordError("--post or --into: say where the evidence goes (one of them)")
        try:
            content = path.read_bytes()
        except OSError as error:
            raise AccordError(f"{path}: {error.strerror or error}") from None
        if into is not None:
            _into(content, path.name, into, replace, source, zone or "UTC", sheet)
            return
        assert post is not None
        if agreement is None:
            raise AccordError("--post: name the agreement the evidence is for (--agreement)")
        key = os.environ.get("ACCORD_KEY", "")
        if not key:
            raise AccordError("--post: set ACCORD_KEY to a key of the organisation")
        params = {"name": path.name, "source": source, "timezone": zone, "sheet": sheet}
        try:
            with httpx.Client(timeout=300) as client:
                answer = client.post(
                    f"{post.rstrip('/')}/v1/agreements/{agreement}/evidence",
                    content=content,
                    params={k: v for k, v in params.items() if v is not None},
                    headers={
                        "Authorization": f"Bearer {key}",
                        "Content-Type": XLSX if is_workbook(content) else "text/csv",
                    },
                )
        except httpx.HTTPError as error:
            raise AccordError(f"{post}: {error}") from None
        if answer.status_code != 200:
            raise AccordError(_problem(answer))
    except AccordError as error:
        raise fail(error) from None
    found = answer.json()
    console.print(
        f"{agreement}: {found['stored']} of {found['received']} rows stored "
        f"({found['duplicates']} stored before), sources {', '.join(found['sources'])}, "
        f"{found['first']} to {found['last']}",
        highlight=False,
    )


def _problem(answer: httpx.Response) -> str:
    """The service's problem: each located problem on its own line."""
    try:
        body = answer.json()
    except ValueError:
        return f"HTTP {answer.status_code}: {answer.text[:500]}"
    listed = body.get("errors") or []
    lines = [
        f"row {e['line']}, column {e['field']!r}: {e['detail']}"
        if e.get("line") and e.get("field")
        else str(e.get("detail"))
        for e in listed
    ]
    return "\n".join(lines) if len(lines) > 1 else str(body.get("detail", answer.text))


def _into(
    content: bytes,
    name: str,
    into: Path,
    replace: bool,
    source: str | None,
    zone: str,
    sheet: str | None,
) -> None:
    from accord.io.sheets import read_sheet

    target = into / "measurements.csv"
    if target.exists() and not replace:
        raise AccordError(f"{target}: already there; --replace to overwrite it")
    rows = read_sheet(content, name, source=source, timezone=zone, sheet=sheet)
    columns = list(dict.fromkeys(c for r in rows for c in r.fields))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["source", "at", *columns])
    for row in rows:
        writer.writerow([row.source, row.at.isoformat(), *(row.fields.get(c, "") for c in columns)])
    try:
        into.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise AccordError(f"--into {into}: {error.strerror or error}") from None
    _write(target, text.getvalue())
    errors.print(f"{target}: {len(rows)} measurements from {name}", highlight=False)
