"""Attainment in parts: the counts and durations of some tickets' clocks, merged exactly.

:func:`accord.core.clocks.summarize` needs every clock at once. A log evaluated in partitions
of whole tickets (:mod:`accord.io.partitions`) gives its clocks a partition at a time; each
partition's clocks become a :class:`Tally` (per objective and group: in scope, met, breached,
and the business time used by each finished clock as 8-byte integers of microseconds), tallies
merge by adding counts and joining durations, and :meth:`Tally.attainment` gives the rows
``summarize`` gives for all the clocks together: the same counts, the same exact attainment,
the same nearest-rank percentiles (exact: every finished clock's duration is kept, 8 bytes
each, not a sketch).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from accord.core.agreement.model import Objective
from accord.core.clock_cycles import NAT, STATES
from accord.core.clocks import Attainment, Clock, ClockError
from accord.core.clocks_batch import BatchResult

Key = tuple[str, tuple[tuple[str, str], ...]]  # objective, then (field, value) for each `by`
Durations = npt.NDArray[np.int64]


@dataclass
class Group:
    """One objective's (and group's) clocks so far: counts and finished clocks' durations."""

    in_scope: int = 0
    met: int = 0
    breached: int = 0
    used: list[Durations] = field(default_factory=list)  # microseconds, in parts until merged

    def durations(self) -> Durations:
        """Every finished clock's business time used, in microseconds, in one array."""
        if len(self.used) != 1:
            self.used = [np.concatenate(self.used) if self.used else np.zeros(0, np.int64)]
        return self.used[0]


