"""IEEE XES event logs (IEEE 1849, what process-mining tools export), read as rows.

:func:`iter_xes_rows` reads a ``.xes`` file, or a gzip-compressed one (``.xes.gz``, recognised
by its bytes, whatever its name), and yields one row per event in file order: a dict of the
trace's attributes as ``case:<key>`` (the trace's ``concept:name``, the case's id, as
``case:concept:name``) and the event's attributes by their XES key (``concept:name``,
``time:timestamp``, ``lifecycle:transition``, ``org:resource`` and any other). A column mapping
of ``kind: activities`` turns these rows into ticket events (see "Column mappings" in the
README); :data:`XES_COLUMNS` names the standard keys by the mapping key they fill.

Values are typed as XES says: ``string`` and ``id`` as text, ``int`` as int, ``float`` as
float, ``boolean`` as bool, ``date`` as an aware datetime (fractions of a second beyond
microseconds are dropped; a date without an offset is refused unless a ``zone`` is given).
A ``list`` becomes a list of its items' values in order (the items' keys are dropped, as a
list is an ordered collection); a ``container`` becomes a dict of its items by key. The
attributes nested inside another attribute (XES's meta-attributes, which describe that
attribute) are left out: the attribute keeps its own value. ``<global>`` attributes are
defaults for the traces or events that lack them, except the two that identify: an event's
``time:timestamp`` and a trace's ``concept:name`` must be the element's own (the globals
ProM writes for them, ``1970-01-01`` and ``__INVALID__``, are placeholders, not values).
Log-level attributes, ``<extension>`` and ``<classifier>`` elements are read past.

Memory stays bounded: the file is parsed in 64 KiB chunks and a trace's rows are yielded when
the trace closes, so one trace is in memory at a time, never the log. A malformed file raises
:class:`XesError` naming the file, the line and what was expected (not XML, an event outside a
trace, a missing timestamp, a bad date, an unknown attribute type...); a trace is yielded
whole or not at all, so the rows before an error are exactly the complete traces before it.

The parser is the standard library's expat (``xml.parsers.expat``), driven directly:

* pm4py, the maintained process-mining library, was not taken: ``pm4py.read_xes`` loads the
  whole log into a pandas DataFrame (or an ``EventLog``), so memory grows with the log; a
  value it cannot read becomes empty without an error (a bad date is NaT, its event kept);
  ``<global>`` defaults are kept aside, not applied; and it brings about 500 MB of
  dependencies (scipy, matplotlib, cvxopt) under the AGPL-3.0, a copyleft licence that
  Accord (Apache-2.0) should not hand its users for the sake of a reader;
* ``xml.etree.ElementTree.iterparse`` streams, but its elements carry no line numbers, so an
  error could not say where;
* ``lxml.etree.iterparse`` streams with line numbers (``sourceline``), but every element
  becomes a Python object, and it is a new dependency for what expat already does: XES keeps
  every value in attributes, so expat's start-tag callback (with ``CurrentLineNumber``) is all
  a reader needs, and no element tree is ever built. On a log of a million events this reader,
  checking everything, costs within 7% of the CPU time of a bare lxml ``iterparse`` loop that
  checks nothing, and less than a bare ElementTree one (``benchmarks/xes_read.py``).

A DOCTYPE is refused, so no entity is ever expanded (no "billion laughs", no external file).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, tzinfo
from io import BufferedIOBase, BufferedReader
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from xml.parsers import expat

from accord.core.errors import SpecError

XES_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "ticket": "case:concept:name",  # the trace's concept:name: the case's id
        "activity": "concept:name",
        "at": "time:timestamp",
        "resource": "org:resource",
        "lifecycle": "lifecycle:transition",
    }
)
"""The standard XES keys of a row, by the column-mapping key (``kind: activities``) they fill."""

CASE_PREFIX: Final = "case:"
_CHUNK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_TYPES = ("string", "date", "int", "float", "boolean", "id", "list", "container")
_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d(?::?\d\d)?)?")
_DATE_EXAMPLE = "such as 2026-03-09T09:00:00.000+01:00"
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class XesError(SpecError):
    """A malformed XES file, with the file, the line (and column when known) and what was
    expected there."""

    def __init__(self, file: str, line: int, problem: str, column: int | None = None) -> None:
        self.file, self.line, self.column = file, line, column
        where = f"{file}:{line}" if column is None else f"{file}:{line}:{column}"
        super().__init__("", problem, where)

    def in_source(self, source: str) -> SpecError:
        return XesError(source, self.line, self.problem, self.column)


def iter_xes_rows(path: Path, *, zone: tzinfo | None = None) -> Iterator[dict[str, object]]:
    """Each event of an XES log (``.xes`` or gzip-compressed) as a row, in file order.

    ``zone``: where dates written without an offset are read (by default they are refused).
    Raises :class:`XesError` for a malformed file, after yielding only the complete traces
    before the fault.
    """
    file = Path(path)
    reader = _Reader(str(file), zone)
    try:
        with _open(file) as handle:
            while chunk := handle.read1(_CHUNK):  # what is there: a pipe's rows come early
                yield from reader.feed(chunk)
    except (OSError, EOFError) as error:
        yield from reader.take()
        raise reader.unreadable(error) from None
    yield from reader.feed(b"", final=True)


def _open(file: Path) -> BufferedIOBase:
    """The file's bytes, decompressed when it is gzip (by its first bytes, not its name)."""
    handle = file.open("rb")
    if handle.peek(2)[:2] == _GZIP_MAGIC:
        return _Gzip(handle)
    return handle


