"""An import run: a source's stream written as Accord's event log (Parquet row groups as it
goes, or JSON Lines), the desk's verdicts in a sibling ``.verdicts.jsonl``, the status map in a
sibling ``.statuses.yaml``, and the summary. Each file is written beside its place and moved
there only when the whole import succeeded: a failed import leaves nothing half-written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from accord.core.clocks import TicketEvent
from accord.io.desks.base import Context, DeskError, Source, Summary, Verdict

ROW_GROUP = 65_536
"""Events per Parquet row group: what the writer holds in memory at most."""


def siblings(out: Path) -> tuple[Path, Path]:
    """Where the verdicts and the status map of an import into ``out`` go."""
    stem = out.name.split(".")[0] or out.name
    return out.with_name(f"{stem}.verdicts.jsonl"), out.with_name(f"{stem}.statuses.yaml")


def output_format(out: Path) -> str:
    if out.suffix == ".parquet":
        return "parquet"
    if out.suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise DeskError(f"-o {out}: name a .parquet or .jsonl file (the format follows the suffix)")


def import_files(
    source: Source,
    files: Sequence[Path],
    out: Path,
    context: Context,
    on_start: Callable[[int], None] = lambda _: None,
) -> Summary:
    """Import ``files`` with ``source`` into ``out`` (.parquet or .jsonl) and its siblings."""
    form = output_format(out)
    for file in files:
        if not file.exists() or file.is_dir():
            raise DeskError(f"{file}: no such file")
    if not out.parent.is_dir():
        raise DeskError(f"-o {out}: the folder {out.parent} does not exist")
    verdicts_path, statuses_path = siblings(out)
    summary = Summary(source.name, status_map=context.statuses, warnings=context.warnings)
    on_start(source.size(files))
    partials = [_partial(p) for p in (out, verdicts_path, statuses_path)]
    try:
        with ExitStack() as stack:
            events: _Sink = stack.enter_context(
                _ParquetSink(partials[0], source.fields)
                if form == "parquet"
                else _JsonlSink(partials[0])
            )
            verdicts = stack.enter_context(partials[1].open("w", encoding="utf-8"))
            _drain(source.read(files, context), events, verdicts, summary)
        summary.statuses = context.seen
        partials[2].write_text(context.statuses.to_yaml(context.seen), encoding="utf-8")
        for partial, final in zip(partials, (out, verdicts_path, statuses_path), strict=True):
            partial.replace(final)
    except BaseException as error:
        for partial in partials:
            partial.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise DeskError(f"-o {out}: cannot write: {error.strerror or error}") from None
        raise
    summary.written = (out, verdicts_path, statuses_path)
    return summary


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _drain(
    stream: Iterator[TicketEvent | Verdict], events: _Sink, verdicts: IO[str], summary: Summary
) -> None:
    current: str | None = None
    for item in stream:
        if isinstance(item, Verdict):
            verdicts.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")
            summary.verdicts += 1
            continue
        if item.ticket != current:
            summary.tickets += 1
            current = item.ticket
        summary.events += 1
        if summary.first is None or item.at < summary.first:
            summary.first = item.at
        if summary.last is None or item.at > summary.last:
            summary.last = item.at
        events.add(item)


class _Sink:
    def __enter__(self) -> _Sink:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def add(self, event: TicketEvent) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _JsonlSink(_Sink):
    """Accord's JSON Lines (as :func:`accord.io.tickets.write_events` writes them)."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("w", encoding="utf-8")

    def add(self, event: TicketEvent) -> None:
        from accord.io.tickets import event_row

        self.handle.write(json.dumps(event_row(event), ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.handle.close()


class _ParquetSink(_Sink):
    """Accord's Parquet columns (id, ticket, at, kind, fields struct, author, public), which
    :func:`accord.io.tickets.read_event_columns` reads; a row group every ``ROW_GROUP``
    events, so that memory holds one row group at most."""

    def __init__(self, path: Path, fields: Sequence[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.names = tuple(fields)
        self.schema = pa.schema(
            [
                ("id", pa.string()),
                ("ticket", pa.string()),
                ("at", pa.timestamp("us", tz="UTC")),
                ("kind", pa.string()),
                ("fields", pa.struct([(n, pa.string()) for n in self.names])),
                ("author", pa.string()),
                ("public", pa.bool_()),
            ]
        )
        self.writer = pq.ParquetWriter(path, self.schema)
        self._clear()

    def _clear(self) -> None:
        self.rows: dict[str, list[Any]] = {name: [] for name in self.schema.names}

    def add(self, event: TicketEvent) -> None:
        unknown = set(event.fields) - set(self.names)
        if unknown:  # a source's promise broken: its fields are declared up front
            raise DeskError(f"event {event.id!r}: field(s) {sorted(unknown)} not declared")
        rows = self.rows
        rows["id"].append(event.id)
        rows["ticket"].append(event.ticket)
        rows["at"].append(event.at)
        rows["kind"].append(event.kind)
        rows["fields"].append(dict(event.fields))
        rows["author"].append(event.author)
        rows["public"].append(event.public)
        if len(rows["id"]) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self.rows["id"]:
            table = self.pa.Table.from_pydict(self.rows, schema=self.schema)
            self.writer.write_table(table)
            self._clear()

    def close(self) -> None:
        self._flush()
        self.writer.close()


def read_verdicts(path: Path) -> list[Verdict]:
    """The desk's verdicts an import wrote (JSON Lines); DeskError naming the line."""
    from accord.io.text import text_lines
    from accord.io.tickets import json_objects

    if not path.is_file():
        raise DeskError(f"{path}: no such file (the .verdicts.jsonl an import writes)")
    return [
        Verdict.from_json(row, f"{path}:{line}")
        for line, row in json_objects(text_lines(path), str(path), DeskError)
    ]
