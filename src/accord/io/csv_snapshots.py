"""CSV ticket logs read a column at a time: the events :func:`accord.io.tickets.read_events`
makes from them row by row, made from pyarrow's columns.

The cells are parsed by pyarrow's CSV reader; each column's distinct values are translated
(``values``), checked (``missing``, ``ignore``) and parsed (instants, the ``order`` number) once
each, with the functions the row-by-row reading applies (instants in the mapping's
``time_format`` of day, month, year, hours, minutes and seconds matched by Python's own
``strptime`` pattern in pyarrow, then checked as ``strptime`` checks them). A snapshot log's
rows are sorted by ticket, instant, order and line with numpy, and a field's change is a change
of its value's code; an event log's rows become events in place. An activity log's rows are
parsed by pyarrow (:func:`csv_rows`) and read as before.

This path gives up (returns None, and the caller reads the file row by row, which names the row
of any error) whenever it could differ from that reading: a file that is not UTF-8, has a NUL
byte, a lone carriage return, a blank line, a cell spanning lines, a field over the csv
module's size limit, a repeated column name, or rows of the wrong width; a required value
missing or unreadable, an event kind or author role not known; an ``order`` that is not a
number or is NaN; a snapshot log's instants of several kinds of zone (some with an offset,
some without).
"""

from __future__ import annotations

import csv
import gzip
import importlib
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from accord.core.clocks import TicketEvent
from accord.io.mapping import ColumnMapping
from accord.io.tickets import _KINDS, _ROLES

_BOM = b"\xef\xbb\xbf"
_SIMPLE = set("dmYHMS%")  # strptime codes read here with pyarrow
_NULL = -1


def snapshot_events(file: Path, mapping: ColumnMapping) -> list[TicketEvent] | None:
    """The events of a CSV snapshot log, as ``read_events`` makes them; None when this reading
    cannot vouch for that (see the module's docstring)."""
    import numpy as np

    kept = _kept(file, mapping)
    if kept is None:
        return None
    lines, coded = kept
    if not len(lines):
        return []

    ticket_codes, tickets = coded[mapping.ticket]
    at_codes, at_texts = coded[mapping.at]
    if (ticket_codes == _NULL).any() or (at_codes == _NULL).any():
        return None
    zone = ZoneInfo(mapping.timezone)
    instants = _instants(at_texts, mapping, zone)
    if any(instants[c] is None for c in np.unique(at_codes)):
        return None
    keys = _sort_keys(instants)
    if keys is None:
        return None
    order = _order(coded, mapping, len(lines))
    if order is None:
        return None

    # tickets in the order of their first row, as the rows are gathered by ticket
    distinct, first = np.unique(ticket_codes, return_index=True)
    place = np.empty(len(tickets), dtype=np.int64)
    place[distinct[np.argsort(first)]] = np.arange(len(distinct))
    rows = np.lexsort((lines, order, keys[at_codes], place[ticket_codes]))
    ticket_codes, at_codes, lines = ticket_codes[rows], at_codes[rows], lines[rows]
    starts = np.ones(len(rows), dtype=bool)
    starts[1:] = ticket_codes[1:] != ticket_codes[:-1]
    start_of = np.maximum.accumulate(np.where(starts, np.arange(len(rows)), 0))
    index = np.arange(len(rows)) - start_of

    created_at = mapping.created_at or mapping.at
    created_codes, created_texts = coded[created_at]
    created_codes = created_codes[rows]
    if (created_codes[starts] == _NULL).any():
        return None
    created_instants = (
        instants if created_at == mapping.at else _instants(created_texts, mapping, zone)
    )
    if any(created_instants[c] is None for c in np.unique(created_codes[starts])):
        return None

    # in UTC, as an event keeps its instant (converted once a value, not once an event)
    utc = [None if m is None else m.astimezone(UTC) for m in instants]

    changed_any = np.zeros(len(rows), dtype=bool)
    field_rows: list[tuple[str, Any, Any, list[str]]] = []
    for name, column in mapping.fields.items():
        codes, vocabulary = coded[column]
        codes = codes[rows]
        present = codes != _NULL
        changed = present.copy()
        changed[1:] &= codes[1:] != codes[:-1]
        changed &= ~starts
        changed_any |= changed
        field_rows.append((name, codes, present & starts | changed, vocabulary))
    made = starts | changed_any
    event_of = np.cumsum(made) - 1
    fields: list[dict[str, str]] = [{} for _ in range(int(made.sum()))]
    for name, codes, shown, vocabulary in field_rows:
        at_rows = np.flatnonzero(shown)
        for event, code in zip(event_of[at_rows].tolist(), codes[at_rows].tolist(), strict=True):
            fields[event][name] = vocabulary[code]

    events: list[TicketEvent] = []
    made_rows = np.flatnonzero(made)
    for event, (row, ticket_code, at_code, line, place_in_ticket, first_row) in enumerate(
        zip(
            made_rows.tolist(),
            ticket_codes[made_rows].tolist(),
            at_codes[made_rows].tolist(),
            lines[made_rows].tolist(),
            index[made_rows].tolist(),
            starts[made_rows].tolist(),
            strict=True,
        )
    ):
        ticket = tickets[ticket_code]
        if first_row:
            created, at = created_instants[created_codes[row]], instants[at_code]
            assert created is not None
            assert at is not None
            events.append(
                TicketEvent(
                    f"{ticket}:created",
                    ticket,
                    min(created, at).astimezone(UTC),
                    "created",
                    fields[event],
                    position=0,
                )
            )
        else:
            at = utc[at_code]
            assert at is not None
            events.append(
                TicketEvent(
                    f"{ticket}:{line}",
                    ticket,
                    at,
                    "updated",
                    fields[event],
                    position=place_in_ticket,
                )
            )
    return events


