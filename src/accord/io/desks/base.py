"""What every desk importer shares: the registry, the status map, the desk's verdicts, warnings,
the summary, and reading export files (zip, gzip, a byte-order mark, several date formats).

See the package's docstring (:mod:`accord.io.desks`) for the contract a source keeps.
"""

from __future__ import annotations

import gzip
import importlib
import io
import re
import zipfile
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from accord.core.clocks import TicketEvent
from accord.core.errors import AccordError
from accord.io.desk_names import BUILT_IN_DESKS
from accord.io.yamlfile import YamlDocument

Meaning = Literal["open", "waiting_on_customer", "waiting_on_third_party", "resolved", "closed"]
MEANINGS: tuple[Meaning, ...] = (
    "open",
    "waiting_on_customer",
    "waiting_on_third_party",
    "resolved",
    "closed",
)
Outcome = Literal["met", "breached", "running"]
OUTCOMES: tuple[Outcome, ...] = ("met", "breached", "running")
CACHED = 100_000
"""How many instants' texts :class:`Instants` remembers (exports repeat them)."""
EXAMPLES = 3
"""How many examples of each kind of warning the summary keeps."""


class DeskError(AccordError, ValueError):
    """An export that cannot be imported, naming the file, row and column."""


# ------------------------------------------------------------------------- the desk's verdicts


@dataclass(frozen=True)
class Verdict:
    """The desk's own SLA verdict on one ticket, as its export carries it."""

    ticket: str
    metric: str
    """The desk's name for what it judged (ServiceNow: ``made_sla``, or a task SLA's name)."""
    outcome: Outcome
    decided_at: datetime | None
    """When the desk reached it (the row that last set it), when known."""
    origin: str
    """Where it came from: ``file:row``."""
    target: timedelta | None = None
    elapsed: timedelta | None = None
    note: str = ""
    """Anything worth knowing, such as a verdict that changed during the ticket's history."""

    def to_json(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "metric": self.metric,
            "outcome": self.outcome,
            "decided_at": None if self.decided_at is None else self.decided_at.isoformat(),
            "target_seconds": None if self.target is None else self.target.total_seconds(),
            "elapsed_seconds": None if self.elapsed is None else self.elapsed.total_seconds(),
            "origin": self.origin,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, row: Mapping[str, Any], where: str) -> Verdict:
        """A verdict as :meth:`to_json` wrote it; DeskError naming ``where`` and the key."""
        try:
            outcome = row["outcome"]
            if outcome not in OUTCOMES:
                raise DeskError(
                    f"{where}: outcome: {outcome!r}; expected one of {', '.join(OUTCOMES)}"
                )
            decided = row.get("decided_at")
            target, elapsed = row.get("target_seconds"), row.get("elapsed_seconds")
            return cls(
                ticket=str(row["ticket"]),
                metric=str(row["metric"]),
                outcome=outcome,
                decided_at=None if decided is None else datetime.fromisoformat(decided),
                origin=str(row.get("origin", where)),
                target=None if target is None else timedelta(seconds=float(target)),
                elapsed=None if elapsed is None else timedelta(seconds=float(elapsed)),
                note=str(row.get("note", "")),
            )
        except KeyError as missing:
            raise DeskError(f"{where}: no {missing.args[0]!r}; a verdict needs it") from None
        except (TypeError, ValueError) as error:
            if isinstance(error, DeskError):
                raise
            raise DeskError(f"{where}: not a verdict: {error}") from None


# ------------------------------------------------------------------------------ the status map


@dataclass(frozen=True)
class StatusEntry:
    """How one desk status is imported: the ``status`` value written, and what it means."""

    value: str
    means: Meaning


