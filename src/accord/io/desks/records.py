"""What the JSON desks (Zendesk, Jira) share: reading API pages saved as files, gathering a
ticket's records that the export scatters (an incremental export is in time order across
tickets) with bounded memory, and the event kind a status change makes.

Pages are read as the API returned them: a file holds one JSON document (one page), a JSON
array of pages, or JSON Lines (one page or one record per line, as ``curl ... >> file`` or a
paging script writes them). ``.gz`` and ``.zip`` are read through.
"""

from __future__ import annotations

import json
import pickle
import re
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accord.core.clocks import EventKind, TicketEvent
from accord.io.desks.base import Context, DeskError, Meaning, text_files

IN_MEMORY = 100_000
"""Records gathered in memory before :class:`Gathering` spills them to bucket files."""
BUCKETS = 256
"""Bucket files a spilled gathering writes (a ticket's records all go to one): memory then
holds one bucket, about 1/256 of the export."""


_ITEM = re.compile(r"(?::\d+|\[\d+\])?(?::[A-Za-z_]+\[\d+\])?$")


def file_of(place: str) -> str:
    """The file a JSON item's place names (``file:line:key[i]``, ``file[i]``, ``file:line``,
    as :func:`json_documents` and its callers write them)."""
    return _ITEM.sub("", place, count=1)


