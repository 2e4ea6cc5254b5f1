"""A ticket log larger than memory: rewritten into buckets of whole tickets, evaluated a bucket
at a time, on one machine or on Dask.

**Layout.** :func:`partition_log` streams a Parquet event log (Accord's columns: id, ticket, at,
kind, fields struct, author, public, and any other column such as the mapping's ``order``)
into ``buckets`` Parquet files, hive-style: ``DIR/bucket=00007/part-0.parquet``. A ticket's
bucket is the CRC-32 of its id (UTF-8) modulo the number of buckets, so every event of a ticket
lands in one bucket, in the order of the source (ties at one instant keep their order).
``DIR/_accord_partitions.json`` records the number of buckets and the hash; a directory without
it is refused, and each bucket's tickets are checked to hash to it when it is read (a file
copied into the wrong bucket is an error naming it, not a ticket evaluated twice in halves).
Memory: one batch of the source and what each bucket's writer keeps (a few kB of metadata per
row group), not the log: the source is read without pyarrow's pre-buffering, whose cache keeps
every row group's compressed bytes until the file is closed (apache/arrow#39808; 20M tickets,
1.8 GB of Parquet, peaked at 2.7 GB with it, 0.87 GB without).

**Evaluation.** :func:`evaluate_partitioned` first scans the dataset's ``at`` and ``fields``
columns (pyarrow.dataset, batch by batch) for the end of the log (the instant every ticket is
judged at, as the whole log's evaluation takes it) and the fields some event carries (the
whole log's check of the clock rules' fields). Then each bucket is read with
:func:`accord.io.tickets.read_event_columns`, evaluated with
:func:`accord.core.clock_engines.evaluate_clocks` as of that instant, and summed up into a
:class:`accord.core.tallies.Tally`; tallies merge exactly. Peak memory: one bucket's columns
and clocks, plus the tallies (8 bytes per finished clock, for exact percentiles).

**Dask.** ``runner="dask"`` runs the same :func:`evaluate_bucket` as one Dask task per bucket
(``dask.compute``, in the scheduler given: ``threads``, ``processes``, ``sync``, or None for the
default, a ``dask.distributed`` client's cluster when one is active). The results are the same
as the local run's: the same function on the same buckets, merged in bucket order.
"""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from accord.core.agreement import Agreement
from accord.core.calendar import BusinessCalendar
from accord.core.clock_engines import ENGINES, EngineError, engine_account, evaluate_clocks
from accord.core.clocks import Clock, calendars_of, require_fields, rule_fields
from accord.core.clocks_batch import evaluate as evaluate_columns
from accord.core.clocks_batch import uncovered
from accord.core.errors import AccordError
from accord.core.tallies import Tally
from accord.io.tickets import TicketLogError, read_event_columns

MANIFEST = "_accord_partitions.json"
HASH = "crc32(ticket utf-8) mod buckets"
Runner = Literal["local", "dask"]


class PartitionError(AccordError, ValueError):
    """A partitioned log that cannot be written or read, naming the directory or file."""


def bucket_of(ticket: str, buckets: int) -> int:
    """The bucket of a ticket: CRC-32 of its id in UTF-8, modulo the number of buckets (the
    same in every process and on every machine, unlike Python's ``hash``)."""
    return zlib.crc32(ticket.encode("utf-8")) % buckets


@dataclass(frozen=True)
class Written:
    """What :func:`partition_log` wrote: events per bucket."""

    root: Path
    buckets: int
    events: list[int]