class _Gzip(gzip.GzipFile):
    """A gzip stream that closes the file it reads when it is closed."""

    def __init__(self, handle: BufferedReader) -> None:
        super().__init__(fileobj=handle, mode="rb")
        self.handle = handle

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.handle.close()


# The context an element is in: what its attribute children describe.
_LOG, _GLOBAL, _TRACE, _EVENT, _LIST, _CONTAINER = range(6)
_SCOPES = {"trace": _TRACE, "event": _EVENT}
_OWN = {_TRACE: "concept:name", _EVENT: "time:timestamp"}  # never taken from a <global>


class _Reader:
    """The expat callbacks of one file, keeping the trace in progress and the rows ready."""

    def __init__(self, file: str, zone: tzinfo | None) -> None:
        self.file, self.zone = file, zone
        self.ready: list[dict[str, object]] = []
        self.parser = parser = expat.ParserCreate()
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.StartDoctypeDeclHandler = self._doctype
        self.contexts: list[int] = []  # one per open element (but attributes)
        self.targets: list[Any] = []  # where each open element's attribute children go
        self.target: Any = None  # the innermost's
        self.skipping = 0  # the depth inside an element whose content is not read
        self.compounds: list[tuple[Any, str, Any]] = []  # open lists: (parent, key, value)
        self.defaults: dict[int, dict[str, object]] = {_TRACE: {}, _EVENT: {}}
        self.traces = 0
        self.trace: dict[str, object] = {}
        self.trace_line = 0
        self.events: list[dict[str, object]] = []
        self.event_line = 0
        self.parsers: dict[str, Callable[[str], object]] = {
            "string": str,
            "id": str,
            "int": int,
            "float": float,
            "boolean": _boolean,
            "date": self._date,
        }

    def feed(self, chunk: bytes, final: bool = False) -> Iterator[dict[str, object]]:
        """The rows of the traces that ``chunk`` closes; when it holds a fault, the rows of the
        traces closed before the fault, then the error."""
        try:
            self.parser.Parse(chunk, final)
        except XesError:
            yield from self.take()
            raise
        except expat.ExpatError as error:
            yield from self.take()
            reason = expat.errors.messages[error.code]
            if error.code != expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS]:
                problem = f"not well-formed XML ({reason})"
            elif self.contexts:
                problem = f"the file ends before the log is closed ({reason})"
            else:
                problem = "no XML element in the file (it is empty, or holds only a prolog)"
            raise XesError(
                self.file,
                error.lineno,
                f"{problem}; expected an XES log, <log> ... </log>",
                error.offset + 1,
            ) from None
        yield from self.take()

    def take(self) -> list[dict[str, object]]:
        """The rows ready, handed over once."""
        ready, self.ready = self.ready, []
        return ready

    def unreadable(self, error: OSError | EOFError) -> XesError:
        if isinstance(error, EOFError):
            reason = "the gzip file is cut short (it ends before its end-of-stream marker)"
        elif isinstance(error, gzip.BadGzipFile):
            reason = f"not a readable gzip file ({error})"
        else:
            reason = error.strerror or str(error)
        return XesError(self.file, self.parser.CurrentLineNumber, f"cannot read: {reason}")

    def _fail(self, problem: str, line: int | None = None) -> XesError:
        return XesError(self.file, line or self.parser.CurrentLineNumber, problem)

    def _doctype(self, name: str, *_: object) -> None:
        raise self._fail(f"a DOCTYPE ({name}) is not expected in an XES log")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if self.skipping:  # inside an element whose content is not read
            self.skipping += 1
            return
        parse = self.parsers.get(name)
        if parse is None:
            self._structure(name, attrs)
            return
        # an attribute: the hot path, once per value in the log
        self.skipping = 1  # what it holds (meta-attributes) describes it: left out
        try:
            key, text = attrs["key"], attrs["value"]
        except KeyError:
            raise self._incomplete(name, attrs) from None
        target = self.target
        if target is None:
            return  # a log attribute: not read
        try:
            value = parse(text)
        except ValueError:
            raise self._fail(
                f"{key}: {text!r} is not {_WHAT[name]}; expected {self._like(name)}"
            ) from None
        self._put(target, key, value)

    def _put(self, target: list[object] | dict[str, object], key: str, value: object) -> None:
        """A value into the event, trace, global, list or container it belongs to."""
        if type(target) is list:
            target.append(value)
        elif key in target:
            raise self._fail(f"{key} given twice in one element; expected each key once")
        else:
            target[key] = value  # type: ignore[call-overload]

    def _end(self, name: str) -> None:
        if self.skipping:
            self.skipping -= 1
            return
        context = self.contexts.pop()
        self.targets.pop()
        self.target = self.targets[-1] if self.targets else None
        if context == _EVENT:
            self._close_event(self.events[-1])
        elif context == _TRACE:
            self._close_trace()
        elif context in (_LIST, _CONTAINER) and name != "values":
            parent, key, value = self.compounds.pop()
            self._put(parent, key, value)

    def _open(self, context: int, target: Any) -> None:
        self.contexts.append(context)
        self.targets.append(target)
        self.target = target

    def _structure(self, name: str, attrs: dict[str, str]) -> None:
        """An element other than a simple attribute: the log, a trace, an event, a list..."""
        if not self.contexts:
            if name != "log":
                raise self._fail(f"<{name}> found; expected an XES log, <log> ... </log>")
            self._open(_LOG, None)  # the log's own attributes are not read
            return
        context = self.contexts[-1]
        if name == "event":
            if context != _TRACE:
                where = "outside a trace" if context == _LOG else _PLACES[context]
                raise self._fail(f"<event> {where}; expected events inside <trace> ... </trace>")
            event: dict[str, object] = {}
            self.events.append(event)
            self.event_line = self.parser.CurrentLineNumber
            self._open(_EVENT, event)
        elif name == "trace" and context == _LOG:
            if not self.traces:  # the globals are all known: keep the defaults that may be
                for scope, key in _OWN.items():
                    self.defaults[scope].pop(key, None)
            self.traces += 1
            self.trace, self.events = {}, []
            self.trace_line = self.parser.CurrentLineNumber
            self._open(_TRACE, self.trace)
        elif name in ("list", "container"):
            self._compound(name, attrs)
        elif name == "values" and context == _LIST:
            self._open(_LIST, self.target)
        elif context == _LOG and name in ("extension", "classifier"):
            self.skipping = 1
        elif context == _LOG and name == "global":
            self._global(attrs)
        else:
            raise self._fail(f"<{name}> found {_PLACES[context]}; expected {_EXPECTED[context]}")

    def _incomplete(self, kind: str, attrs: dict[str, str]) -> XesError:
        if "key" not in attrs:
            return self._fail(f'<{kind}> without a key; expected <{kind} key="..." value="..."/>')
        return self._fail(f'<{kind} key="{attrs["key"]}"> without a value; expected value="..."')

    def _close_event(self, event: dict[str, object]) -> None:
        moment = event.get("time:timestamp")
        if not isinstance(moment, datetime):
            found = "none" if moment is None else f"{type(moment).__name__} {moment!r}"
            raise self._fail(
                f"the event has no date time:timestamp (found {found}); expected "
                '<date key="time:timestamp" value="..."/> in every event',
                self.event_line,
            )
        for key, value in self.defaults[_EVENT].items():
            event.setdefault(key, value)

    def _close_trace(self) -> None:
        trace = self.trace
        for key, value in self.defaults[_TRACE].items():
            trace.setdefault(key, value)
        if "concept:name" not in trace:
            raise self._fail(
                "the trace has no concept:name; expected "
                '<string key="concept:name" value="..."/>, the case\'s id, in every trace',
                self.trace_line,
            )
        head = {CASE_PREFIX + key: value for key, value in trace.items()}
        self.ready.extend(head | event for event in self.events)
        self.events = []

    def _compound(self, kind: str, attrs: dict[str, str]) -> None:
        key = attrs.get("key")
        if key is None:
            raise self._fail(f'<{kind}> without a key; expected <{kind} key="...">')
        if self.target is None:  # a list among the log's attributes: not read
            self.skipping = 1
            return
        value: list[object] | dict[str, object] = [] if kind == "list" else {}
        self.compounds.append((self.target, key, value))
        self._open(_LIST if kind == "list" else _CONTAINER, value)

    def _global(self, attrs: dict[str, str]) -> None:
        scope = attrs.get("scope", "event")
        if scope not in _SCOPES:
            raise self._fail(f'<global scope="{scope}">; expected scope "trace" or "event"')
        if self.traces:
            raise self._fail("<global> after a trace; expected the globals before the traces")
        self._open(_GLOBAL, self.defaults[_SCOPES[scope]])

    def _date(self, text: str) -> datetime:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            if self.zone is None:
                raise ValueError(text)
            moment = moment.replace(tzinfo=self.zone)
        return moment

    def _like(self, kind: str) -> str:
        if kind == "date" and self.zone is None:
            return f"an xs:dateTime with an offset, {_DATE_EXAMPLE}"
        return _LIKE[kind]


