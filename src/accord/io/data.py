"""A data folder for reports: outages, maintenance, ticket events and measurements.

Files (JSON Lines, CSV or Parquet, each optional): ``outages`` (service, start, end, impact,
cause, id), ``maintenance`` (service, start, end, announced_at, id), ``tickets.jsonl`` (ticket
events, see :mod:`accord.io.tickets`), ``measurements`` (source, at, then any fields),
``probes`` (service, at, ok) and ``requests`` (service, at: the slice's start, good, total).
The ticket log may be ``tickets.parquet`` instead (Accord's columns: id, ticket, at, kind, a
``fields`` struct, author, public), read straight into columns
(:func:`accord.io.tickets.read_ticket_columns`): a report then judges it without an object
per event.
Instants are ISO 8601 with an offset (in Parquet: timestamps with a time zone, or such text).
A bad row raises :class:`DataError` naming the file, line (Parquet: row) and column.

``coverage.yaml`` (optional) says which span the folder's evidence is complete over::

    from: 2026-10-01T00:00:00+00:00   # what happened from here ...
    until: 2026-11-01T00:00:00+00:00  # ... to here is all in this folder

Without it, the evidence covers the span from its first record to its last (see
:meth:`accord.core.evidence.Data.span`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from accord.core.agreement import Problem
from accord.core.availability import MaintenanceWindow, Outage
from accord.core.errors import AccordError, SpecError
from accord.core.evidence import Data, Measurement, Probe, Requests
from accord.io.text import text_lines
from accord.io.tickets import json_objects, read_events, read_ticket_columns
from accord.io.yamlfile import LocatedProblem, YamlDocument

_CAUSES = ("provider", "customer", "third_party", "force_majeure")


class DataError(AccordError, ValueError):
    """A row of a data file that cannot be read."""


# the columns each kind of file must have, and those it may have
_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "outages": (("service", "start"), ("end", "impact", "cause", "id")),
    "maintenance": (("service", "start", "end"), ("announced_at", "id")),
    "measurements": (("source", "at"), ("the measured fields",)),
    "probes": (("service", "at", "ok"), ()),
    "requests": (("service", "at", "good", "total"), ()),
}
_SUFFIXES = (".jsonl", ".csv", ".parquet")


def read_data(folder: str | Path) -> Data:
    """Everything in a data folder; a data file it would not read is an error, not left out."""
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    _refuse_unknown_files(root)
    tickets = root / "tickets.jsonl"
    in_columns = root / "tickets.parquet"
    if tickets.exists() and in_columns.exists():
        raise DataError(f"{root}: tickets.jsonl and tickets.parquet: one ticket log, not two")
    return Data(
        outages=tuple(_outage(row, where) for row, where in _rows(root, "outages")),
        maintenance=tuple(_maintenance(row, where) for row, where in _rows(root, "maintenance")),
        tickets=tuple(read_events(tickets)) if tickets.exists() else (),
        measurements=tuple(_measurement(row, where) for row, where in _rows(root, "measurements")),
        probes=tuple(_probe(row, where) for row, where in _rows(root, "probes")),
        requests=tuple(_requests(row, where) for row, where in _rows(root, "requests")),
        observed=read_coverage(root / "coverage.yaml"),
        ticket_columns=read_ticket_columns(in_columns) if in_columns.exists() else None,
    )


def read_coverage(path: Path) -> tuple[datetime, datetime] | None:
    """The span a data folder's ``coverage.yaml`` declares (None without the file)."""
    if not path.exists():
        return None
    try:
        document = YamlDocument.read(path)
    except SpecError as error:
        raise DataError(str(error)) from None
    span, problems = coverage_of(document)
    if problems:
        raise DataError(str(problems[0]))
    return span