def _kept(
    file: Path, mapping: ColumnMapping, also: tuple[str, ...] = ()
) -> tuple[Any, dict[str, tuple[Any, list[str]]]] | None:
    """The line of each row the mapping's ``ignore`` keeps, and the columns it reads (with
    ``also``, if the file has them) coded, their values translated (``values``)."""
    import numpy as np

    table = _table(file, mapping, also=also)
    if table is None:
        return None
    missing = set(mapping.missing)
    coded = {name: _coded(table[name], missing) for name in table.column_names}
    count = table.num_rows
    lines = np.arange(2, count + 2, dtype=np.int64)  # one line a row, after the header
    keep = np.ones(count, dtype=bool)
    for column, left_out in mapping.ignore.items():
        codes, vocabulary = coded[column]
        dropped = np.array([v in left_out for v in vocabulary] + [False], dtype=bool)
        keep &= ~dropped[codes]
    for column, table_of in mapping.values.items():
        codes, vocabulary = coded[column]
        coded[column] = _recoded(codes, [table_of.get(v, v) for v in vocabulary])
    if not keep.all():
        lines = lines[keep]
        coded = {name: (codes[keep], vocabulary) for name, (codes, vocabulary) in coded.items()}
    return lines, coded


def event_log_events(file: Path, mapping: ColumnMapping) -> list[TicketEvent] | None:
    """The events of a CSV event log (``kind: events``), as ``read_events`` makes them row by
    row; None when this reading cannot vouch for that (see the module's docstring; also a kind
    or author not known)."""
    import numpy as np

    kept = _kept(file, mapping, also=(mapping.author, mapping.public))
    if kept is None:
        return None
    lines, coded = kept
    if not len(lines):
        return []
    required = [coded[c] for c in (mapping.id, mapping.ticket, mapping.at, mapping.event)]
    if any((codes == _NULL).any() for codes, _ in required):
        return None
    (id_codes, ids), (ticket_codes, tickets), (at_codes, at_texts), (kind_codes, kinds) = required
    if not {kinds[c] for c in np.unique(kind_codes)} <= set(_KINDS):
        return None
    no_codes = np.full(len(lines), _NULL, dtype=np.int64)
    author_codes, authors = coded.get(mapping.author, (no_codes, []))
    if not {authors[c] for c in np.unique(author_codes) if c != _NULL} <= set(_ROLES):
        return None
    instants = _instants(at_texts, mapping, ZoneInfo(mapping.timezone))
    if any(instants[c] is None for c in np.unique(at_codes)):
        return None
    utc = [None if m is None else m.astimezone(UTC) for m in instants]
    public_codes, publics = coded.get(mapping.public, (no_codes, []))
    shown = [v.lower() not in ("false", "0", "no") for v in publics] + [True]
    positions = lines
    order = _order(coded, mapping, len(lines))
    if order is None:
        return None
    if mapping.order is not None:
        positions = np.empty(len(lines), dtype=np.int64)
        positions[np.lexsort((lines, order))] = np.arange(len(lines))
    fields: list[dict[str, str]] = [{} for _ in range(len(lines))]
    for name, column in mapping.fields.items():
        codes, vocabulary = coded[column]
        rows = np.flatnonzero(codes != _NULL)
        for row, code in zip(rows.tolist(), codes[rows].tolist(), strict=True):
            fields[row][name] = vocabulary[code]
    author_of = [*authors, None]
    return [
        TicketEvent(
            id=ids[i],
            ticket=tickets[t],
            at=utc[a],  # each checked above
            kind=kinds[k],
            fields=f,
            author=author_of[w],
            public=shown[p],
            position=place,
        )
        for i, t, a, k, f, w, p, place in zip(
            id_codes.tolist(),
            ticket_codes.tolist(),
            at_codes.tolist(),
            kind_codes.tolist(),
            fields,
            author_codes.tolist(),
            public_codes.tolist(),
            positions.tolist(),
            strict=True,
        )
    ]