def _boolean(text: str) -> bool:
    try:
        return _BOOLEANS[text]
    except KeyError:
        raise ValueError(text) from None


_PLACES = {
    _LOG: "in the log",
    _GLOBAL: "in a <global>",
    _TRACE: "in a trace",
    _EVENT: "in an event",
    _LIST: "in a list",
    _CONTAINER: "in a container",
}
_ATTRIBUTES = "an attribute (" + ", ".join(_TYPES) + ")"
_EXPECTED = {
    _LOG: f"<extension>, <global>, <classifier>, {_ATTRIBUTES} or <trace>",
    _GLOBAL: _ATTRIBUTES,
    _TRACE: f"{_ATTRIBUTES} or <event>",
    _EVENT: _ATTRIBUTES,
    _LIST: f"<values> or {_ATTRIBUTES}",
    _CONTAINER: _ATTRIBUTES,
}
_WHAT = {
    "string": "text",
    "id": "an id",
    "int": "an integer",
    "float": "a number",
    "boolean": "a boolean",
    "date": "a date",
}
_LIKE = {
    "string": "text",
    "id": "an id",
    "int": "an integer such as 42",
    "float": "a number such as 4.2",
    "boolean": "true or false",
    "date": f"an xs:dateTime, {_DATE_EXAMPLE}",
}