def coverage_of(
    document: YamlDocument,
) -> tuple[tuple[datetime, datetime] | None, list[LocatedProblem]]:
    """The span a coverage document declares, or the problems with it (file and line)."""
    source, data = document.source, document.data

    def problem(key: str | None, message: str) -> LocatedProblem:
        line, column = document.position_of((key,) if key else ()) or (None, None)
        return LocatedProblem(source, line, column, Problem((key,) if key else (), message))

    example = "from: 2026-10-01T00:00:00+00:00 and until: 2026-11-01T00:00:00+00:00"
    if not isinstance(data, dict) or set(data) != {"from", "until"}:
        found = ", ".join(map(str, data)) if isinstance(data, dict) else type(data).__name__
        return None, [problem(None, f"expected the keys from and until ({example}), got {found}")]
    bounds = []
    for key in ("from", "until"):
        value = data[key]
        text = value.isoformat() if isinstance(value, datetime) else value
        try:
            moment = _instant({key: text}, key, source)
        except DataError as error:
            return None, [problem(key, str(error).split(f"column {key!r}: ", 1)[-1])]
        assert moment is not None
        bounds.append(moment)
    if bounds[1] <= bounds[0]:
        message = f"{bounds[1].isoformat()} must come after from: {bounds[0].isoformat()}"
        return None, [problem("until", message)]
    return (bounds[0], bounds[1]), []


def _refuse_unknown_files(root: Path) -> None:
    """A data file under a name no reader looks for (outage.csv, tickets.csv) would silently
    count as no data."""
    known = {f"{name}{suffix}" for name in _COLUMNS for suffix in _SUFFIXES}
    known |= {"tickets.jsonl", "tickets.parquet"}
    for path in sorted(root.iterdir()):
        data_like = path.suffix in (*_SUFFIXES, ".json", ".gz", ".tsv")
        if path.is_file() and data_like and path.name not in known:
            expected = ", ".join(_COLUMNS)
            raise DataError(
                f"{path}: not a data file Accord reads; expected {expected} (.jsonl, .csv or "
                ".parquet) or tickets.jsonl (or .parquet)"
            )


def _check_header(header: list[str], name: str, path: Path) -> None:
    required, optional = _COLUMNS[name]
    absent = [c for c in required if c not in header]
    if absent:
        may = f" (and may have {', '.join(optional)})" if optional else ""
        found = ", ".join(repr(c) for c in header) or "none"
        raise DataError(
            f"{path}: no column {', '.join(repr(c) for c in absent)}; {name} files need the "
            f"columns {', '.join(required)}{may}; this file's columns are {found}"
        )


def _rows(root: Path, name: str) -> Iterator[tuple[dict[str, Any], str]]:
    for path in (root / f"{name}{suffix}" for suffix in _SUFFIXES):
        if not path.exists():
            continue
        if path.suffix == ".parquet":
            yield from _parquet_rows(path, name)
            continue
        if path.suffix == ".csv":
            reader = csv.DictReader(text_lines(path))
            _check_header(list(reader.fieldnames or []), name, path)
            for row in reader:
                yield (
                    {k: v for k, v in row.items() if v not in ("", None)},
                    (f"{path}:{reader.line_num}"),
                )
            continue
        for line, row in json_objects(text_lines(path), str(path), DataError):
            yield row, f"{path}:{line}"