@dataclass(frozen=True)
class StatusMap:
    """Each desk status, the value written to the ticket's ``status`` field and its meaning."""

    source: str
    entries: Mapping[str, StatusEntry]

    def to_yaml(self, seen: Mapping[str, int] | None = None) -> str:
        """The map as the YAML file a user adjusts and passes back with ``--statuses``; with
        ``seen``, each status's count as a comment, and statuses seen but not in the map added
        (mapped to open) so that the user sees them."""
        seen = seen or {}
        lines = [
            f"# How `accord import {self.source}` maps the desk's statuses: each desk status, the",
            "# value written to the ticket's `status` field, and what it means (one of",
            f"# {', '.join(MEANINGS)}).",
            "# Adjust it and pass it back: accord import ... --statuses THIS_FILE",
            f"source: {self.source}",
            "statuses:",
        ]
        names = list(self.entries) + sorted(s for s in seen if s not in self.entries)
        for name in names:
            entry = self.entries.get(name, StatusEntry(name, "open"))
            count = seen.get(name)
            note = "" if count is None else f"  # seen {count:,} time{'s' if count != 1 else ''}"
            if name not in self.entries:
                note += " (not in the map: imported as open)"
            body = yaml.safe_dump(
                {name: {"status": entry.value, "means": entry.means}},
                default_flow_style=True,
                allow_unicode=True,
                sort_keys=False,
                width=1000,
            ).strip()[1:-1]
            lines.append(f"  {body}{note}")
        return "\n".join(lines) + "\n"

    @classmethod
    def read(cls, path: str | Path, source: str | None = None) -> StatusMap:
        """A status map file (of ``source``'s statuses, when given); DeskError naming the
        file, line and entry at the first problem."""
        document = YamlDocument.read(path)
        data = document.data

        def problem(where: tuple[str | int, ...], message: str) -> DeskError:
            position = document.position_of(where)
            place = f"{path}:{position[0]}:{position[1]}" if position else str(path)
            return DeskError(f"{place}: {message}")

        if not isinstance(data, Mapping) or not isinstance(data.get("statuses"), Mapping):
            raise problem((), "expected a status map: source: NAME, statuses: {DESK STATUS: ...}")
        if source is not None and data.get("source", source) != source:
            raise problem(
                ("source",),
                f"source: this map is for {data.get('source')!r}, not {source!r}",
            )
        entries: dict[str, StatusEntry] = {}
        for name, body in data["statuses"].items():
            at = ("statuses", name)
            if not isinstance(body, Mapping) or set(body) - {"status", "means"}:
                raise problem(
                    at, f"statuses.{name}: expected {{status: VALUE, means: MEANING}}, got {body!r}"
                )
            means = body.get("means", "open")
            if means not in MEANINGS:
                raise problem(
                    at,
                    f"statuses.{name}.means: {means!r}; expected one of {', '.join(MEANINGS)}",
                )
            entries[str(name)] = StatusEntry(str(body.get("status", name)), means)
        return cls(str(data.get("source", source or "")), entries)


# ------------------------------------------------------------------------ warnings and summary


