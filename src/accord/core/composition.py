"""Availability of composed services: a service made of components, all of which must be up, or
whose availability is a weighted blend of theirs.

An agreement's service may list ``components`` (services it depends on):

- ``composition: all`` (the default): the service is down whenever any of its components (or a
  component of one, recursively) is down. Its downtime is the union of all their outages, each
  instant once at the heaviest impact, with the agreement's exclusions; maintenance of any of
  them is maintenance of the service.
- ``composition: weighted``: each component's availability is computed on its own, and the
  service's is their weighted blend: downtime ``sum(w * downtime)`` over the window
  ``sum(w * window)`` (the weights add up to 1; with equal windows this is ``sum(w * percent)``).
  A component's excluded maintenance leaves out only that component's share of the time.

Records (outages, maintenance) against a composed service itself count against every component.
Pure: the figures come from :func:`accord.core.availability.availability_counted`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from accord.core.agreement.model import Exclusions, Service
from accord.core.availability import (
    Availability,
    Downtime,
    Engine,
    Incidents,
    MaintenanceWindow,
    Outage,
    OutageIndex,
    availability_counted,
    incidents_of,
)
from accord.core.calendar import BusinessCalendar

_HUNDRED = Decimal(100)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Part:
    """One component of a weighted service: its weight and its own figures."""

    service: str
    weight: Decimal
    figures: ServiceAvailability

    @property
    def reason(self) -> str:
        return f"{self.weight} x {self.service} {self.figures.percent:.4f}%"


@dataclass(frozen=True)
class ServiceAvailability:
    """Availability of a (possibly composed) service: figures in exact microseconds."""

    service: str
    composition: str
    """``single`` (no components), ``all`` or ``weighted``."""
    window: Decimal
    """Business time measured, µs (for a weighted service, the weighted sum of its parts')."""
    downtime: Decimal
    """Downtime counted, µs, weighted by impact (and by component weight)."""
    excluded: Decimal
    """Time left out of the window (maintenance), µs."""
    target: Decimal | None
    intervals: tuple[Downtime, ...]
    services: tuple[str, ...] = ()
    """The services whose records were counted (for ``single`` and ``all``)."""
    parts: tuple[Part, ...] = ()
    """For ``weighted``: each component with its weight and figures."""

    @property
    def percent(self) -> Decimal:
        """Up share of the window in percent, exact (100 when the window is empty)."""
        if self.window <= 0:
            return _HUNDRED
        return (self.window - self.downtime) / self.window * _HUNDRED

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.percent >= self.target

    @property
    def budget(self) -> Decimal | None:
        """Downtime the target allows over the window, µs."""
        return None if self.target is None else self.window * (_HUNDRED - self.target) / _HUNDRED

    @property
    def incidents(self) -> Incidents:
        """Its incidents: runs of counted downtime, and their mean times."""
        return incidents_of(self.intervals, timedelta(microseconds=int(self.window)))

    @property
    def how(self) -> str:
        """How the figure was composed, in words."""
        if self.composition == "weighted":
            return "weighted: " + " + ".join(p.reason for p in self.parts)
        if self.composition == "all" and len(self.services) > 1:
            return "all must be up: " + ", ".join(self.services)
        return ""

    @classmethod
    def of(
        cls, found: Availability, composition: str, services: Sequence[str]
    ) -> ServiceAvailability:
        return cls(
            service=found.service,
            composition=composition,
            window=Decimal(found.window // _MICROSECOND),
            downtime=found.downtime,
            excluded=Decimal(found.excluded // _MICROSECOND),
            target=found.target,
            intervals=found.intervals,
            services=tuple(services),
        )


def members(services: Mapping[str, Service], service: str) -> tuple[str, ...]:
    """The service and every component it needs up, recursively (``all`` composition), sorted.

    A weighted component is not expanded (agreement validation rejects one inside ``all``)."""
    seen: set[str] = set()
    stack = [service]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        spec = services.get(name)
        if spec is not None and spec.composition == "all":
            stack.extend(spec.components)
    return tuple(sorted(seen))


def service_availability(
    services: Mapping[str, Service],
    scope: Sequence[str],
    window: BusinessCalendar,
    start: datetime,
    end: datetime,
    outages: Iterable[Outage] | OutageIndex,
    maintenance: Iterable[MaintenanceWindow] = (),
    exclusions: Exclusions | None = None,
    target: Decimal | None = None,
    maintenance_window: BusinessCalendar | None = None,
    engine: Engine = "columns",
) -> ServiceAvailability:
    """Availability of the services in ``scope`` (all must be up; no scope: every record
    counts), each composed of its components as the agreement says (``services``, by id).
    ``engine``: see :func:`accord.core.availability.availability`. Records wholly outside
    ``[start, end)`` are left out before anything else (they count for nothing there): the
    outages by their index in columns when given one (:class:`OutageIndex`), one by one
    otherwise."""
    outages = (
        outages.over(start, end)
        if isinstance(outages, OutageIndex)
        else tuple(o for o in outages if o.start < end and (o.end is None or o.end > start))
    )
    maintenance = tuple(m for m in maintenance if m.start < end and m.end > start)

    def measure(names: Sequence[str], label: str, inherited: frozenset[str]) -> ServiceAvailability:
        spec = services.get(names[0]) if len(names) == 1 else None
        weighs = spec is not None and spec.composition == "weighted" and spec.components
        if spec is not None and weighs and spec.id not in inherited:  # (a cycle stops here)
            carried = inherited | {spec.id}
            parts = tuple(
                Part(c, spec.weights.get(c, Decimal(0)), measure((c,), c, carried))
                for c in spec.components
            )
            return weighted(spec.id, parts, target)
        counted = set(inherited)
        for name in names:
            counted.update(members(services, name))
        everything = not names
        several = len(counted) > 1  # name the service of each record in the reasons
        outs = [o for o in outages if everything or o.service in counted]
        works = [m for m in maintenance if everything or m.service in counted]
        found = availability_counted(
            label,
            window,
            start,
            end,
            outs,
            works,
            exclusions,
            target,
            maintenance_window,
            engine,
            named=several,
        )
        return ServiceAvailability.of(
            found, "all" if several else "single", sorted(counted) if names else ()
        )

    names = tuple(scope)
    return measure(names, "|".join(sorted(names)) or "*", frozenset())


def weighted(
    service: str, parts: Sequence[Part], target: Decimal | None = None
) -> ServiceAvailability:
    """The weighted blend of components' figures: ``sum(w * downtime) / sum(w * window)``.

    With weights adding up to 1 the result lies between the lowest and the highest component's
    availability, and equals ``sum(w * percent)`` when the windows are equal. Each downtime
    interval keeps its component's name and carries its weight times the component's."""
    window = sum((p.weight * p.figures.window for p in parts), Decimal(0))
    downtime = sum((p.weight * p.figures.downtime for p in parts), Decimal(0))
    excluded = sum((p.weight * p.figures.excluded for p in parts), Decimal(0))
    intervals = tuple(
        replace(d, weight=d.weight * p.weight, reason=f"{p.service}: {d.reason}")
        for p in parts
        for d in p.figures.intervals
    )
    return ServiceAvailability(
        service=service,
        composition="weighted",
        window=window,
        downtime=downtime,
        excluded=excluded,
        target=target,
        intervals=tuple(sorted(intervals, key=lambda d: (d.start, d.end, d.reason))),
        parts=tuple(parts),
    )