def _parquet_rows(path: Path, name: str) -> Iterator[tuple[dict[str, Any], str]]:
    """The rows of a Parquet file as mappings (nulls left out, as empty CSV cells), numbered
    from 1; timestamps as aware (or naive, to be refused) datetimes to the microsecond."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        # without pre-buffering, which keeps every row group's bytes read until the file is
        # closed (apache/arrow#39808): a large file is read a batch at a time in memory too
        source = pq.ParquetFile(path, pre_buffer=False)
        _check_header(source.schema_arrow.names, name, path)
        number = 0
        for batch in source.iter_batches(batch_size=65_536):
            columns = []
            for column, kind in zip(batch.columns, batch.schema.types, strict=True):
                if pa.types.is_timestamp(kind) and kind.unit == "ns":
                    column = column.cast(pa.timestamp("us", kind.tz), safe=False)
                columns.append(column)
            table = pa.Table.from_arrays(columns, names=batch.schema.names)
            for row in table.to_pylist():
                number += 1
                yield {k: v for k, v in row.items() if v is not None}, f"{path}: row {number}"
    except (pa.ArrowException, OSError) as error:
        raise DataError(f"{path}: not a readable Parquet file: {error}") from None


def _instant(
    row: dict[str, Any], column: str, where: str, required: bool = True
) -> datetime | None:
    value = row.get(column)
    if value is None:
        if required:
            raise DataError(f"{where}: column {column!r}: missing value")
        return None
    if not isinstance(value, datetime | str):
        raise DataError(
            f"{where}: column {column!r}: expected an instant (a timestamp with a time zone or "
            f"ISO 8601 text), got {type(value).__name__} {value!r}"
        )
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except ValueError:
        raise DataError(
            f"{where}: column {column!r}: malformed instant {value!r}; expected ISO 8601 such as "
            "2026-10-03T14:00:00+00:00"
        ) from None
    if moment.tzinfo is None:
        raise DataError(f"{where}: column {column!r}: {value!r} has no UTC offset; add one")
    if not datetime(1970, 1, 1, tzinfo=UTC) <= moment < datetime(2200, 1, 1, tzinfo=UTC):
        raise DataError(f"{where}: column {column!r}: {value!r} is outside 1970-2200")
    return moment


def _text(row: dict[str, Any], column: str, where: str) -> str:
    value = row.get(column)
    if value is None or str(value).strip() == "":
        raise DataError(f"{where}: column {column!r}: missing value")
    return str(value)


def _outage(row: dict[str, Any], where: str) -> Outage:
    cause = str(row.get("cause", "provider"))
    if cause not in _CAUSES:
        raise DataError(
            f"{where}: column 'cause': unknown cause {cause!r}; expected " + ", ".join(_CAUSES)
        )
    try:
        impact = Decimal(str(row.get("impact", 1)))
    except InvalidOperation:
        raise DataError(f"{where}: column 'impact': expected a number from 0 to 1") from None
    if not Decimal(0) <= impact <= Decimal(1):
        raise DataError(f"{where}: column 'impact': expected a number from 0 to 1, got {impact}")
    start = _instant(row, "start", where)
    assert start is not None
    end = _instant(row, "end", where, required=False)
    if end is not None and end < start:
        raise DataError(f"{where}: column 'end': {end.isoformat()} is before the start")
    return Outage(
        _text(row, "service", where),
        start,
        end,
        impact,
        cause,  # type: ignore[arg-type]
        str(row.get("id", "")),
    )


def _maintenance(row: dict[str, Any], where: str) -> MaintenanceWindow:
    start = _instant(row, "start", where)
    end = _instant(row, "end", where)
    assert start is not None
    assert end is not None
    return MaintenanceWindow(
        _text(row, "service", where),
        start,
        end,
        _instant(row, "announced_at", where, required=False),
        str(row.get("id", "")),
    )


def _measurement(row: dict[str, Any], where: str) -> Measurement:
    at = _instant(row, "at", where)
    assert at is not None
    # a null (JSON) is no value, as an empty CSV cell is
    fields = {k: str(v) for k, v in row.items() if k not in ("source", "at") and v is not None}
    return Measurement(_text(row, "source", where), at, fields)


def _probe(row: dict[str, Any], where: str) -> Probe:
    at = _instant(row, "at", where)
    assert at is not None
    ok = str(row.get("ok", "")).lower()
    if ok not in ("true", "false", "1", "0", "yes", "no"):
        raise DataError(f"{where}: column 'ok': expected true or false, got {row.get('ok')!r}")
    return Probe(_text(row, "service", where), at, ok in ("true", "1", "yes"))


def _requests(row: dict[str, Any], where: str) -> Requests:
    at = _instant(row, "at", where)
    assert at is not None
    counts = []
    for column in ("good", "total"):
        try:
            counts.append(int(str(row.get(column, ""))))
        except ValueError:
            raise DataError(
                f"{where}: column {column!r}: expected a whole number, got {row.get(column)!r}"
            ) from None
    good, total = counts
    if not 0 <= good <= total:
        raise DataError(f"{where}: expected 0 <= good <= total, got good={good}, total={total}")
    return Requests(_text(row, "service", where), at, good, total)


Record = Outage | MaintenanceWindow | Measurement | Probe | Requests
RECORD_KINDS: dict[str, Callable[[dict[str, Any], str], Record]] = {
    "outage": _outage,
    "maintenance": _maintenance,
    "measurement": _measurement,
    "probe": _probe,
    "requests": _requests,
}


def read_record(kind: str, row: dict[str, Any], where: str) -> Record:
    """One row of a kind of data (as in a data folder's file), checked; DataError if bad."""
    try:
        reader = RECORD_KINDS[kind]
    except KeyError:
        expected = ", ".join(RECORD_KINDS)
        raise DataError(f"{where}: unknown kind {kind!r}; expected {expected}") from None
    return reader(row, where)