@dataclass
class Warnings:
    """Rows skipped or read with a doubt, counted by kind, the first few of each as examples."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, where: str, message: str) -> None:
        self.counts[kind] += 1
        shown = self.examples.setdefault(kind, [])
        if len(shown) < EXAMPLES:
            shown.append(f"{where}: {message}")


@dataclass
class Summary:
    """What an import read and wrote."""

    source: str
    tickets: int = 0
    events: int = 0
    verdicts: int = 0
    first: datetime | None = None
    last: datetime | None = None
    statuses: Counter[str] = field(default_factory=Counter)
    """Each desk status seen, with how many rows carried it."""
    status_map: StatusMap | None = None
    warnings: Warnings = field(default_factory=Warnings)
    written: tuple[Path, ...] = ()

    def mapped(self) -> list[tuple[str, int, str, str, bool]]:
        """Each status seen: (desk status, rows, value written, meaning, in the map)."""
        entries = {} if self.status_map is None else self.status_map.entries
        return [
            (
                name,
                count,
                entries[name].value if name in entries else name,
                entries[name].means if name in entries else "open",
                name in entries,
            )
            for name, count in self.statuses.most_common()
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "tickets": self.tickets,
            "events": self.events,
            "verdicts": self.verdicts,
            "first": None if self.first is None else self.first.isoformat(),
            "last": None if self.last is None else self.last.isoformat(),
            "statuses": [
                {"desk": n, "rows": c, "status": v, "means": m, "known": k}
                for n, c, v, m, k in self.mapped()
            ],
            "warnings": {
                kind: {"count": count, "examples": self.warnings.examples.get(kind, [])}
                for kind, count in self.warnings.counts.most_common()
            },
            "written": [str(p) for p in self.written],
        }


# ----------------------------------------------------------------------------- reading files


class Instants:
    """Instants written in one of several formats (strptime codes), in a zone when they carry
    none; a file whose rows use more than one format gets a warning (once per file)."""

    def __init__(self, formats: Sequence[str], zone: ZoneInfo, context: Context) -> None:
        self.formats, self.zone, self.context = tuple(formats), zone, context
        self.used: dict[str, str] = {}  # by file: the first format its rows used
        self.last = self.formats[0]
        self.known: dict[str, tuple[datetime, str]] = {}  # text read before: instant, format

    def parse(
        self, text: str, file: str, row: int | None, column: str, group: str | None = None
    ) -> datetime:
        """``text`` as an instant; errors name ``file:row:column`` (``file:column`` when the
        place has no row number, as a JSON document's item). ``group``: the file whose rows'
        formats are compared (``file`` unless given: a place naming a JSON item must give its
        file, else every item would be a file of its own, one entry each kept)."""
        group = file if group is None else group
        found = self.known.get(text)
        if found is not None and found[1] == self.used.get(group, found[1]):
            return found[0]
        try:
            moment = _strptime(text, self.last)
        except ValueError:
            moment = self._other(text, file, row, column)
        first = self.used.setdefault(group, self.last)
        if first != self.last and first != "mixed":
            self.used[group] = "mixed"
            self.context.warn(
                "several date formats",
                _place(file, row, column),
                f"{text!r} is written {self.last!r}, earlier rows {first!r} (both read)",
            )
        moment = moment if moment.tzinfo else moment.replace(tzinfo=self.zone)
        if len(self.known) >= CACHED:
            self.known.clear()
        self.known[text] = (moment, self.last)
        return moment

    def _other(self, text: str, file: str, row: int | None, column: str) -> datetime:
        for form in self.formats:
            try:
                moment = _strptime(text, form)
            except ValueError:
                continue
            self.last = form
            return moment
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise DeskError(
                f"{_place(file, row, column)}: {text!r} is not an instant; expected "
                + " or ".join(repr(f) for f in self.formats)
                + " or ISO 8601"
            ) from None
        self.last = "ISO 8601"
        return moment


def _place(file: str, row: int | None, column: str) -> str:
    return f"{file}:{column}" if row is None else f"{file}:{row}:{column}"


_CODES = {
    "%d": r"(?P<day>\d{1,2})",
    "%m": r"(?P<month>\d{1,2})",
    "%Y": r"(?P<year>\d{4})",
    "%H": r"(?P<hour>\d{1,2})",
    "%M": r"(?P<minute>\d{1,2})",
    "%S": r"(?P<second>\d{1,2})",
}


@lru_cache(maxsize=64)
def _pattern(form: str) -> re.Pattern[str] | None:
    """A format of only day, month, year, hour, minute and second codes as a regular
    expression (several times faster than strptime); None for any other format."""
    parts = re.split(r"(%.)", form)
    if any(p.startswith("%") and p not in _CODES for p in parts) or len(set(parts)) < len(parts):
        return None
    return re.compile("".join(_CODES.get(p, re.escape(p)) for p in parts))


def _strptime(text: str, form: str) -> datetime:
    """``datetime.strptime``, through :func:`_pattern` when the format allows."""
    pattern = _pattern(form)
    if pattern is None:
        return datetime.strptime(text, form)
    found = pattern.fullmatch(text)
    if found is None:
        raise ValueError(f"{text!r} does not match {form!r}")
    parts = found.groupdict()
    return datetime(  # a day or hour out of range raises ValueError, as strptime does
        int(parts["year"]),
        int(parts["month"]),
        int(parts["day"]),
        int(parts.get("hour") or 0),
        int(parts.get("minute") or 0),
        int(parts.get("second") or 0),
    )


def text_files(path: Path) -> Iterator[tuple[str, io.TextIOBase]]:
    """The text streams of an export file, each with the name errors give it: a plain file, a
    ``.gz`` read through, or each ``.csv`` (else each) member of a ``.zip`` as ``file.zip!name``.
    UTF-8; a byte-order mark is skipped."""
    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if not n.endswith("/")]
                wanted = [n for n in names if n.lower().endswith(".csv")] or names
                if not wanted:
                    raise DeskError(f"{path}: an empty zip file")
                for name in wanted:
                    with archive.open(name) as member:
                        yield f"{path}!{name}", _text(member)
            return
        with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as binary:
            yield str(path), _text(binary)
    except zipfile.BadZipFile as error:
        raise DeskError(f"{path}: not a zip file, though its name ends in .zip ({error})") from None
    except (gzip.BadGzipFile, EOFError) as error:
        raise DeskError(f"{path}: not a readable gzip file ({error})") from None
    except UnicodeDecodeError as error:
        raise DeskError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start} of a block); "
            "save the file as UTF-8"
        ) from None
    except OSError as error:
        raise DeskError(f"{path}: cannot read: {error.strerror or error}") from None


def unpacked_size(path: Path) -> int:
    """A file's size in bytes once decompressed: a zip's members' sizes, a gzip file's size
    as its trailer states it (modulo 4 GiB), else its size on disk."""
    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                return sum(info.file_size for info in archive.infolist())
        if path.suffix == ".gz":
            with path.open("rb") as handle:
                handle.seek(-4, io.SEEK_END)
                return int.from_bytes(handle.read(4), "little")
    except (OSError, zipfile.BadZipFile):
        pass  # reading it will say what is wrong
    return path.stat().st_size


def _text(binary: Any) -> io.TextIOBase:
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


def zone_named(name: str | None) -> ZoneInfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DeskError(
            f"--timezone: unknown time zone {name!r}; expected an IANA name such as "
            "'Europe/Lisbon' or 'UTC'"
        ) from None


# ------------------------------------------------------------------------------ the context


@dataclass
class Context:
    """What a source reads with: the status map, the zone given, warnings, and progress."""

    statuses: StatusMap
    zone: ZoneInfo | None = None
    warnings: Warnings = field(default_factory=Warnings)
    seen: Counter[str] = field(default_factory=Counter)
    on_progress: Callable[[int], None] = lambda _: None

    def status(self, raw: str, where: str) -> str:
        """The value written for a desk status; an unknown one is written as it is, means
        open, and is warned about (the first time per status, counted every time)."""
        self.seen[raw] += 1
        entry = self.statuses.entries.get(raw)
        if entry is not None:
            return entry.value
        self.warn(
            "unknown status",
            where,
            f"{raw!r} is not in the status map: imported as open "
            "(add it to the map and pass it back with --statuses)",
        )
        return raw

    def warn(self, kind: str, where: str, message: str) -> None:
        self.warnings.add(kind, where, message)

    def advance(self, amount: int) -> None:
        self.on_progress(amount)

    def require_zone(self, why: str) -> ZoneInfo:
        if self.zone is None:
            raise DeskError(
                f"{why}: the export writes times without a time zone; give the desk's zone "
                "with --timezone (an IANA name such as 'Europe/Lisbon', or 'UTC')"
            )
        return self.zone


# ------------------------------------------------------------------------------ the sources


class Source(ABC):
    """A desk whose exports Accord imports (see :mod:`accord.io.desks` for the contract)."""

    name: ClassVar[str]
    title: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]
    """The ticket fields its events may set (the Parquet ``fields`` struct's members)."""
    statuses: ClassVar[StatusMap]

    @abstractmethod
    def read(self, files: Sequence[Path], context: Context) -> Iterator[TicketEvent | Verdict]:
        """The events (a ticket's together, in time order) and the desk's verdicts."""

    def size(self, files: Sequence[Path]) -> int:
        """How much ``read`` will report through ``context.advance``: the files' bytes once
        decompressed (as far as the archives say)."""
        return sum(unpacked_size(f) for f in files if f.exists())


_SOURCES: dict[str, type[Source]] = {}
BUILT_IN: tuple[str, ...] = tuple(BUILT_IN_DESKS.values())
"""The modules of Accord's own sources, imported when the registry is first read."""


def register(source: type[Source]) -> type[Source]:
    """Make a source available to ``accord import NAME`` (a class decorator)."""
    if source.name in _SOURCES and _SOURCES[source.name] is not source:
        raise ValueError(f"a desk source named {source.name!r} is registered already")
    _SOURCES[source.name] = source
    return source


def sources() -> dict[str, type[Source]]:
    """Every registered source by name (the built-in ones imported first)."""
    for module in BUILT_IN:
        importlib.import_module(module)  # each registers itself
    return dict(_SOURCES)


def source_named(name: str) -> Source:
    known = sources()
    if name not in known:
        raise DeskError(f"unknown desk {name!r}; expected one of {', '.join(sorted(known))}")
    return known[name]()


def status_map(entries: Iterable[tuple[str, Meaning]], source: str) -> StatusMap:
    """A default status map writing each desk status as it is, with its meaning."""
    return StatusMap(source, {name: StatusEntry(name, means) for name, means in entries})
