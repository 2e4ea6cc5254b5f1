"""The evidence a report is judged on: outages, maintenance, ticket events, measurements, probes
and request counts, with the span of time they cover.

A report can only judge what its evidence covers. :meth:`Data.span` says which span that is: the
span declared by whoever gathered the data (``observed``), or else the span from the first to the
last record. :meth:`Data.known_at` is the evidence as it was known at an instant, for reports that
re-evaluate a past period as it looked then.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import compress
from operator import attrgetter

from accord.core.availability import MaintenanceWindow, Outage
from accord.core.clocks import TicketEvent


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

    def span(self) -> tuple[datetime, datetime] | None:
        """The span the evidence covers: ``observed`` when declared, else from the first to the
        last instant any record names (None: no record at all)."""
        if self.observed is not None:
            return self.observed
        instants = list(self._instants())
        if not instants:
            return None
        return min(instants), max(instants)

    def _instants(self) -> Iterator[datetime]:
        for outage in self.outages:
            yield outage.start
            if outage.end is not None:
                yield outage.end
        for work in self.maintenance:
            yield work.start
            yield work.end
        for records in (self.tickets, self.measurements, self.probes, self.requests):
            if records:  # the earliest and latest of each kind are enough (a pass in C each)
                instants = list(map(_AT, records))
                yield min(instants)
                yield max(instants)

    def known_at(self, instant: datetime) -> Data:
        """The evidence as known at ``instant``: records from before it; an outage still going
        on then has no end yet; maintenance known once announced (or once begun, when its
        announcement is not recorded). The observed span ends there too."""
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
        observed = self.observed
        if observed is not None:
            observed = (observed[0], min(observed[1], instant))
        return Data(
            outages=outages,
            maintenance=maintenance,
            tickets=_until(self.tickets, instant),
            measurements=tuple(m for m in self.measurements if m.at <= instant),
            probes=tuple(p for p in self.probes if p.at <= instant),
            requests=tuple(r for r in self.requests if r.at < instant),
            observed=observed,
        )


_AT = attrgetter("at")


def _until(events: tuple[TicketEvent, ...], instant: datetime) -> tuple[TicketEvent, ...]:
    """The events at or before ``instant``: all of them, the same tuple, when none is after."""
    instants = list(map(_AT, events))
    if not instants or max(instants) <= instant:
        return events
    return tuple(compress(events, [at <= instant for at in instants]))
