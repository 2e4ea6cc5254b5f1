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

For a report, a snapshot or event log is read straight into columns (:func:`log_columns`,
:func:`snapshot_columns`): the ``EventColumns`` that ``EventColumns.from_events`` makes of
those events, made from the codes without an event object per row (tickets and each field's
values renumbered in the order of their texts, the rows put in evaluation order by
``EventColumns.from_codes``). Instants in such a format stay wall times in numpy (sort keys,
and in UTC the instants themselves; in another zone made datetimes once); and no pyarrow call
here imports pandas (``to_numpy`` and ``pyarrow.array`` do: a third of a second). A log this
reading gives up on is parsed once: :func:`log_columns` tells the caller to read it row by
row without trying the events' column reading again.

This path gives up (returns None, and the caller reads the file row by row, which names the row
of any error) whenever it could differ from that reading: a file that is not UTF-8, has a NUL
byte, a lone carriage return, a blank line, a cell spanning lines, a field over the csv
module's size limit, a repeated column name, or rows of the wrong width; a required value
missing or unreadable, an event kind or author role not known; an ``order`` that is not a
number or is NaN; a snapshot log's instants of several kinds of zone (some with an offset,
some without). The columns also give up on an event log giving an id twice (the events tell
one event given twice from two events sharing an id).
"""

from __future__ import annotations

import csv
import gzip
import importlib
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, SupportsIndex
from zoneinfo import ZoneInfo

import numpy as np

from accord.core.clock_cycles import distinct_codes
from accord.core.clocks import KIND_ORDER, TicketEvent
from accord.core.clocks_batch import EventColumns
from accord.io.mapping import ColumnMapping
from accord.io.tickets import _KINDS, _ROLES

_BOM = b"\xef\xbb\xbf"
_SIMPLE = set("dmYHMS%")  # strptime codes read here with pyarrow
_NULL = -1


def snapshot_events(file: Path, mapping: ColumnMapping) -> list[TicketEvent] | None:
    """The events of a CSV snapshot log, as ``read_events`` makes them; None when this reading
    cannot vouch for that (see the module's docstring)."""
    log = _snapshots(file, mapping, by_name=False)
    if log is None:
        return None
    if not log.count:
        return []
    instants, created_instants = log.moments.datetimes(), log.created_moments.datetimes()
    # in UTC, as an event keeps its instant (converted once a value, not once an event)
    utc = [None if m is None else m.astimezone(UTC) for m in instants]
    event_of = np.cumsum(log.made) - 1
    fields: list[dict[str, str]] = [{} for _ in range(int(log.made.sum()))]
    for name, codes, shown, vocabulary in log.fields:
        at_rows = np.flatnonzero(shown)
        for event, code in zip(event_of[at_rows].tolist(), codes[at_rows].tolist(), strict=True):
            fields[event][name] = vocabulary[code]

    events: list[TicketEvent] = []
    made_rows = np.flatnonzero(log.made)
    for event, (row, ticket_code, at_code, line, place_in_ticket, first_row) in enumerate(
        zip(
            made_rows.tolist(),
            log.ticket[made_rows].tolist(),
            log.at[made_rows].tolist(),
            log.lines[made_rows].tolist(),
            log.index[made_rows].tolist(),
            log.starts[made_rows].tolist(),
            strict=True,
        )
    ):
        ticket = log.tickets[ticket_code]
        if first_row:
            created, at = created_instants[log.created[row]], instants[at_code]
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
            moment = utc[at_code]
            assert moment is not None
            events.append(
                TicketEvent(
                    f"{ticket}:{line}",
                    ticket,
                    moment,
                    "updated",
                    fields[event],
                    position=place_in_ticket,
                )
            )
    return events


def snapshot_columns(file: Path, mapping: ColumnMapping) -> EventColumns | None:
    """A CSV snapshot log as columns: those ``EventColumns.from_events`` makes of the events
    :func:`snapshot_events` gives (the same rows, codes and order; a ticket's events at one
    instant ranked as their places rank them), without an event object per row; None when
    that reading gives up."""
    log = _snapshots(file, mapping, by_name=True)
    return None if log is None else _snapshot_columns(log)


def log_columns(
    file: Path, mapping: ColumnMapping, with_events: bool = True
) -> EventColumns | list[TicketEvent] | None:
    """A CSV snapshot log (:func:`snapshot_columns`) or event log (the columns
    ``EventColumns.from_events`` makes of the events :func:`event_log_events` gives) as
    columns, parsed once: an event log the columns leave to the events (an id given twice)
    as its events (:func:`event_log_events`, from the same parse), unless ``with_events`` is
    false; None when this reading gives up, as the events' reading would (the row-by-row
    reading's turn then)."""
    if mapping.kind == "snapshots":
        return snapshot_columns(file, mapping)
    log = _event_log(file, mapping)
    if log is None:
        return None
    columns = _event_log_columns(log, mapping)
    if columns is None and with_events:
        return _events_of_log(log)
    return columns


def _snapshot_columns(log: _Snapshots) -> EventColumns:
    """:func:`snapshot_columns` of the rows read, sorted with tickets by name."""
    made = np.flatnonzero(log.made)
    starts = log.starts[made]
    at = log.moments.nanos()[log.at[made]]
    at[starts] = _creations(log, log.at[made[starts]], log.created[made[starts]])
    kind = np.where(starts, KIND_ORDER["created"], KIND_ORDER["updated"]).astype(np.int64)
    fields = {}
    for name, codes, shown, vocabulary in log.fields:
        fields[name] = (np.where(shown, codes, _NULL)[made], vocabulary)
    rank = np.arange(len(made), dtype=np.int64)  # a ticket's rows come in their places' order
    no_comment = np.zeros(len(made), dtype=bool)
    return _columns(
        log.tickets, log.ticket[made], at, kind, no_comment, no_comment.copy(), fields, rank
    )


def _creations(log: _Snapshots, at_codes: Any, created_codes: Any) -> Any:
    """Each ticket's creation (nanoseconds), given its first row's instant and creation
    instant: the earlier of the two as Python's ``min`` finds it (instants of one zone compare
    by their wall times, as the events' reading compares them)."""
    at, created = log.moments, log.created_moments
    if at.walls is not None and created.walls is not None:  # all naive, in the mapping's zone
        first = at.walls[at_codes] < created.walls[created_codes]
        return np.where(first, at.nanos()[at_codes], created.nanos()[created_codes])
    instants, creations = at.datetimes(), created.datetimes()
    earlier = [
        min(creations[c], instants[a])  # each checked: an instant
        for a, c in zip(at_codes.tolist(), created_codes.tolist(), strict=True)
    ]
    micros = [(m - _EPOCH) // _MICRO for m in earlier]
    return np.array(micros, dtype=np.int64) * 1000


@dataclass(frozen=True)
class _Snapshots:
    """A snapshot log's kept rows, sorted by ticket, instant, order and line: each row's codes
    (ticket, instant, creation instant), line, place in its ticket, whether it starts its
    ticket or makes an event (it starts it, or changes a field), and each field's codes with
    the rows that show its value (at the start, or where it changes)."""

    count: int
    tickets: list[str]
    ticket: Any
    at: Any
    created: Any
    lines: Any
    index: Any
    starts: Any
    made: Any
    fields: list[tuple[str, Any, Any, list[str]]]
    moments: _Moments
    created_moments: _Moments


def _snapshots(file: Path, mapping: ColumnMapping, by_name: bool) -> _Snapshots | None:
    """The snapshot log's rows, its tickets in the order of their first row (``by_name``: of
    their names); None when this reading gives up."""
    kept = _kept(file, mapping)
    if kept is None:
        return None
    lines, coded = kept
    ticket_codes, tickets = coded[mapping.ticket]
    at_codes, at_texts = coded[mapping.at]
    zone = ZoneInfo(mapping.timezone)
    moments = _Moments(at_texts, mapping, zone)
    if not len(lines):
        empty = np.zeros(0, dtype=np.int64)
        flags = np.zeros(0, dtype=bool)
        return _Snapshots(
            0, tickets, empty, empty, empty, empty, empty, flags, flags, [], moments, moments
        )
    if (ticket_codes == _NULL).any() or (at_codes == _NULL).any():
        return None
    if not moments.valid[at_codes].all():
        return None
    keys = moments.keys()
    if keys is None:
        return None
    order = _order(coded, mapping, len(lines))
    if order is None:
        return None

    if by_name:  # tickets in the order of their names, as the columns code them
        place = np.empty(len(tickets), dtype=np.int64)
        place[sorted(range(len(tickets)), key=tickets.__getitem__)] = np.arange(len(tickets))
    else:  # in the order of their first row, as the rows are gathered by ticket
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
    created_moments = (
        moments if created_at == mapping.at else _Moments(created_texts, mapping, zone)
    )
    if not created_moments.valid[created_codes[starts]].all():
        return None

    changed_any = np.zeros(len(rows), dtype=bool)
    fields: list[tuple[str, Any, Any, list[str]]] = []
    for name, column in mapping.fields.items():
        codes, vocabulary = coded[column]
        codes = codes[rows]
        present = codes != _NULL
        changed = present.copy()
        changed[1:] &= codes[1:] != codes[:-1]
        changed &= ~starts
        changed_any |= changed
        fields.append((name, codes, present & starts | changed, vocabulary))
    return _Snapshots(
        count=len(rows),
        tickets=tickets,
        ticket=ticket_codes,
        at=at_codes,
        created=created_codes,
        lines=lines,
        index=index,
        starts=starts,
        made=starts | changed_any,
        fields=fields,
        moments=moments,
        created_moments=created_moments,
    )


def _columns(
    names: list[str],
    ticket: Any,
    at: Any,
    kind: Any,
    agent_reply: Any,
    customer_message: Any,
    fields: dict[str, tuple[Any, list[str]]],
    rank: Any,
) -> EventColumns:
    """Columns of events given by codes into the log's vocabularies, coded as
    ``EventColumns.from_events`` codes them (tickets and each field's values in the order of
    their texts, a field only if some event sets it), in evaluation order."""
    present = _used(ticket, len(names)).tolist()
    named = sorted(present, key=names.__getitem__)
    recode = np.full(len(names) + 1, _NULL, dtype=np.int64)
    recode[named] = np.arange(len(named))
    ticket = recode[ticket]
    decoded: dict[str, tuple[Any, list[str]]] = {}
    for name in sorted(fields):
        codes, vocabulary = fields[name]
        used = _used(codes, len(vocabulary))
        if not len(used):
            continue
        texts = [vocabulary[c] for c in used.tolist()]
        by_text = sorted(range(len(texts)), key=texts.__getitem__)
        table = np.full(len(vocabulary) + 1, _NULL, dtype=np.int64)  # -1 (unset) stays -1
        table[used[by_text]] = np.arange(len(by_text))
        decoded[name] = (table[codes], [texts[i] for i in by_text])
    tickets = _Names([names[c] for c in named])
    return EventColumns.from_codes(
        tickets, ticket, at, kind, agent_reply, customer_message, decoded, rank
    )


class _Names(list[str]):
    """Ticket names whose ``index`` is a lookup, not a scan: a report finds the events of the
    tickets it explains by name (80 names among 24,918: 13 ms scanning; more with the log)."""

    where: dict[str, int] | None = None

    def index(self, value: Any, start: SupportsIndex = 0, stop: SupportsIndex = sys.maxsize) -> int:
        if start != 0 or stop != sys.maxsize:
            return super().index(value, start, stop)
        if self.where is None:
            self.where = {name: code for code, name in enumerate(self)}
        found = self.where.get(value)
        if found is None:
            raise ValueError(f"{value!r} is not a ticket of the log")
        return found


def _kept(
    file: Path, mapping: ColumnMapping, also: tuple[str, ...] = ()
) -> tuple[Any, dict[str, tuple[Any, list[str]]]] | None:
    """The line of each row the mapping's ``ignore`` keeps, and the columns it reads (with
    ``also``, if the file has them) coded, their values translated (``values``)."""
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
    log = _event_log(file, mapping)
    return None if log is None else _events_of_log(log)


def _events_of_log(log: _EventLog) -> list[TicketEvent]:
    """:func:`event_log_events` of the rows read."""
    instants = log.moments.datetimes()
    utc = [None if m is None else m.astimezone(UTC) for m in instants]
    fields: list[dict[str, str]] = [{} for _ in range(log.count)]
    for name, (codes, vocabulary) in log.fields.items():
        rows = np.flatnonzero(codes != _NULL)
        for row, code in zip(rows.tolist(), codes[rows].tolist(), strict=True):
            fields[row][name] = vocabulary[code]
    author_of = [*log.authors, None]
    return [
        TicketEvent(
            id=log.ids[i],
            ticket=log.tickets[t],
            at=utc[a],  # each checked
            kind=log.kinds[k],
            fields=f,
            author=author_of[w],
            public=log.shown[p],
            position=place,
        )
        for i, t, a, k, f, w, p, place in zip(
            log.id.tolist(),
            log.ticket.tolist(),
            log.at.tolist(),
            log.kind.tolist(),
            fields,
            log.author.tolist(),
            log.public.tolist(),
            log.positions.tolist(),
            strict=True,
        )
    ]


def _event_log_columns(log: _EventLog, mapping: ColumnMapping) -> EventColumns | None:
    """A CSV event log's rows read (``kind: events``) as the columns ``EventColumns.from_events``
    makes of the events :func:`event_log_events` gives, without an event object per row; None
    when an id comes twice (one event given twice, or two events sharing an id: left to the
    events, which tell them apart)."""
    if len(distinct_codes(log.id)) != log.count:
        return None
    # a kind no kept row has (its rows ignored) may be any text: left unnumbered
    numbered = [KIND_ORDER.get(k, _NULL) for k in log.kinds]
    kind = np.array([*numbered, _NULL], dtype=np.int64)[log.kind]
    comment = kind == KIND_ORDER["comment"]
    author = [*log.authors, None]
    agent = np.array([a == "agent" for a in author], dtype=bool)[log.author]
    customer = np.array([a == "customer" for a in author], dtype=bool)[log.author]
    public = np.array(log.shown, dtype=bool)[log.public]
    # as from_events ranks events with places of their own: by place
    rank = log.positions if mapping.order is not None else np.arange(log.count, dtype=np.int64)
    return _columns(
        log.tickets,
        log.ticket,
        log.moments.nanos()[log.at],
        kind,
        comment & agent & public,
        comment & customer,
        log.fields,
        rank.astype(np.int64),
    )


@dataclass(frozen=True)
class _EventLog:
    """An event log's kept rows: codes into each column's values (ids, tickets, instants,
    kinds, authors and visibility, the fields), and each row's place in the source."""

    count: int
    id: Any
    ids: list[str]
    ticket: Any
    tickets: list[str]
    at: Any
    moments: _Moments
    kind: Any
    kinds: list[str]
    author: Any
    authors: list[str]
    public: Any
    shown: list[bool]
    positions: Any
    fields: dict[str, tuple[Any, list[str]]]


def _event_log(file: Path, mapping: ColumnMapping) -> _EventLog | None:
    """An event log's rows; None when this reading gives up."""
    kept = _kept(file, mapping, also=(mapping.author, mapping.public))
    if kept is None:
        return None
    lines, coded = kept
    required = [coded[c] for c in (mapping.id, mapping.ticket, mapping.at, mapping.event)]
    if any((codes == _NULL).any() for codes, _ in required):
        return None
    (id_codes, ids), (ticket_codes, tickets), (at_codes, at_texts), (kind_codes, kinds) = required
    if not {kinds[c] for c in _used(kind_codes, len(kinds))} <= set(_KINDS):
        return None
    # an author or public column absent here is the default one, optional: a column the
    # mapping names that the file lacks made _table give up (the rows' reading refuses it)
    no_codes = np.full(len(lines), _NULL, dtype=np.int64)
    author_codes, authors = coded.get(mapping.author, (no_codes, []))
    if not {authors[c] for c in _used(author_codes, len(authors))} <= set(_ROLES):
        return None
    moments = _Moments(at_texts, mapping, ZoneInfo(mapping.timezone))
    if not moments.valid[_used(at_codes, len(at_texts))].all():
        return None
    public_codes, publics = coded.get(mapping.public, (no_codes, []))
    shown = [v.lower() not in ("false", "0", "no") for v in publics] + [True]
    positions = lines
    order = _order(coded, mapping, len(lines))
    if order is None:
        return None
    if mapping.order is not None:
        positions = np.empty(len(lines), dtype=np.int64)
        positions[np.lexsort((lines, order))] = np.arange(len(lines))
    return _EventLog(
        count=len(lines),
        id=id_codes,
        ids=ids,
        ticket=ticket_codes,
        tickets=tickets,
        at=at_codes,
        moments=moments,
        kind=kind_codes,
        kinds=kinds,
        author=author_codes,
        authors=authors,
        public=public_codes,
        shown=shown,
        positions=positions,
        fields={name: coded[column] for name, column in mapping.fields.items()},
    )


def csv_rows(file: Path, mapping: ColumnMapping) -> list[tuple[int, dict[str, Any]]] | None:
    """The rows of a CSV log with their line numbers, as the csv module reads them (a value in
    ``missing`` is None), parsed by pyarrow; None when that could read them otherwise."""
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
        if not data.isascii():  # (ASCII is UTF-8: a check ten times quicker than decoding)
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
            # pyarrow's own block size (1 MiB): a block parsed while it is in the cache; one
            # block of the whole file took two to three times the CPU (BENCHMARKS.md)
            read_options=pcsv.ReadOptions(use_threads=False),
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
    encoded = _compute("dictionary_encode", column.combine_chunks())
    codes = _numbers(encoded.indices).astype(np.int64)
    vocabulary = _Vocabulary(encoded.dictionary.to_pylist())  # texts: no null was read
    vocabulary.arrow = encoded.dictionary
    if missing & set(vocabulary):
        absent = np.array([v in missing for v in vocabulary] + [True], dtype=bool)
        codes = np.where(absent[codes], _NULL, codes)
    return codes, vocabulary


class _Vocabulary(list[str]):
    """A column's texts by code, and the pyarrow array they were read from (parsed there)."""

    arrow: Any = None


def _recoded(codes: Any, texts: list[str]) -> tuple[Any, list[str]]:
    """Codes whose texts were translated, coded again so that equal texts share one code."""
    unique: dict[str, int] = {}
    new = np.array([unique.setdefault(t, len(unique)) for t in texts] + [_NULL], dtype=np.int64)
    return new[codes], list(unique)


def _order(coded: dict[str, tuple[Any, list[str]]], mapping: ColumnMapping, count: int) -> Any:
    """The ``order`` column's number for each row (zeros without one); None when a row has
    none, or one that is not a number or is NaN."""
    if mapping.order is None:
        return np.zeros(count)
    codes, texts = coded[mapping.order]
    numbers = [_number(t) for t in texts]
    if (codes == _NULL).any() or any(numbers[c] is None for c in _used(codes, len(texts))):
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


# zones whose wall time is the instant (a wall time needs no conversion in them)
_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT"})
_NAIVE_EPOCH = datetime(1970, 1, 1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


class _Moments:
    """The instants of a column's texts (by code), as the row-by-row reading reads them (an
    instant without an offset is in the mapping's zone): whether each is one, as datetimes, as
    keys that sort as they compare in Python, and as nanoseconds since the epoch.

    Texts in a format of day, month, year, hours, minutes and seconds are read into wall times
    in numpy (:func:`_simple_walls`), made datetimes only when asked for; other texts are
    parsed one by one. Each form is made once, when first asked for (in a zone other than UTC
    the datetimes give the nanoseconds: a snapshot log asks for both, several times)."""

    def __init__(self, texts: list[str], mapping: ColumnMapping, zone: ZoneInfo) -> None:
        self.zone = zone
        self._aware: list[datetime | None] | None = None
        self._nanos: Any = None
        form = mapping.time_format
        walls = None if form is None else _simple_walls(texts, form)
        self.walls: Any = None  # microseconds of wall time, in the zone (all naive)
        self.found: list[datetime | None] | None = None
        if walls is not None:
            self.walls, valid = walls
        else:
            parse: Callable[[str], datetime] = (
                datetime.fromisoformat if form is None else lambda t: datetime.strptime(t, form)
            )
            self.found = [_or_none(parse, t) for t in texts]
            valid = np.array([m is not None for m in self.found], dtype=bool)
        self.valid = np.append(valid, False)  # by code, -1 (no value) last

    def datetimes(self) -> list[datetime | None]:
        """Each text's instant (None: not one)."""
        if self._aware is not None:
            return self._aware
        if self.found is None:
            walls = self.walls.astype("datetime64[us]").tolist()
            valid = self.valid.tolist()
            self.found = [w if ok else None for w, ok in zip(walls, valid, strict=False)]
        zone = self.zone
        self._aware = [
            None if moment is None else moment if moment.tzinfo else moment.replace(tzinfo=zone)
            for moment in self.found
        ]
        return self._aware

    def keys(self) -> Any:
        """A number for each instant (by code, then 0 for no value) that sorts as the
        instants compare in Python (see :func:`_sort_keys`); None when they cannot be."""
        if self.walls is not None:  # all in one zone: as their wall times
            return np.append(np.where(self.valid[:-1], self.walls, 0), 0)
        return _sort_keys(self.datetimes())

    def nanos(self) -> Any:
        """Each instant as nanoseconds since the epoch, to the microsecond (by code, then 0
        for no value; 0 for a text that is not an instant)."""
        if self._nanos is None:
            if self.walls is not None and self.zone.key in _UTC_ZONES:
                self._nanos = np.append(np.where(self.valid[:-1], self.walls, 0) * 1000, 0)
            else:
                micros = [0 if m is None else (m - _EPOCH) // _MICRO for m in self.datetimes()]
                self._nanos = np.array([*micros, 0], dtype=np.int64) * 1000
        return self._nanos


def _or_none(parse: Callable[[str], datetime], text: str) -> datetime | None:
    try:
        return parse(text)
    except ValueError:
        return None


def _simple_walls(texts: list[str], form: str) -> tuple[Any, Any] | None:
    """Texts in a format of day, month, year, hours, minutes and seconds read as ``strptime``
    reads them, as microseconds of wall time since 1970 and whether each is an instant: its
    own pattern, matched from the start, the match covering the whole text (run by pyarrow
    over all texts at once), the numbers a valid date (checked with numpy); a text that does
    not match is read by ``strptime`` itself. None for another format."""
    import pyarrow as pa

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
    array = getattr(texts, "arrow", None)  # the texts as read, else as translated
    if array is None:
        array = _texts_array(texts)
    try:
        whole = f"(?i)^(?P<whole>{pattern})"
        groups = _compute("extract_regex", array, options=("ExtractRegexOptions", whole))
    except pa.ArrowException:
        return None
    # a text that does not match is a null row (its fields' values are not null)
    matched = _flags(_compute("is_valid", groups)) & np.equal(
        _numbers(_compute("utf8_length", groups.field("whole"))),
        _numbers(_compute("utf8_length", array)),
    )
    rows = np.flatnonzero(matched)
    taken = pa.Array.from_buffers(pa.int64(), len(rows), [None, pa.py_buffer(rows)])

    def numbers(code: str) -> Any:
        if code not in codes:
            return np.zeros(len(rows), dtype=np.int64)
        values = _compute("take", groups.field(code), taken)
        values = _compute("utf8_trim_whitespace", values)  # " 5": %d
        return _numbers(_compute("cast", values, options=("CastOptions", pa.int64())))

    year, month, day = numbers("Y"), numbers("m"), numbers("d")
    months = (year - 1970) * 12 + month - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    length = (months + 1).astype("datetime64[M]").astype("datetime64[D]") - first
    sound = (year >= 1) & (day <= length.astype(np.int64))  # as datetime() checks them
    seconds = numbers("H") * 3600 + numbers("M") * 60 + numbers("S")
    moments = (first + (day - 1)).astype("datetime64[s]") + seconds
    walls = np.zeros(len(texts), dtype=np.int64)
    valid = np.zeros(len(texts), dtype=bool)
    walls[rows] = moments.astype("datetime64[us]").astype(np.int64)
    valid[rows] = sound
    for row in np.flatnonzero(~matched).tolist():
        moment = _or_none(lambda t: datetime.strptime(t, form), texts[row])
        if moment is not None:
            walls[row], valid[row] = (moment - _NAIVE_EPOCH) // _MICRO, True
    return walls, valid


def _texts_array(texts: list[str]) -> Any:
    """Texts as a pyarrow string array, built from its buffers (``pyarrow.array`` imports
    pandas, a third of a second, to ask whether the list is one)."""
    import pyarrow as pa

    data = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, data), dtype=np.int64, count=len(data)), out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    return pa.Array.from_buffers(pa.large_string(), len(data), buffers)


def _compute(function: str, *arguments: Any, options: tuple[str, Any] | None = None) -> Any:
    """pyarrow's compute ``function`` on ``arguments``, with its options (the name of their
    class and its one argument), called by name: ``pyarrow.compute`` (and the array methods
    that call it) builds a Python function for each of its several hundred kernels when
    imported, a tenth of the read's CPU time; its core (``pyarrow._compute``) does not."""
    try:
        from pyarrow import _compute as kernels
    except ImportError:  # pragma: no cover - a pyarrow without it: the public module
        import pyarrow.compute as kernels
    made = None if options is None else getattr(kernels, options[0])(options[1])
    return kernels.call_function(function, list(arguments), made)


def _used(codes: Any, size: int) -> Any:
    """The codes (of ``size`` texts) that occur, in order, -1 (no value) left out: what
    ``np.unique`` gives of them, counted in one pass rather than sorted."""
    return np.flatnonzero(np.bincount(codes[codes != _NULL], minlength=size))


def _numbers(array: Any) -> Any:
    """A pyarrow array of signed integers as numpy's, read from its buffer (not ``to_numpy``,
    which imports pandas); a null's value is whatever its slot holds."""
    width = {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}[array.type.bit_width]
    values = np.frombuffer(array.buffers()[1], dtype=width)
    return values[array.offset : array.offset + len(array)]


def _flags(array: Any) -> Any:
    """A pyarrow boolean array without nulls as numpy's."""
    bits = np.frombuffer(array.buffers()[1], dtype=np.uint8)
    start = array.offset
    return np.unpackbits(bits, count=start + len(array), bitorder="little")[start:].view(bool)


def _sort_keys(instants: list[datetime | None]) -> Any:
    """A number for each instant that sorts as the instants compare in Python: wall time when
    all share one zone object (as aware datetimes of one tzinfo compare), else the instant
    when every zone is a fixed offset; None for a mix of both."""
    zones = {id(m.tzinfo) for m in instants if m is not None}
    if len(zones) <= 1:
        wall = datetime(1, 1, 1)
        keys = [0 if m is None else (m.replace(tzinfo=None) - wall) // _MICRO for m in instants]
    elif all(m is None or isinstance(m.tzinfo, timezone) for m in instants):
        keys = [0 if m is None else (m - _EPOCH) // _MICRO for m in instants]
    else:
        return None
    return np.array([*keys, 0], dtype=np.int64)