def partition_log(
    source: str | Path, target: str | Path, buckets: int, *, batch_rows: int = 1_000_000
) -> Written:
    """Rewrite a Parquet event log into ``buckets`` buckets of whole tickets under ``target``
    (see the module docstring), streaming ``batch_rows`` rows at a time. ``target`` must not
    exist; it is written under a temporary name and renamed when complete (nothing
    half-written)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if buckets < 1:
        raise PartitionError(f"buckets: expected a positive number, got {buckets}")
    source, target = Path(source), Path(target)
    if target.exists():
        raise PartitionError(f"{target}: already exists; give a new directory")
    try:
        reader = pq.ParquetFile(source, pre_buffer=False)  # see the module docstring
    except Exception as error:  # pyarrow raises several types for unreadable files
        raise TicketLogError(f"{source}: not a readable Parquet file: {error}") from None
    schema = reader.schema_arrow
    missing = {"id", "ticket", "at", "kind"} - set(schema.names)
    if missing:
        raise TicketLogError(f"{source}: missing column(s) {', '.join(sorted(missing))}")
    partial = target.with_name(f".{target.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    writers: dict[int, Any] = {}
    events = [0] * buckets
    try:
        for batch in reader.iter_batches(batch_size=batch_rows):
            tickets = batch.column("ticket")
            if tickets.null_count:
                raise TicketLogError(f"{source}: column 'ticket': missing value")
            encoded = pc.dictionary_encode(tickets.cast(pa.string()))
            names = encoded.dictionary.to_pylist()
            of_name = np.array([bucket_of(n, buckets) for n in names], dtype=np.int64)
            row_bucket = of_name[encoded.indices.to_numpy(zero_copy_only=False)]
            order = np.argsort(row_bucket, kind="stable")  # the source's order within a bucket
            arranged = batch.take(pa.array(order))
            counts = np.bincount(row_bucket, minlength=buckets)
            ends = np.cumsum(counts)
            for b in np.flatnonzero(counts).tolist():
                part = arranged.slice(int(ends[b] - counts[b]), int(counts[b]))
                if b not in writers:
                    folder = partial / f"bucket={b:05d}"
                    folder.mkdir()
                    writers[b] = pq.ParquetWriter(folder / "part-0.parquet", schema)
                writers[b].write_table(pa.Table.from_batches([part], schema))
                events[b] += int(counts[b])
    except BaseException:
        for writer in writers.values():
            writer.close()
        shutil.rmtree(partial, ignore_errors=True)
        raise
    for writer in writers.values():
        writer.close()
    manifest = {"buckets": buckets, "hash": HASH, "source": str(source), "events": sum(events)}
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    partial.rename(target)
    return Written(target, buckets, events)


@dataclass(frozen=True)
class Partitions:
    """A partitioned log on disk: its buckets' files, in bucket order."""

    root: Path
    buckets: int
    files: list[tuple[int, Path]]

    @classmethod
    def open(cls, root: str | Path) -> Partitions:
        """The partitioned log at ``root`` (written by :func:`partition_log`)."""
        import pyarrow.dataset as ds

        root = Path(root)
        manifest_file = root / MANIFEST
        if not manifest_file.is_file():
            raise PartitionError(
                f"{root}: not a partitioned log (no {MANIFEST}); write one with "
                "`accord partition LOG.parquet DIR`"
            )
        try:
            manifest = json.loads(manifest_file.read_text())
            buckets = int(manifest["buckets"])
        except (ValueError, KeyError, TypeError) as error:
            raise PartitionError(f"{manifest_file}: unreadable: {error}") from None
        if manifest.get("hash") != HASH:
            raise PartitionError(
                f"{manifest_file}: tickets hashed by {manifest.get('hash')!r}; "
                f"this version reads {HASH!r}"
            )
        dataset = ds.dataset(root, format="parquet", partitioning="hive")
        files: dict[int, Path] = {}
        for name in dataset.files:
            path = Path(name)
            folder = path.parent.name
            if not folder.startswith("bucket=") or not folder[7:].isdigit():
                raise PartitionError(f"{path}: not in a bucket=N folder")
            number = int(folder[7:])
            if number >= buckets:
                raise PartitionError(f"{path}: bucket {number}, of {buckets} buckets")
            if number in files:
                raise PartitionError(f"{path}: a second file in bucket {number}")
            files[number] = path
        return cls(root, buckets, sorted(files.items()))

    def scan(self) -> tuple[datetime | None, set[str], list[str], int]:
        """The end of the log (its latest event), the fields some event carries, the fields of
        the log's ``fields`` column, and the number of events, read batch by batch (the ``at``
        and ``fields`` columns only)."""
        import pyarrow.compute as pc
        import pyarrow.dataset as ds

        dataset = ds.dataset([str(p) for _, p in self.files], format="parquet")
        names = dataset.schema.names
        struct = dataset.schema.field("fields").type if "fields" in names else None
        fields = [struct.field(i).name for i in range(struct.num_fields)] if struct else []
        columns = ["at", "fields"] if fields else ["at"]
        end: int | None = None
        carried: set[str] = set()
        events = 0
        for batch in dataset.to_batches(columns=columns):
            events += batch.num_rows
            if not batch.num_rows:
                continue
            latest = pc.max(batch.column("at").cast("int64")).as_py()
            if latest is not None and (end is None or latest > end):
                end = latest
            for i, name in enumerate(fields):
                if name not in carried:
                    values = pc.struct_field(batch.column("fields"), [i])
                    if values.null_count < len(values):
                        carried.add(name)
        if end is None:
            return None, carried, fields, events
        unit = dataset.schema.field("at").type.unit
        per = {"s": 1_000_000, "ms": 1000, "us": 1, "ns": 1 / 1000}[unit]
        micros = end * per if unit != "ns" else end // 1000
        end_at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))
        return end_at, carried, fields, events


