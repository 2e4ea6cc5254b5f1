"""The evidence a report is judged on: outages, maintenance, ticket events, measurements, probes
and request counts, with the span of time they cover.

A report can only judge what its evidence covers. :meth:`Data.span` says which span that is: the
span declared by whoever gathered the data (``observed``), or else the span from the first to the
last record. :meth:`Data.known_at` is the evidence as it was known at an instant, for reports that
re-evaluate a past period as it looked then: when the evidence holds records after that instant,
it was being kept through it, so the span known then reaches the instant (``kept_until``).

The ticket log comes as :class:`~accord.core.clocks.TicketEvent` objects (``tickets``) or as
columns (``ticket_columns``: a Parquet log read straight into
:class:`~accord.core.clocks_batch.EventColumns`), which a report judges without an object per
event.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import compress
from operator import attrgetter

import numpy as np

from accord.core.availability import MaintenanceWindow, Outage
from accord.core.calendar import to_nanos
from accord.core.clocks import TicketEvent
from accord.core.clocks_batch import EventColumns


@dataclass(frozen=True)
class Measurement:
    """A measured fact for count, throughput, deliverable and first-contact objectives."""

    source: str
    at: datetime
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    """One uptime check of a service."""

    service: str
    at: datetime
    ok: bool


@dataclass(frozen=True)
class Requests:
    """Requests a service served in a slice starting at ``at``: good out of total."""

    service: str
    at: datetime
    good: int
    total: int


@dataclass(frozen=True)
class Data:
    """What happened: the evidence a report is computed from.

    ``observed`` is the span the evidence is complete over, when whoever gathered it says so
    (a data folder's ``coverage.yaml``; the service, from its first record to now): an outage
    log with no outage in a month means the month was up only if the month was observed."""

    outages: tuple[Outage, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()
    tickets: tuple[TicketEvent, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    probes: tuple[Probe, ...] = ()
    requests: tuple[Requests, ...] = ()
    observed: tuple[datetime, datetime] | None = None
    ticket_columns: EventColumns | None = None
    """The ticket log as columns, in place of ``tickets`` (not both): the same events, judged
    alike (:meth:`ticket_log`)."""
    kept_until: datetime | None = None
    """Without a declared span: an instant the records were being kept through, later than the
    last of them (the instant judged at, when the evidence as given held records after it:
    :meth:`known_at`). The span inferred from the records reaches it. It says nothing of which
    kinds of record were kept (a ticket log is not an outage log)."""

    def __post_init__(self) -> None:
        if self.ticket_columns is not None and self.tickets:
            raise ValueError("ticket events and ticket columns given together: one log, one way")

    @property
    def ticket_log(self) -> tuple[TicketEvent, ...] | EventColumns:
        """The ticket log as given: columns, or events."""
        return self.tickets if self.ticket_columns is None else self.ticket_columns

    @property
    def has_tickets(self) -> bool:
        """Whether the evidence holds any ticket event."""
        columns = self.ticket_columns
        return bool(self.tickets) or (columns is not None and len(columns.at) > 0)

    def ticket_names(self) -> set[str]:
        """The tickets with an event in the evidence."""
        columns = self.ticket_columns
        if columns is None:
            return {e.ticket for e in self.tickets}
        seen = np.zeros(len(columns.tickets), dtype=bool)
        seen[columns.ticket] = True
        return {columns.tickets[code] for code in np.flatnonzero(seen).tolist()}

    def events_of(self, tickets: Collection[str]) -> list[TicketEvent]:
        """The events of the given tickets (made from the columns for these tickets only, when
        the log is columns: the replay of a few tickets, a breach's timeline)."""
        columns = self.ticket_columns
        if columns is None:
            return [e for e in self.tickets if e.ticket in tickets]
        names = columns.tickets
        codes = []
        for name in tickets:
            try:
                codes.append(names.index(name))
            except ValueError:  # a ticket the columns do not name: no event
                continue
        kept = np.zeros(len(names), dtype=bool)
        kept[codes] = True
        return columns.events_of(np.flatnonzero(kept[columns.ticket]))

    def span(self) -> tuple[datetime, datetime] | None:
        """The span the evidence covers: ``observed`` when declared, else from the first to the
        last instant any record names, or to ``kept_until`` when later (None: no record at
        all)."""
        if self.observed is not None:
            return self.observed
        instants = list(self._instants())
        if not instants:
            return None
        if self.kept_until is not None:
            instants.append(self.kept_until)
        return min(instants), max(instants)

    def _instants(self) -> Iterator[datetime]:
        for outage in self.outages:
            yield outage.start
            if outage.end is not None:
                yield outage.end
        for work in self.maintenance:
            yield work.start
            yield work.end
        columns = self.ticket_columns
        if columns is not None and len(columns.at):
            yield _instant(int(columns.at.min()))
            yield _instant(int(columns.at.max()))
        for records in (self.tickets, self.measurements, self.probes, self.requests):
            if records:  # the earliest and latest of each kind are enough (a pass in C each)
                instants = list(map(_AT, records))
                yield min(instants)
                yield max(instants)

    def known_at(self, instant: datetime) -> Data:
        """The evidence as known at ``instant``: records at or before it (an event at that very
        instant is known then); an outage still going on then has no end yet; maintenance
        known once announced (or once begun, when its announcement is not recorded); a request
        count, a slice starting at its instant, once it has begun. The observed span ends
        there too, holding that instant (a microsecond after it, as spans are half-open).

        Without a declared span, records after ``instant`` show that the evidence was being
        kept through it: the span known then reaches ``instant`` (``kept_until``), as the
        service's, which watched until then, does; a month begun after the last record known
        but by ``instant`` is judged, not "no data". Evidence ending before ``instant`` says
        nothing of after its end, and its span stays as it was."""
        outages = tuple(
            o if o.end is not None and o.end <= instant else replace(o, end=None)
            for o in self.outages
            if o.start <= instant
        )
        maintenance = tuple(
            m
            for m in self.maintenance
            if (m.announced_at if m.announced_at is not None else m.start) <= instant
        )
        observed, kept = self.observed, self.kept_until
        if observed is not None:
            observed = (observed[0], min(observed[1], instant + timedelta(microseconds=1)))
        else:
            span = self.span()
            if span is not None and span[1] > instant:
                kept = instant
        return Data(
            outages=outages,
            maintenance=maintenance,
            tickets=_until(self.tickets, instant),
            ticket_columns=None
            if self.ticket_columns is None
            else _columns_until(self.ticket_columns, instant),
            measurements=tuple(m for m in self.measurements if m.at <= instant),
            probes=tuple(p for p in self.probes if p.at <= instant),
            requests=tuple(r for r in self.requests if r.at < instant),
            observed=observed,
            kept_until=kept,
        )


_AT = attrgetter("at")


def _until(events: tuple[TicketEvent, ...], instant: datetime) -> tuple[TicketEvent, ...]:
    """The events at or before ``instant``: all of them, the same tuple, when none is after."""
    instants = list(map(_AT, events))
    if not instants or max(instants) <= instant:
        return events
    return tuple(compress(events, [at <= instant for at in instants]))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _instant(ns: int) -> datetime:
    """Nanoseconds since the epoch as the instant an event has (UTC, to the microsecond)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _columns_until(columns: EventColumns, instant: datetime) -> EventColumns:
    """:func:`_until` on columns: the rows at or before ``instant`` (compared to the microsecond,
    as an event's instant is); the same columns when none is after."""
    micros = columns.at // 1000
    last = to_nanos(instant) // 1000
    if not len(micros) or int(micros.max()) <= last:
        return columns
    return columns.of_rows(np.flatnonzero(micros <= last))


def carried_fields(columns: EventColumns, names: Iterable[str] | None = None) -> set[str]:
    """The ticket fields (of ``names``, default all) that some row of the columns sets, as the
    fields of the events they hold would be: a name the columns know with no value on these
    rows (a Parquet struct field that is always null, rows cut away) is not carried."""
    fields = columns.fields
    wanted = list(fields) if names is None else [n for n in names if n in fields]
    return {name for name in wanted if bool((fields[name][0] >= 0).any())}