def csv_rows(file: Path, mapping: ColumnMapping) -> list[tuple[int, dict[str, Any]]] | None:
    """The rows of a CSV log with their line numbers, as the csv module reads them (a value in
    ``missing`` is None), parsed by pyarrow; None when that could read them otherwise."""
    import numpy as np

    table = _table(file, mapping, every_column=True)
    if table is None:
        return None
    missing = set(mapping.missing)
    columns = []
    for name in table.column_names:
        codes, vocabulary = _coded(table[name], missing)
        values = np.array([*vocabulary, None], dtype=object)
        columns.append(values[codes].tolist())
    names = table.column_names
    return [
        (line, dict(zip(names, row, strict=True)))
        for line, row in enumerate(zip(*columns, strict=True), 2)
    ]


def _table(
    file: Path, mapping: ColumnMapping, every_column: bool = False, also: tuple[str, ...] = ()
) -> Any:
    """The file's columns the mapping reads (or all), as text, or None when pyarrow's reading
    could differ from the csv module's (see the module's docstring)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        if file.suffix == ".gz":
            with gzip.open(file, "rb") as handle:
                data = handle.read()
        else:
            data = file.read_bytes()
    except (OSError, EOFError):
        return None
    data = data.removeprefix(_BOM)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not data or b"\0" in data:
        return None
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):  # a lone carriage return
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(raw == 10)
    line_count = len(breaks) + (0 if data.endswith(b"\n") else 1)
    longest = int(np.diff(breaks, prepend=-1).max()) if len(breaks) else len(data)
    if longest > csv.field_size_limit():
        return None
    header_end = data.find(b"\n")
    first = data[: header_end if header_end >= 0 else len(data)].decode("utf-8")
    header = next(csv.reader([first.removesuffix("\r")]), [])
    if len(set(header)) != len(header) or mapping.absent_columns(header) is not None:
        return None
    named = set(mapping.columns().values()) | (set(also) & set(header))
    wanted = header if every_column else sorted(named)
    try:
        table = pcsv.read_csv(
            pa.BufferReader(data),
            read_options=pcsv.ReadOptions(use_threads=False, block_size=1 << 26),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types={name: pa.string() for name in wanted},
                include_columns=wanted,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows != line_count - 1:  # a blank line, or a cell over several lines
        return None
    return table


def _coded(column: Any, missing: set[str]) -> tuple[Any, list[str]]:
    """A text column as a code per row (-1: a value in ``missing``) and the texts by code."""
    import numpy as np
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column.combine_chunks())
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    vocabulary = [str(v) for v in encoded.dictionary.to_pylist()]
    if missing & set(vocabulary):
        absent = np.array([v in missing for v in vocabulary] + [True], dtype=bool)
        codes = np.where(absent[codes], _NULL, codes)
    return codes, vocabulary


def _recoded(codes: Any, texts: list[str]) -> tuple[Any, list[str]]:
    """Codes whose texts were translated, coded again so that equal texts share one code."""
    import numpy as np

    unique: dict[str, int] = {}
    new = np.array([unique.setdefault(t, len(unique)) for t in texts] + [_NULL], dtype=np.int64)
    return new[codes], list(unique)


def _order(coded: dict[str, tuple[Any, list[str]]], mapping: ColumnMapping, count: int) -> Any:
    """The ``order`` column's number for each row (zeros without one); None when a row has
    none, or one that is not a number or is NaN."""
    import numpy as np

    if mapping.order is None:
        return np.zeros(count)
    codes, texts = coded[mapping.order]
    numbers = [_number(t) for t in texts]
    if (codes == _NULL).any() or any(numbers[c] is None for c in np.unique(codes)):
        return None
    return np.array([*numbers, 0.0], dtype=np.float64)[codes]


def _number(text: str) -> float | None:
    """The ``order`` column's number, as the row-by-row reading takes it (None: unreadable, or
    not a number: NaN sorts differently there)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _instants(texts: list[str], mapping: ColumnMapping, zone: ZoneInfo) -> list[datetime | None]:
    """Each text as the instant the row-by-row reading gives it (None: not one)."""
    form = mapping.time_format
    found = None if form is None else _simple_instants(texts, form)
    if found is None:
        parse: Callable[[str], datetime] = (
            datetime.fromisoformat if form is None else lambda t: datetime.strptime(t, form)
        )
        found = [_or_none(parse, t) for t in texts]
    return [
        None if moment is None else moment if moment.tzinfo else moment.replace(tzinfo=zone)
        for moment in found
    ]