@dataclass
class BucketResult:
    """One bucket's evaluation: its tickets and events, the engine's account, its tally, and
    (when asked for) its clocks."""

    bucket: int
    tickets: int
    events: int
    engine: str
    fell_back_tickets: int
    tally: Tally
    clocks: list[Clock] | None = None
    fell_back: frozenset[tuple[str, str]] = frozenset()  # (ticket, metric), with the clocks

    def evaluated_by(self, clock: Clock) -> str:
        """The engine that computed this clock (as :class:`ClockEvaluation` says it)."""
        if self.engine == "columns" and (clock.ticket, clock.metric) not in self.fell_back:
            return "columns"
        return "replay"


def evaluate_bucket(
    bucket: int,
    path: str | Path,
    buckets: int,
    agreement: Agreement,
    as_of: datetime | None,
    engine: str = "auto",
    by: Sequence[str] = (),
    order: str | None = None,
    keep_clocks: bool = False,
) -> BucketResult:
    """The clocks of one bucket's tickets as of ``as_of`` (the whole log's instant), summed up
    (see the module docstring). A ticket that does not hash to this bucket is an error. The
    agreement's calendars are built here, once per process (they do not travel between
    processes: their caches are the process's own)."""
    columns = read_event_columns(path, order)
    names = columns.tickets[0 : len(columns.tickets)]  # one conversion, not one per ticket
    strays = [t for t in names if bucket_of(t, buckets) != bucket]
    if strays:
        raise PartitionError(
            f"{path}: ticket {strays[0]!r} belongs in bucket {bucket_of(strays[0], buckets)}, "
            f"not {bucket} ({len(strays)} such tickets); rewrite the log with `accord partition`"
        )
    # the fields' check was made over the whole log (a bucket may lack a field others carry)
    objectives, calendars = agreement.objectives, _calendars(agreement)
    if as_of is None and len(columns.at):  # the end of this bucket, as evaluate_clocks takes it
        as_of = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
            microseconds=int(columns.at.max()) // 1000
        )
    if not keep_clocks and engine != "replay" and not uncovered(objectives):
        # the column engine, summed up from its table: no Python object per clock
        result = evaluate_columns(columns, objectives, calendars, as_of, require=False)
        return BucketResult(
            bucket=bucket,
            tickets=len(columns.tickets),
            events=len(columns.at),
            engine="columns",
            fell_back_tickets=len({ticket for ticket, _ in result.replayed_for}),
            tally=Tally.of_batch(result, by),
        )
    evaluation = evaluate_clocks(
        columns,
        objectives,
        calendars,
        as_of,
        engine,  # type: ignore[arg-type]
        require=False,
    )
    return BucketResult(
        bucket=bucket,
        tickets=evaluation.tickets,
        events=len(columns.at),
        engine=evaluation.engine,
        fell_back_tickets=evaluation.fell_back_tickets,
        tally=Tally.of(evaluation.clocks, by),
        clocks=list(evaluation.clocks) if keep_clocks else None,
        fell_back=evaluation.fell_back if keep_clocks else frozenset(),
    )


@dataclass
class PartitionedEvaluation:
    """A partitioned log's evaluation: the merged tally, the instant every ticket was judged at,
    and the engines' account summed over the buckets."""

    tally: Tally
    as_of: datetime | None
    engine: str
    tickets: int = 0
    events: int = 0
    fell_back_tickets: int = 0
    buckets: list[BucketResult] = field(default_factory=list)

    def account(self) -> str:
        """One line: which engine ran, and how many tickets fell back to the replay."""
        return engine_account(self.engine, self.fell_back_tickets, self.tickets)


