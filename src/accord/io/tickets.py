"""Ticket event logs from files: JSON Lines, CSV, and exports of other desks through a mapping.

Three shapes of log are read:

* an **event log** (``kind: events``): one row per event with its id, ticket, instant, kind
  (created, updated, comment, resolved, reopened, closed), the fields it sets, and for comments
  the author's role and visibility. This is Accord's own JSON Lines format:
  ``{"id": "e1", "ticket": "T1", "at": "2026-03-09T09:00:00-05:00", "kind": "created",
  "fields": {"priority": "P1", "status": "New"}}``;
* a **snapshot log** (``kind: snapshots``), as audit exports of ServiceNow and others: one row
  per update, carrying every field's value after it. Each ticket becomes a ``created`` event at
  its creation instant and one ``updated`` event per row with the fields that changed;
* an **activity log** (``kind: activities``): one row per activity of a case, each activity
  mapped to what it means for the clocks (:mod:`accord.io.activities`).

A mapping's ``ignore`` leaves rows out and its ``values`` translate a column's values, for every
shape, before the rows are read.

A mapping (YAML) names the columns; see ``examples/servicenow/mapping.yaml``. Bad rows raise a
:class:`TicketLogError` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, overload
from zoneinfo import ZoneInfo

from accord.core.clocks import KIND_ORDER, TicketEvent
from accord.core.clocks_batch import EventColumns, moves
from accord.core.errors import AccordError
from accord.io.mapping import ColumnMapping as ColumnMapping  # where it was first defined
from accord.io.mapping import shown_columns
from accord.io.text import text_lines

_KINDS = ("created", "updated", "comment", "resolved", "reopened", "closed")
_ROLES = ("agent", "customer", "third_party")


class TicketLogError(AccordError, ValueError):
    """A row of a ticket log that cannot be read, with its file, line and column."""


def read_events(path: str | Path, mapping: ColumnMapping | None = None) -> list[TicketEvent]:
    """Every event of a log file (format from the mapping, or from the file's suffix)."""
    file = Path(path)
    mapping = mapping or ColumnMapping()
    if _is_csv(file, mapping):
        from accord.io.csv_snapshots import csv_rows, event_log_events, snapshot_events

        # in columns, when that reading vouches for giving what the row-by-row reading would
        if mapping.kind != "activities":
            read = snapshot_events if mapping.kind == "snapshots" else event_log_events
            events = read(file, mapping)
            if events is not None:
                return events
        else:
            rows = csv_rows(file, mapping)
            if rows is not None:
                return _events_by_row(file, mapping, iter(rows))
    return _events_by_row(file, mapping)


def read_log_columns(path: str | Path, mapping: ColumnMapping | None = None) -> EventColumns | None:
    """A CSV snapshot or event log read straight into columns, for a report: the columns
    ``EventColumns.from_events(read_events(path, mapping))`` gives, without an event object per
    row. None for any other log, and whenever the column reading gives up (see
    :mod:`accord.io.csv_snapshots`): read it with :func:`read_events` then, whose errors name
    the row."""
    file = Path(path)
    mapping = mapping or ColumnMapping()
    if not _is_csv(file, mapping) or mapping.kind == "activities":
        return None
    from accord.io.csv_snapshots import log_columns

    found = log_columns(file, mapping, with_events=False)
    return found if isinstance(found, EventColumns) else None


def read_log(
    path: str | Path, mapping: ColumnMapping | None = None
) -> EventColumns | list[TicketEvent]:
    """A log for a report: a CSV snapshot or event log in columns (:func:`read_log_columns`)
    when that reading vouches for them, else its events (:func:`read_events`). A CSV log is
    parsed once either way: one the columns give up on goes to the reading its events would
    have come to (the row-by-row reading, or the events of an event log giving an id twice)
    without being parsed into columns again."""
    file = Path(path)
    mapping = mapping or ColumnMapping()
    if _is_csv(file, mapping) and mapping.kind != "activities":
        from accord.io.csv_snapshots import log_columns

        found = log_columns(file, mapping)
        if found is not None:
            return found
        return _events_by_row(file, mapping)
    return read_events(file, mapping)


def _is_csv(file: Path, mapping: ColumnMapping) -> bool:
    """Whether the log is CSV: as its mapping says, else by the file's suffix."""
    return mapping.format == "csv" or (mapping.format is None and _plain(file).suffix == ".csv")


def _plain(file: Path) -> Path:
    return file.with_suffix("") if file.suffix == ".gz" else file


def _events_by_row(
    file: Path, mapping: ColumnMapping, csv_rows: Iterator[tuple[int, dict[str, Any]]] | None = None
) -> list[TicketEvent]:
    """Every event of a log file, its rows read one by one (the reference the column readers
    are checked against, and their fallback); a CSV file's rows as given, if given."""
    plain = _plain(file)
    suffixes = {".csv": "csv", ".parquet": "parquet", ".xes": "xes"}
    form = mapping.format or suffixes.get(plain.suffix, "jsonl")
    rows: Iterator[tuple[int, dict[str, Any]]]
    if form == "xes":
        return _xes_events(file, mapping)
    if form == "parquet":
        columns = _parquet_columns(file, mapping)
        if (
            mapping.kind == "events"
            and mapping.order is None
            and not mapping.values
            and not mapping.ignore
        ):
            events = _parquet_events(columns, mapping)  # when every row is sound
            if events is not None:
                return events
        rows = _rows_of(columns)
    elif form == "csv":
        rows = _csv_rows(file, mapping) if csv_rows is None else csv_rows
    else:
        rows = _jsonl_rows(file)
        if mapping.named():
            rows = _with_named_keys(list(rows), mapping, file)
    if mapping.kind == "activities":
        from accord.io.activities import activity_events  # (it reads rows as this module does)

        return activity_events(rows, mapping, str(file))
    if mapping.values or mapping.ignore:
        rows = _translated(rows, mapping)
    if mapping.kind == "snapshots":
        return list(_from_snapshots(rows, mapping, str(file)))
    found = list(rows)
    positions = _positions(found, mapping, str(file))
    return [
        _event(row, line, mapping, str(file), position)
        for (line, row), position in zip(found, positions, strict=True)
    ]


def _xes_events(file: Path, mapping: ColumnMapping) -> list[TicketEvent]:
    """The events of an IEEE XES log (:mod:`accord.io.xes`), read through an activity mapping
    whose ticket, activity, instant and resource columns are the standard XES keys unless the
    mapping names others; dates without an offset are read in the mapping's zone."""
    from accord.io.activities import activity_events
    from accord.io.xes import XES_COLUMNS, iter_xes_rows

    if mapping.kind != "activities":
        raise TicketLogError(
            f"{file}: an XES log is one row per activity of a case; expected a mapping of "
            f"kind: activities (this one is kind: {mapping.kind}), naming what each activity "
            "means for the clocks"
        )
    standard = {
        key: column
        for key, column in XES_COLUMNS.items()
        if key in type(mapping).model_fields and key not in mapping.model_fields_set
    }
    read = mapping.model_copy(update=standard)
    seen: set[str] = set()

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, row in enumerate(iter_xes_rows(file, zone=ZoneInfo(read.timezone)), 1):
            seen.update(row)
            yield number, row

    events = activity_events(rows(), read, str(file), lambda number: f"{file}: event {number}")
    # an XES log has no header to check: a column the mapping names (not a standard key it
    # took by default) that no event has is an error, as in a CSV, not a field left empty
    named = {key: column for key, column in read.columns().items() if key not in standard}
    absent = {key: column for key, column in named.items() if column not in seen}
    if absent and seen:
        keys = sorted(seen)
        missing = ", ".join(mapping.absent_column(k, c, keys) for k, c in absent.items())
        raise TicketLogError(
            f"{file}: no event has {missing}; its events' keys are {shown_columns(keys)}"
        )
    return events


def _with_named_keys(
    rows: list[tuple[int, dict[str, Any]]], mapping: ColumnMapping, file: Path
) -> Iterator[tuple[int, dict[str, Any]]]:
    """A JSON Lines log's rows, once checked to have, in some row, each column the mapping
    names: such a log has no header, and a column no row has is a name misspelt, not a value
    every row lacks (an author column no row has would leave every reply the customer's)."""
    seen: dict[str, None] = {}
    for _, row in rows:
        seen.update(dict.fromkeys(row))
    keys = list(seen)
    absent = {key: column for key, column in mapping.named().items() if column not in seen}
    if absent and rows:
        missing = ", ".join(mapping.absent_column(k, c, keys) for k, c in absent.items())
        raise TicketLogError(
            f"{file}: no row has {missing}; its rows' keys are {shown_columns(keys)}"
        )
    return iter(rows)


def _translated(
    rows: Iterator[tuple[int, dict[str, Any]]], mapping: ColumnMapping
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows the mapping's ``ignore`` keeps, their values translated (``values``)."""
    for line, row in rows:
        kept = mapping.translate(row)
        if kept is not None:
            yield line, kept


def _positions(
    rows: Sequence[tuple[int, Mapping[str, Any]]], mapping: ColumnMapping, source: str
) -> list[int]:
    """Each row's place in the source, which orders events at one instant: its row number, or
    with an ``order`` column its rank by that column's number (then by row number)."""
    if mapping.order is None:
        return [line for line, _ in rows]
    keys = [(_order(line, row, mapping, source), line) for line, row in rows]
    rank = sorted(range(len(rows)), key=keys.__getitem__)
    positions = [0] * len(rows)
    for place, index in enumerate(rank):
        positions[index] = place
    return positions


def _jsonl_rows(file: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    yield from json_objects(text_lines(file), str(file), TicketLogError)


def json_objects(
    lines: Iterable[str], source: str, error: type[AccordError]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The JSON objects of a JSON Lines stream with their line numbers; a bad line raises
    ``error`` naming the file and line."""
    for line, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as problem:
            raise error(f"{source}:{line}: not valid JSON: {problem.msg}") from None
        if not isinstance(row, dict):
            raise error(f"{source}:{line}: expected a JSON object per line")
        yield line, row


def _parquet_rows(file: Path, mapping: ColumnMapping) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of a Parquet file (row numbers from 1); a ``fields`` struct column is kept as a dict
    (the values of each column as :func:`_parquet_columns` gives them)."""
    return _rows_of(_parquet_columns(file, mapping))


def _rows_of(columns: dict[str, list[Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of columns of values, numbered from 1."""
    names = list(columns)
    for number, row in enumerate(zip(*columns.values(), strict=True), 1):
        yield number, dict(zip(names, row, strict=True))


def _parquet_columns(file: Path, mapping: ColumnMapping) -> dict[str, list[Any]]:
    """The values of each column of a Parquet file, converted a column at a time: the instants
    of the ``at`` column stay datetimes (the other timestamp columns become ISO 8601 text, as a
    field's value), and text in ``missing`` is no value."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file)
    except Exception as error:  # pyarrow raises several types for unreadable files
        raise TicketLogError(f"{file}: not a readable Parquet file: {error}") from None
    _check_header(table.column_names, mapping, file)
    missing = set(mapping.missing)
    columns: dict[str, list[Any]] = {}
    for name in table.column_names:
        column = table.column(name)
        values: list[Any]
        if pa.types.is_timestamp(column.type):
            values = _timestamps(column, f"{file}: column {name!r}")
            if name != mapping.at:
                values = [None if v is None else v.isoformat() for v in values]
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            values = [None if v in missing else v for v in column.to_pylist()]
        else:  # another type: a text among its values (dictionary-encoded, mixed)
            values = [
                None if isinstance(v, str) and v in missing else v for v in column.to_pylist()
            ]
        columns[name] = values
    return columns


def _parquet_events(
    columns: dict[str, list[Any]], mapping: ColumnMapping
) -> list[TicketEvent] | None:
    """The events of a Parquet log's columns (:func:`_parquet_columns`), a column at a time, as
    :func:`_event` would make them from each row; None when some row needs that row-by-row
    reading (a value missing, of another type or unknown: its error names the row)."""
    ids, tickets, instants, kinds = (
        columns.get(c) for c in (mapping.id, mapping.ticket, mapping.at, mapping.event)
    )
    if ids is None or tickets is None or instants is None or kinds is None:
        return None
    count = len(ids)
    authors = columns.get(mapping.author) or [None] * count
    if (
        not set(map(type, ids)) <= {str}
        or not set(map(type, tickets)) <= {str}
        or not set(map(type, instants)) <= {datetime}
        or not set(kinds) <= set(_KINDS)
        or not set(authors) <= {*_ROLES, None}
    ):
        return None
    zone = ZoneInfo(mapping.timezone)
    moments = [m if m.tzinfo else m.replace(tzinfo=zone) for m in instants]
    structs = columns.get("fields") or [None] * count
    mapped = [(name, columns[c]) for name, c in mapping.fields.items() if c in columns]
    publics = columns.get(mapping.public)

    def fields_of(row: int) -> dict[str, str]:
        struct = structs[row]
        found = (
            {k: str(v) for k, v in struct.items() if v is not None}
            if isinstance(struct, dict)
            else {}
        )
        for name, values in mapped:
            if values[row] is not None:
                found[name] = str(values[row])
        return found

    def public_of(row: int) -> bool:
        value = True if publics is None else publics[row]
        return value if isinstance(value, bool) else str(value).lower() not in ("false", "0", "no")

    return [
        TicketEvent(
            id=ids[row],
            ticket=tickets[row],
            at=moments[row],
            kind=kinds[row],
            fields=fields_of(row),
            author=authors[row],
            public=public_of(row),
            position=row + 1,
        )
        for row in range(count)
    ]


def _timestamps(column: Any, where: str) -> list[datetime | None]:
    """A Parquet timestamp column as datetimes (aware in the column's zone, naive without one),
    built from its microseconds (finer units floored to the microsecond, as a datetime holds):
    several times faster than pyarrow's conversion per value."""
    import pyarrow as pa

    zone = column.type.tz
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[column.type.unit]
    ticks = column.cast(pa.int64()).to_pylist()
    if per_second >= 1_000_000:
        step = per_second // 1_000_000
        micros = ticks if step == 1 else [None if v is None else v // step for v in ticks]
    else:
        step = 1_000_000 // per_second
        micros = [None if v is None else v * step for v in ticks]
    if zone is None:
        naive = datetime(1970, 1, 1)
        return [None if v is None else naive + timedelta(microseconds=v) for v in micros]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    found = [None if v is None else epoch + timedelta(microseconds=v) for v in micros]
    if zone.upper() in ("UTC", "+00:00", "Z", "ETC/UTC", "GMT"):
        return found
    try:
        if zone[0] in "+-":  # a fixed offset, as pyarrow writes one
            here = datetime.fromisoformat(f"2000-01-01T00:00:00{zone}").tzinfo
        else:
            here = ZoneInfo(zone)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise TicketLogError(f"{where}: unknown time zone {zone!r} of its timestamps") from None
    return [None if v is None else v.astimezone(here) for v in found]


def _csv_rows(file: Path, mapping: ColumnMapping) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(text_lines(file))
    _check_header(reader.fieldnames or [], mapping, file)
    for row in reader:
        yield (
            reader.line_num,
            {k: (None if v in mapping.missing else v) for k, v in row.items()},
        )


def _check_header(header: Sequence[str], mapping: ColumnMapping, file: Path) -> None:
    problem = mapping.absent_columns(header)
    if problem:
        raise TicketLogError(f"{file}: {problem}")


def _value(row: Mapping[str, Any], column: str, where: str, required: bool = True) -> Any:
    value = row.get(column)
    if value is None and required:
        raise TicketLogError(f"{where}: column {column!r}: missing value")
    return value


def _instant(text: Any, column: str, mapping: ColumnMapping, where: str) -> datetime:
    try:
        if isinstance(text, datetime):  # a Parquet timestamp column
            moment = text
        elif mapping.time_format:
            moment = datetime.strptime(str(text), mapping.time_format)
        else:
            moment = datetime.fromisoformat(str(text))
    except ValueError:
        expected = mapping.time_format or "ISO 8601 such as 2026-03-09T09:00:00-05:00"
        raise TicketLogError(
            f"{where}: column {column!r}: malformed instant {text!r}; expected {expected}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(mapping.timezone))


def _event(
    row: Mapping[str, Any], line: int, mapping: ColumnMapping, source: str, position: int
) -> TicketEvent:
    where = f"{source}:{line}"
    kind = _value(row, mapping.event, where)
    if kind not in _KINDS:
        raise TicketLogError(
            f"{where}: column {mapping.event!r}: unknown event kind {kind!r}; expected "
            + ", ".join(_KINDS)
        )
    author = _value(row, mapping.author, where, required=False)
    if author is not None and author not in _ROLES:
        raise TicketLogError(
            f"{where}: column {mapping.author!r}: unknown role {author!r}; expected "
            + ", ".join(_ROLES)
        )
    fields = row.get("fields") if isinstance(row.get("fields"), dict) else {}
    fields = {k: str(v) for k, v in (fields or {}).items() if v is not None}
    fields.update(
        {
            name: str(row[column])
            for name, column in mapping.fields.items()
            if row.get(column) is not None
        }
    )
    public = row.get(mapping.public, True)
    return TicketEvent(
        id=str(_value(row, mapping.id, where)),
        ticket=str(_value(row, mapping.ticket, where)),
        at=_instant(_value(row, mapping.at, where), mapping.at, mapping, where),
        kind=kind,
        fields=fields,
        author=author,
        public=public
        if isinstance(public, bool)
        else str(public).lower() not in ("false", "0", "no"),
        position=position,
    )


def _from_snapshots(
    rows: Iterator[tuple[int, dict[str, Any]]], mapping: ColumnMapping, source: str
) -> Iterator[TicketEvent]:
    by_ticket: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for line, row in rows:
        ticket = str(_value(row, mapping.ticket, f"{source}:{line}"))
        by_ticket.setdefault(ticket, []).append((line, row))
    for ticket, rows_of_ticket in by_ticket.items():
        # in time order, the mapping's order column breaking ties within a minute
        updates = sorted(
            (
                (
                    _instant(
                        _value(row, mapping.at, f"{source}:{line}"),
                        mapping.at,
                        mapping,
                        f"{source}:{line}",
                    ),
                    _order(line, row, mapping, source),
                    line,
                    row,
                )
                for line, row in rows_of_ticket
            ),
            key=lambda update: update[:3],
        )
        previous: dict[str, str] = {}
        for index, (at, _, line, row) in enumerate(updates):
            where = f"{source}:{line}"
            fields = {
                name: str(row[column])
                for name, column in mapping.fields.items()
                if row.get(column) is not None
            }
            # an event's place in the source is its row's in this order (ties follow it)
            if index == 0:
                column = mapping.created_at or mapping.at
                created = _instant(_value(row, column, where), column, mapping, where)
                yield TicketEvent(
                    f"{ticket}:created",
                    ticket,
                    min(created, at),
                    "created",
                    fields,
                    position=index,
                )
            changed = {k: v for k, v in fields.items() if previous.get(k) != v}
            if changed and index > 0:
                yield TicketEvent(
                    f"{ticket}:{line}", ticket, at, "updated", changed, position=index
                )
            previous = fields


def _order(line: int, row: Mapping[str, Any], mapping: ColumnMapping, source: str) -> float:
    if mapping.order is None:
        return 0.0
    value = _value(row, mapping.order, f"{source}:{line}")
    try:
        return float(value)
    except ValueError:
        raise TicketLogError(
            f"{source}:{line}: column {mapping.order!r}: expected a number, got {value!r}"
        ) from None


def write_events(path: str | Path, events: list[TicketEvent]) -> None:
    """Events as Accord's JSON Lines (the format ``read_events`` reads without a mapping)."""
    with Path(path).open("w", encoding="utf-8") as handle:
        for e in events:
            handle.write(json.dumps(event_row(e)) + "\n")


def event_row(e: TicketEvent) -> dict[str, Any]:
    """One event as a row of Accord's JSON Lines."""
    row: dict[str, Any] = {"id": e.id, "ticket": e.ticket, "at": e.at.isoformat(), "kind": e.kind}
    if e.fields:
        row["fields"] = dict(e.fields)
    if e.author is not None:
        row["author"] = e.author
        row["public"] = e.public
    return row


def read_event_columns(path: str | Path, order: str | None = None) -> EventColumns:
    """An event log in Parquet (Accord's columns: id, ticket, at, kind, fields struct, author,
    public) as columns for the batch evaluation, without a Python object per event.

    Text columns are read as dictionaries (codes, not strings). Tickets come in runs in most
    logs: a ticket's code is then its run's number (only the runs' first ids are hashed, to
    check that no ticket has two runs). Events of a ticket at one instant are applied in the
    source's order, as :func:`read_events` gives it to the replay: the number in the ``order``
    column if one is named, else the row number; ids tell one event given twice (it keeps its
    first place). Ids and that column are read only when the log has such ties."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as error:  # pyarrow raises several types for unreadable files
        raise TicketLogError(f"{path}: not a readable Parquet file: {error}") from None
    missing = {"id", "ticket", "at", "kind"} - set(schema.names)
    if missing:
        raise TicketLogError(f"{path}: missing column(s) {', '.join(sorted(missing))}")

    def textual(kind: pa.DataType) -> bool:
        return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))

    wanted = [
        c for c in ("ticket", "at", "kind", "fields", "author", "public") if c in schema.names
    ]
    as_dictionary: list[str] = [
        c for c in ("kind", "author") if c in wanted and textual(schema.field(c).type)
    ]
    struct_type = schema.field("fields").type if "fields" in wanted else None
    if struct_type is not None and pa.types.is_struct(struct_type):
        as_dictionary += [
            f"fields.{struct_type.field(i).name}"
            for i in range(struct_type.num_fields)
            if textual(struct_type.field(i).type)
        ]
    try:
        table = pq.read_table(path, columns=wanted, read_dictionary=as_dictionary)
    except Exception as error:
        raise TicketLogError(f"{path}: not a readable Parquet file: {error}") from None

    def encoded(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column.cast(pa.string()))
        if column.num_chunks != 1:
            column = column.unify_dictionaries()
        array = column.combine_chunks()
        indices = array.indices
        codes = indices.to_numpy(zero_copy_only=False) if not indices.null_count else None
        if codes is None:  # no value: -1 (read from the validity bits, faster than fill_null)
            start, n = indices.offset, len(indices)
            values = np.frombuffer(indices.buffers()[1], dtype=indices.type.to_pandas_dtype())
            values = values.astype(np.int64) if values.dtype.kind == "u" else values
            bits = np.frombuffer(indices.buffers()[0], dtype=np.uint8)
            valid = np.unpackbits(bits, count=start + n, bitorder="little")[start:].view(bool)
            codes = np.where(valid, values[start : start + n], -1)
        return codes, [str(v) for v in array.dictionary.to_pylist()]

    ticket, tickets = _ticket_codes(table["ticket"])
    kind_codes, kinds = encoded(table["kind"])
    unknown = [k for k in kinds if k not in KIND_ORDER]
    if unknown:
        raise TicketLogError(
            f"{path}: column 'kind': unknown event kind {unknown[0]!r}; expected "
            + ", ".join(_KINDS)
        )
    kind = np.array([KIND_ORDER[k] for k in kinds] + [-1], dtype=np.int32)[kind_codes]
    if (kind < 0).any():
        raise TicketLogError(f"{path}: column 'kind': missing value")
    at_type = schema.field("at").type
    if not pa.types.is_timestamp(at_type) or at_type.tz is None:
        raise TicketLogError(
            f"{path}: column 'at': expected timestamps with a time zone, got {at_type}"
        )
    at_column = table["at"]
    if at_type.unit == "us" and not at_column.null_count:  # the usual unit: no cast
        at = np.empty(len(kind), dtype=np.int64)
        done = 0
        for chunk in at_column.chunks:  # chunk by chunk: no copy of the column
            if not len(chunk):
                continue
            micros = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
            micros = micros[chunk.offset : chunk.offset + len(chunk)]
            np.multiply(micros, 1000, out=at[done : done + len(chunk)])
            done += len(chunk)
    else:
        at_ns = at_column.combine_chunks().cast(pa.timestamp("ns", tz="UTC"))
        at = at_ns.to_numpy(zero_copy_only=False).astype("datetime64[ns]").view(np.int64)
    if order is not None and order not in schema.names:
        raise TicketLogError(f"{path}: no column {order!r} (the mapping's order)")
    rows, sources, tied = moves(ticket, at, kind)
    if tied:  # the source's order decides some rows; ids tell one event given twice
        rank = _source_ranks(path, order)
        rows, sources, tied = moves(ticket, at, kind, rank)
    else:  # no ties: any rank gives the same order
        rank = np.arange(len(at), dtype=np.int32 if len(at) < 2**31 - 1 else np.int64)

    # the rows in evaluation order, here once: most logs have only a few rows to move
    def in_order(values: np.ndarray) -> np.ndarray:
        if rows is None:
            return values
        values = values if values.flags.writeable else values.copy()
        values[rows] = values[sources]
        return values

    comment = kind == KIND_ORDER["comment"]
    agent = np.zeros(len(kind), dtype=bool)
    customer = np.zeros(len(kind), dtype=bool)
    if "author" in table.column_names:
        author_codes, authors = encoded(table["author"])
        if "agent" in authors:
            agent = author_codes == authors.index("agent")
        if "customer" in authors:
            customer = author_codes == authors.index("customer")
    public = (
        table["public"].fill_null(True).to_numpy(zero_copy_only=False).astype(bool)
        if "public" in table.column_names
        else np.ones(len(kind), dtype=bool)
    )
    fields: Mapping[str, tuple[np.ndarray, list[str]]] = {}
    if struct_type is not None and pa.types.is_struct(struct_type):

        def encoded_in_order(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
            codes, vocabulary = encoded(column)
            return in_order(codes), vocabulary

        fields = _Fields(table["fields"], struct_type, encoded_in_order)
    return EventColumns(
        tickets=tickets,
        ticket=in_order(ticket),
        at=in_order(at),
        kind=in_order(kind),
        rank=in_order(rank),
        agent_reply=in_order(comment & agent & public),
        customer_message=in_order(comment & customer),
        fields=fields,
        arranged=(None, tied),
    )


def read_ticket_columns(path: str | Path) -> EventColumns:
    """A Parquet event log (Accord's columns) as columns holding the same events that
    :func:`read_events` reads from it, judged alike: read straight into columns
    (:func:`read_event_columns`) when the file says that is the same (timestamps with a zone,
    fields as text, ``public`` as booleans, each id once, each id, ticket and author a known
    value), else through the events (a row :func:`read_events` refuses is then an error naming
    it)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as error:  # pyarrow raises several types for unreadable files
        raise TicketLogError(f"{path}: not a readable Parquet file: {error}") from None

    def textual(kind: pa.DataType) -> bool:
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))

    names = set(schema.names)
    fields = schema.field("fields").type if "fields" in names else None
    plain = (
        {"id", "ticket", "at", "kind"} <= names
        and pa.types.is_timestamp(schema.field("at").type)
        and schema.field("at").type.tz is not None
        and schema.field("at").type.unit != "ns"  # an event's instant is to the microsecond
        and all(textual(schema.field(c).type) for c in ("id", "ticket", "kind"))
        and ("author" not in names or textual(schema.field("author").type))
        and ("public" not in names or pa.types.is_boolean(schema.field("public").type))
        and (
            fields is None
            or not pa.types.is_struct(fields)
            or all(textual(fields.field(i).type) for i in range(fields.num_fields))
        )
    )
    if plain:
        table = pq.read_table(path, columns=["id", *(["author"] if "author" in names else [])])
        ids = table["id"]
        sound = (
            not ids.null_count
            and not pc.any(pc.equal(ids, "")).as_py()
            and pc.count_distinct(ids).as_py() == len(ids)  # each event once
        )
        if sound and "author" in names:
            authors = pc.unique(table["author"].cast(pa.string())).to_pylist()
            sound = set(authors) <= {*_ROLES, None, ""}
        if sound:
            try:
                columns = read_event_columns(path)
            except TicketLogError:
                columns = None  # read through the events: the error names the row
            if columns is not None and not _has_empty(columns.tickets):
                return columns
    return EventColumns.from_events(read_events(path))


def _has_empty(tickets: Sequence[str]) -> bool:
    """Whether a ticket's name is empty (a missing value to :func:`read_events`)."""
    if isinstance(tickets, _Texts):
        import pyarrow.compute as pc

        return bool(pc.any(pc.equal(tickets.values, "")).as_py())
    return "" in tickets


def _source_ranks(path: str | Path, order: str | None) -> Any:
    """Each row's rank among the events: the place in the source (the ``order`` column's
    number, then the row number) of its id's first row, so that one event given twice has one
    rank (see :func:`accord.core.clocks.distinct`)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["id"] if order is None else ["id", order])
    ids = pc.dictionary_encode(table["id"].cast(pa.string()).combine_chunks())
    codes = ids.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n = len(codes)
    position = np.arange(n, dtype=np.int64)
    if order is not None:
        column = table[order]
        if column.null_count:
            raise TicketLogError(f"{path}: column {order!r}: missing value")
        try:
            values = column.cast(pa.float64()).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise TicketLogError(
                f"{path}: column {order!r}: expected numbers, got {column.type}"
            ) from None
        position[np.lexsort((np.arange(n), values))] = np.arange(n)
    first = np.full(len(ids.dictionary), n, dtype=np.int64)
    np.minimum.at(first, codes, position)
    return first[codes]


class _Fields(Mapping[str, tuple[Any, list[str]]]):
    """The ``fields`` struct column as codes by field name, each field encoded when first asked
    for (an evaluation reads only the fields its agreement names)."""

    def __init__(self, struct: Any, struct_type: Any, encode: Any) -> None:
        self.struct, self.encode = struct, encode
        self.index = {struct_type.field(i).name: i for i in range(struct_type.num_fields)}
        self.found: dict[str, tuple[Any, list[str]]] = {}

    def __getitem__(self, name: str) -> tuple[Any, list[str]]:
        if name not in self.found:
            import pyarrow.compute as pc

            self.found[name] = self.encode(pc.struct_field(self.struct, [self.index[name]]))
        return self.found[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


def _ticket_codes(column: Any) -> tuple[Any, Sequence[str]]:
    """A code for each row's ticket, and the tickets by code. Codes ascend with a ticket's first
    row; a log whose tickets come in runs is coded by run, hashing only the runs' first ids."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    values = column if pa.types.is_string(column.type) else column.cast(pa.string())
    if values.null_count:
        raise TicketLogError("column 'ticket': missing value")
    n = len(values)
    boundary = np.ones(n, dtype=bool)
    if n > 1:
        boundary[1:] = pc.not_equal(values[1:], values[:-1]).to_numpy()
    heads = values.take(pa.array(np.flatnonzero(boundary))).combine_chunks()
    if _ascending(heads) or len(pc.unique(heads)) == len(heads):  # each ticket one run
        return np.cumsum(boundary, dtype=np.int32) - 1, _Texts(heads)
    dictionary = pc.dictionary_encode(values.combine_chunks())
    codes = dictionary.indices.to_numpy(zero_copy_only=False).copy()
    return codes, _Texts(dictionary.dictionary)


def _ascending(texts: Any) -> bool:
    """Whether the texts ascend strictly by length, then by text (as "T9", "T10" and
    "INC0012", "INC0013" do): distinct then, without hashing them."""
    import pyarrow.compute as pc

    if len(texts) < 2:
        return True
    lengths = pc.binary_length(texts).to_numpy(zero_copy_only=False)
    longer = lengths[1:] > lengths[:-1]
    if bool((lengths[1:] < lengths[:-1]).any()):
        return False
    after = pc.greater(texts[1:], texts[:-1]).to_numpy(zero_copy_only=False)
    return bool((longer | after).all())


class _Texts(Sequence[str]):
    """A pyarrow string array as a sequence of ``str``, converted one item at a time (a log's
    million ticket ids are not turned into Python strings unless asked for)."""

    def __init__(self, values: Any) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [str(v) for v in self.values[index].to_pylist()]
        return str(self.values[int(index)].as_py())

    def index(self, value: Any, start: int = 0, stop: int = sys.maxsize) -> int:
        """Where a text is (found in C, not one item at a time)."""
        import pyarrow.compute as pc

        if start or stop != sys.maxsize or not isinstance(value, str):
            return super().index(value, start, stop)
        found = int(pc.index(self.values, value).as_py())
        if found < 0:
            raise ValueError(f"{value!r} is not in the texts")
        return found

    def taken(self, indices: Sequence[int]) -> list[str]:
        """The texts at these indices, converted together (a report's breached tickets)."""
        import pyarrow as pa

        return [str(v) for v in self.values.take(pa.array(indices, pa.int64())).to_pylist()]