def _or_none(parse: Callable[[str], datetime], text: str) -> datetime | None:
    try:
        return parse(text)
    except ValueError:
        return None


def _simple_instants(texts: list[str], form: str) -> list[datetime | None] | None:
    """Texts in a format of day, month, year, hours, minutes and seconds read as ``strptime``
    reads them: its own pattern, matched from the start, the match covering the whole text (run
    by pyarrow over all texts at once), the numbers a valid date (checked with numpy); a text
    that does not match is read by ``strptime`` itself. None for another format."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    codes = set()
    at = form.find("%")
    while 0 <= at < len(form) - 1:
        codes.add(form[at + 1])
        at = form.find("%", at + 2)
    if not codes <= _SIMPLE or not {"d", "m", "Y"} <= codes or not texts:
        return None
    try:  # the pattern strptime itself matches (a private module: given up without it)
        pattern = importlib.import_module("_strptime")._TimeRE_cache.pattern(form)
    except (ImportError, AttributeError, KeyError, ValueError):
        return None
    array = pa.array(texts, pa.string())
    try:
        groups = pc.extract_regex(array, f"(?i)^(?P<whole>{pattern})")
    except pa.ArrowException:
        return None
    # a text that does not match is a null row (its fields' values are not null)
    matched = groups.is_valid().to_numpy(zero_copy_only=False) & np.equal(
        pc.utf8_length(groups.field("whole")).to_numpy(zero_copy_only=False),
        pc.utf8_length(array).to_numpy(zero_copy_only=False),
    )
    rows = np.flatnonzero(matched)

    def numbers(code: str) -> Any:
        if code not in codes:
            return np.zeros(len(rows), dtype=np.int64)
        values = pc.utf8_trim_whitespace(groups.field(code).take(pa.array(rows)))  # " 5": %d
        return pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False)

    year, month, day = numbers("Y"), numbers("m"), numbers("d")
    months = (year - 1970) * 12 + month - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    length = (months + 1).astype("datetime64[M]").astype("datetime64[D]") - first
    sound = (year >= 1) & (day <= length.astype(np.int64))  # as datetime() checks them
    seconds = numbers("H") * 3600 + numbers("M") * 60 + numbers("S")
    moments = (first + (day - 1)).astype("datetime64[s]") + seconds
    found: list[datetime | None] = [None] * len(texts)
    for row, moment, ok in zip(
        rows.tolist(), moments.astype("datetime64[us]").tolist(), sound.tolist(), strict=True
    ):
        found[row] = moment if ok else None
    for row in np.flatnonzero(~matched).tolist():
        found[row] = _or_none(lambda t: datetime.strptime(t, form), texts[row])
    return found


def _sort_keys(instants: list[datetime | None]) -> Any:
    """A number for each instant that sorts as the instants compare in Python: wall time when
    all share one zone object (as aware datetimes of one tzinfo compare), else the instant
    when every zone is a fixed offset; None for a mix of both."""
    import numpy as np

    zones = {id(m.tzinfo) for m in instants if m is not None}
    micro = timedelta(microseconds=1)
    if len(zones) <= 1:
        wall = datetime(1, 1, 1)
        keys = [0 if m is None else (m.replace(tzinfo=None) - wall) // micro for m in instants]
    elif all(m is None or isinstance(m.tzinfo, timezone) for m in instants):
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        keys = [0 if m is None else (m - epoch) // micro for m in instants]
    else:
        return None
    return np.array([*keys, 0], dtype=np.int64)