def _calendars(agreement: Agreement) -> Mapping[str, BusinessCalendar]:
    """The agreement's calendars, kept for the next bucket of this process (their tables are
    laid out once)."""
    key = agreement.model_dump_json()
    if key not in _CALENDARS:
        _CALENDARS.clear()  # one agreement at a time
        _CALENDARS[key] = calendars_of(agreement)
    return _CALENDARS[key]


_CALENDARS: dict[str, Mapping[str, BusinessCalendar]] = {}


def evaluate_partitioned(
    root: str | Path,
    agreement: Agreement,
    as_of: datetime | None = None,
    engine: str = "auto",
    by: Sequence[str] = (),
    *,
    order: str | None = None,
    runner: Runner = "local",
    scheduler: str | None = "threads",
    on_bucket: Callable[[BucketResult], None] | None = None,
    keep_clocks: bool = False,
    require: bool = True,
) -> PartitionedEvaluation:
    """Every ticket's clocks of a partitioned log under the agreement's objectives, as of
    ``as_of`` (default: the end of the whole log), summed up per objective and ``by`` group;
    see the module docstring.
    ``on_bucket`` is called with each bucket's result as it is done (in bucket order locally;
    in completion order on Dask's local schedulers); ``keep_clocks`` keeps each bucket's clocks
    in its result (local runner only: for printing ticket by ticket, a bucket at a time, drop
    them in ``on_bucket``)."""
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    partitions = Partitions.open(root)
    end, carried, names, _ = partitions.scan()
    moment = as_of.astimezone(UTC) if as_of is not None else end
    objectives = agreement.objectives
    if require and end is not None:  # as the whole log's evaluation checks them
        needed = rule_fields(objectives)
        require_fields(objectives, carried | {n for n in names if n not in needed})
    arguments = (partitions.buckets, agreement, moment, engine, tuple(by), order)
    results: list[BucketResult] = []
    if runner == "local":
        for bucket, path in partitions.files:
            result = evaluate_bucket(bucket, path, *arguments, keep_clocks=keep_clocks)
            if on_bucket is not None:
                on_bucket(result)
            results.append(result)
    elif runner == "dask":
        if keep_clocks:
            raise PartitionError("keep_clocks: the local runner only")
        results = _on_dask(partitions, arguments, scheduler, on_bucket)
    else:
        raise PartitionError(f"unknown runner {runner!r}; expected local or dask")
    results.sort(key=lambda r: r.bucket)
    tally = Tally(tuple(by))
    for result in results:
        tally.merge(result.tally)
    engines = {r.engine for r in results}
    chosen = engines.pop() if len(engines) == 1 else ("replay" if engine == "replay" else "columns")
    evaluation = PartitionedEvaluation(tally, moment, chosen, buckets=results)
    for result in results:
        evaluation.tickets += result.tickets
        evaluation.events += result.events
        evaluation.fell_back_tickets += result.fell_back_tickets
    return evaluation


def _on_dask(
    partitions: Partitions,
    arguments: tuple[Any, ...],
    scheduler: str | None,
    on_bucket: Callable[[BucketResult], None] | None,
) -> list[BucketResult]:
    """One Dask task per bucket, computed by the scheduler given (None: Dask's default)."""
    try:
        from dask.base import compute
        from dask.callbacks import Callback
        from dask.delayed import delayed
    except ModuleNotFoundError as missing:  # the optional extra is not installed
        raise PartitionError(
            "--runner dask needs Dask, which is not installed: pip install 'accord[distributed]'"
        ) from missing

    tasks = [
        delayed(evaluate_bucket, pure=True)(bucket, str(path), *arguments)
        for bucket, path in partitions.files
    ]

    class Progress(Callback):
        def _posttask(self, key: Any, result: Any, *_: Any) -> None:
            if on_bucket is not None and isinstance(result, BucketResult):
                on_bucket(result)

    options = {} if scheduler is None else {"scheduler": scheduler}
    with Progress():  # type: ignore[no-untyped-call]
        found = compute(*tasks, **options)  # type: ignore[no-untyped-call]
    return list(found)