@dataclass
class Tally:
    """Clocks summed up per objective and group (``by`` fields), mergeable with another tally
    of other tickets' clocks (see the module docstring)."""

    by: tuple[str, ...] = ()
    groups: dict[Key, Group] = field(default_factory=dict)
    carried: set[str] = field(default_factory=set)  # fields some counted clock's ticket carries
    clocks: int = 0  # clocks seen, counted or not

    @classmethod
    def of(cls, clocks: Iterable[Clock], by: Sequence[str] = ()) -> Tally:
        """The tally of some clocks, counted as ``summarize`` counts them: a clock counts for
        the objective it ended under; cancelled and not-started cycles do not count."""
        tally = cls(tuple(by))
        used: dict[Key, list[int]] = {}
        for clock in clocks:
            tally.clocks += 1
            tally.carried.update(clock.fields)
            if clock.state in ("cancelled", "not_started"):
                continue
            key = (clock.objective, tuple((name, clock.fields.get(name, "")) for name in by))
            group = tally.groups.get(key)
            if group is None:
                group = tally.groups[key] = Group()
                used[key] = []
            group.in_scope += 1
            if clock.state == "met":
                group.met += 1
            elif clock.state == "breached":
                group.breached += 1
            if clock.stopped_at is not None:
                used[key].append(clock.used // timedelta(microseconds=1))
        for key, values in used.items():
            tally.groups[key].used = [np.array(values, dtype=np.int64)]
        return tally

    @classmethod
    def of_batch(cls, result: BatchResult, by: Sequence[str] = ()) -> Tally:
        """The tally of a column evaluation's clocks, as :meth:`of` gives it for
        ``result.clocks()``, without a Python object per clock: groups from the table's codes
        (objective, and each ``by`` field as of the clock's event), durations as one array."""
        tally = cls.of(result.replayed, by)
        table = result.table
        if not len(table):
            return tally
        tally.clocks += len(table)
        fields = result.field_codes()
        tally.carried.update(name for name, (codes, _) in fields.items() if (codes >= 0).any())
        state = np.asarray(table.state)
        rows = np.flatnonzero(
            (state != STATES.index("cancelled")) & (state != STATES.index("not_started"))
        )
        if not len(rows):
            return tally
        missing = np.full(len(rows), -1, dtype=np.int64)
        parts = [np.asarray(table.objective)[rows].astype(np.int64)] + [
            fields[name][0][rows].astype(np.int64) if name in fields else missing for name in by
        ]
        combos, inverse = np.unique(np.stack(parts, axis=1), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        counted = np.bincount(inverse, minlength=len(combos))
        kept = state[rows]
        met = np.bincount(inverse[kept == STATES.index("met")], minlength=len(combos))
        breached = np.bincount(inverse[kept == STATES.index("breached")], minlength=len(combos))
        finished = np.asarray(table.stopped)[rows] != NAT
        used = np.asarray(table.used)[rows][finished] // 1000  # nanoseconds to microseconds
        owner = inverse[finished]
        arranged = np.argsort(owner, kind="stable")
        used, ends = used[arranged], np.cumsum(np.bincount(owner, minlength=len(combos)))
        for j, combo in enumerate(combos.tolist()):
            group_key = tuple(
                (name, fields[name][1][code] if code >= 0 else "")
                for name, code in zip(by, combo[1:], strict=True)
            )
            key = (result.objectives[combo[0]].id, group_key)
            start = int(ends[j - 1]) if j else 0
            part = Group(
                int(counted[j]), int(met[j]), int(breached[j]), [used[start : int(ends[j])]]
            )
            tally.merge(cls(tally.by, {key: part}))
        return tally

    def merge(self, other: Tally) -> Tally:
        """This tally with another's clocks added (in place; returns self)."""
        if other.by != self.by:
            raise ValueError(f"tallies grouped by {self.by} and by {other.by} do not merge")
        self.clocks += other.clocks
        self.carried |= other.carried
        for key, group in other.groups.items():
            mine = self.groups.get(key)
            if mine is None:
                self.groups[key] = Group(group.in_scope, group.met, group.breached, group.used)
                continue
            mine.in_scope += group.in_scope
            mine.met += group.met
            mine.breached += group.breached
            mine.used = [*mine.used, *group.used]
        return self

    @property
    def durations_bytes(self) -> int:
        """The memory the kept durations take (8 bytes per finished clock)."""
        return sum(part.nbytes for group in self.groups.values() for part in group.used)

    def attainment(
        self, objectives: Sequence[Objective], percentiles: Sequence[int] = (50, 90, 95)
    ) -> list[Attainment]:
        """The rows :func:`accord.core.clocks.summarize` gives for the same clocks, in the
        agreement's order of objectives, then by group."""
        for name in self.by:
            if self.clocks and name not in self.carried:
                raise ClockError(
                    f"group by {name!r}: no ticket carries this field; "
                    f"the tickets' fields: {', '.join(sorted(self.carried)) or 'none'}"
                )
        targets = {o.id: o.target for o in objectives}
        position = {o.id: i for i, o in enumerate(objectives)}

        def agreement_order(key: Key) -> tuple[int, str, tuple[tuple[str, str], ...]]:
            objective, group = key
            return position.get(objective, len(position)), objective, group

        rows = []
        for key in sorted(self.groups, key=agreement_order):
            objective, group_key = key
            group = self.groups[key]
            judged = group.met + group.breached
            target = targets.get(objective)
            finished = group.durations()
            finished.sort()  # in place: no second copy of the durations
            rows.append(
                Attainment(
                    objective=objective,
                    group=dict(group_key),
                    in_scope=group.in_scope,
                    met=group.met,
                    breached=group.breached,
                    open=group.in_scope - judged,
                    attainment=Decimal(group.met * 100) / Decimal(judged) if judged else None,
                    target=target if isinstance(target, Decimal) else None,
                    percentiles={
                        p: _nearest_rank(finished, p) for p in percentiles if len(finished)
                    },
                )
            )
        return rows


def _nearest_rank(ordered: Durations, percentile: int) -> timedelta:
    rank = max(1, -(-percentile * len(ordered) // 100))
    return timedelta(microseconds=int(ordered[rank - 1]))