def json_documents(file: Path, context: Context) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each JSON object of an export file, with the place errors give it (``file:line`` for
    JSON Lines, ``file`` for one document, ``file[i]`` for an array's items). JSON Lines are
    read line by line (a pull's pages file is never held whole)."""
    for name, text in text_files(file):
        first = text.readline()
        while first and not first.strip():
            first = text.readline()
        if not first:
            raise DeskError(f"{name}: an empty file; expected the JSON the desk's API returned")
        context.advance(len(first.encode("utf-8", "surrogatepass")))
        try:
            head = json.loads(first)
        except json.JSONDecodeError:
            head = None
        if isinstance(head, dict):  # JSON Lines (or one document on one line)
            yield f"{name}:1" if _more(text) else name, head
            number = 1
            for line in text:
                number += 1
                context.advance(len(line.encode("utf-8", "surrogatepass")))
                if line.strip():
                    yield f"{name}:{number}", _object(line, name, number)
            continue
        rest = text.read()
        context.advance(len(rest.encode("utf-8", "surrogatepass")))
        try:
            whole = json.loads(first + rest)
        except json.JSONDecodeError as error:
            raise DeskError(
                f"{name}:{error.lineno}: not JSON ({error.msg} at column {error.colno}); "
                "expected one JSON document, or one JSON object per line"
            ) from None
        if isinstance(whole, dict):
            yield name, whole
        elif isinstance(whole, list):
            for index, item in enumerate(whole):
                if not isinstance(item, dict):
                    raise DeskError(f"{name}[{index}]: expected a JSON object, got {item!r:.60}")
                yield f"{name}[{index}]", item
        else:
            raise DeskError(f"{name}: expected a JSON object or array, got {whole!r:.60}")


def _more(text: Any) -> bool:
    """Whether a stream has more than blank lines left, without losing its place."""
    try:
        position = text.tell()
    except (OSError, ValueError):
        return True
    rest = text.read(4096)
    text.seek(position)
    return bool(rest.strip())


def _object(line: str, name: str, number: int) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as error:
        raise DeskError(
            f"{name}:{number}: not JSON ({error.msg} at column {error.colno}); expected "
            "one JSON document, or one JSON object per line"
        ) from None
    if not isinstance(item, dict):
        raise DeskError(f"{name}:{number}: expected a JSON object, got {item!r:.60}")
    return item


class Gathering:
    """Records (anything that pickles: a JSON desk's dicts, a CSV desk's rows) gathered by
    ticket: a ticket's records come out together, whatever order they went in. Up to
    ``IN_MEMORY`` records (or ``held``) are held; beyond, every record is spilled to one of
    ``BUCKETS`` temporary files by its ticket, and the tickets come out bucket by bucket, so
    that memory holds one bucket at most."""

    def __init__(self, held: int | None = None) -> None:
        """``held``: how many records to hold before spilling (``IN_MEMORY`` unless given: a
        source whose records are small holds more for the same memory)."""
        self.limit = IN_MEMORY if held is None else held
        self.held: dict[str, list[Any]] = {}
        self.count = 0
        self.spill: tempfile.TemporaryDirectory[str] | None = None
        self.files: list[Any] = []

    def add(self, ticket: str, record: Any) -> None:
        if self.spill is not None:
            self._write(ticket, record)
            return
        self.held.setdefault(ticket, []).append(record)
        self.count += 1
        if self.count > self.limit:
            self.spill = tempfile.TemporaryDirectory(prefix="accord-import-")
            self.files = [
                (Path(self.spill.name) / f"{n}.pickle").open("w+b") for n in range(BUCKETS)
            ]
            for held_ticket, records in self.held.items():
                for held in records:
                    self._write(held_ticket, held)
            self.held = {}

    def _write(self, ticket: str, record: Any) -> None:
        # pickles, five times quicker than JSON both ways; read back only from this process's
        # own private folder (TemporaryDirectory makes it readable by its owner alone)
        bucket = zlib.crc32(ticket.encode("utf-8")) % BUCKETS
        self.files[bucket].write(pickle.dumps((ticket, record), pickle.HIGHEST_PROTOCOL))

    def tickets(self) -> Iterator[tuple[str, list[Any]]]:
        """Each ticket with its records, in the order they were added."""
        if self.spill is None:
            yield from self.held.items()
            self.held = {}
            return
        try:
            for handle in self.files:
                handle.seek(0)
                bucket: dict[str, list[Any]] = {}
                while True:
                    try:
                        # one unpickler a record: each record was pickled alone, its memo
                        # numbered from 0, and an unpickler's memo outlives its load()
                        ticket, record = pickle.load(handle)
                    except EOFError:
                        break
                    bucket.setdefault(ticket, []).append(record)
                handle.close()
                yield from bucket.items()
        finally:
            for handle in self.files:
                handle.close()
            self.spill.cleanup()


_STOPPED: tuple[Meaning, ...] = ("resolved", "closed")


def status_change_kind(before: Meaning | None, after: Meaning) -> EventKind:
    """The event kind of a status change, from what the statuses mean: into resolved or
    closed, ``resolved`` or ``closed``; out of them into a working or waiting status,
    ``reopened``; otherwise ``updated``."""
    if after == "closed":
        return "closed" if before != "closed" else "updated"
    if after == "resolved":
        return "resolved" if before not in _STOPPED else "updated"
    if before in _STOPPED:
        return "reopened"
    return "updated"


def meaning_of(context: Context, raw: str) -> Meaning:
    """What a desk status means under the context's status map (open when it is unknown)."""
    entry = context.statuses.entries.get(raw)
    return "open" if entry is None else entry.means


def iso_instant(text: Any, where: str, desk: str, example: str) -> datetime:
    """An instant an API writes in ISO 8601 with its offset (``Z`` or ``+0100``), in UTC;
    DeskError naming ``where`` when it is missing, malformed or without an offset."""
    if not isinstance(text, str) or not text:
        raise DeskError(f"{where}: no instant; expected ISO 8601 such as {example}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DeskError(
            f"{where}: {text!r} is not an instant; expected ISO 8601 such as {example}"
        ) from None
    if moment.tzinfo is None:
        raise DeskError(f"{where}: {text!r} has no offset; {desk} writes instants with one")
    return moment.astimezone(UTC)


def in_order(timeline: Iterable[tuple[datetime, int, TicketEvent]]) -> Iterator[TicketEvent]:
    """A ticket's events by instant, then rank (its creation 0, a message 1 before the change
    made with it 2), each with its place in that order."""
    ordered = sorted(timeline, key=lambda t: (t[0], t[1]))
    for position, (_, _, e) in enumerate(ordered):
        yield TicketEvent(e.id, e.ticket, e.at, e.kind, e.fields, e.author, e.public,
                          position=position)  # fmt: skip
