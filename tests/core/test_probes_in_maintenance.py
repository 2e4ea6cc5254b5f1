"""Availability by probes leaves out the maintenance the agreement excuses, as availability in
time does: a probe failing during announced maintenance is neither up nor down (its slice is
left out of the counted slices, or counted as up when maintenance counts as up), so the same
service, the same maintenance, gives the same figure, verdict and credit by probes as in time.
Maintenance the agreement does not excuse (announced late, beyond the allowance) is ordinary
time: the probes judge it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from accord import load_agreement
from accord.core.agreement.model import Agreement
from accord.core.availability import MaintenanceWindow, Outage
from accord.core.clocks import calendars_of
from accord.core.evidence import Probe
from accord.core.judging import ObjectiveResult
from accord.core.report import Data, Report, evaluate
from accord.core.series import daily_measured
from accord.core.slices import slice_availability
from accord.render.report import report_html, report_markdown
from tests.core.test_open_month import TEXT as MONTHLY

START = datetime(2026, 12, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
SLICE = timedelta(minutes=5)
STEPS = (END - START) // SLICE  # 8928 five-minute slices in December
DAY = 24 * 60 // 5  # slices a day
WORK = (9 * DAY, 9 * DAY + 24)  # two hours on 10 December, 00:00-02:00


def _agreement(maintenance: str, probes: bool) -> Agreement:
    """December's agreement of tests/core/test_open_month.py (99.9%, credits below it),
    measured in time or by probes in 5-minute slices, with this maintenance clause."""
    method = ", method: slices, slice: 5m" if probes else ""
    text = MONTHLY.replace("calendar: 24x7}", f"calendar: 24x7{method}}}")
    return load_agreement(text + f"exclusions:\n  maintenance: {{{maintenance}}}\n")


def _at(step: int) -> datetime:
    return START + step * SLICE


def _data(
    works: list[tuple[int, int]],
    outages: list[tuple[int, int]],
    lead: timedelta = timedelta(days=7),
) -> Data:
    """December: maintenance and outages as [first slice, slice after), the maintenance
    announced ``lead`` ahead; a probe in each slice, failing in every outage and every
    maintenance (the service is down while it is worked on)."""
    down = outages + works
    return Data(
        outages=tuple(
            Outage("api", _at(a), _at(b), id=f"o{i}") for i, (a, b) in enumerate(outages)
        ),
        maintenance=tuple(
            MaintenanceWindow("api", _at(a), _at(b), announced_at=_at(a) - lead, id=f"m{i}")
            for i, (a, b) in enumerate(works)
        ),
        probes=tuple(
            Probe("api", _at(s) + SLICE / 2, not any(a <= s < b for a, b in down))
            for s in range(STEPS)
        ),
        observed=(START, END),
    )


def _report(agreement: Agreement, data: Data) -> Report:
    return evaluate(agreement, data, START, END, "standard", strict=False)


def _both(maintenance: str, data: Data) -> tuple[ObjectiveResult, ObjectiveResult]:
    """December's final result measured in time and by probes."""
    by_time = _report(_agreement(maintenance, probes=False), data).objectives[0]
    by_probes = _report(_agreement(maintenance, probes=True), data).objectives[0]
    assert by_time.status == by_probes.status == "final"
    return by_time, by_probes


def test_a_failed_probe_during_announced_maintenance_is_not_down() -> None:
    # the service down for the two hours of work announced a week ahead: by time excluded
    # (100%, met, no credit); by probes it was 24 slices down, 99.731%, a 10% credit
    data = _data([WORK], [WORK])
    maintenance = "notice: 48h, counts_as: excluded"
    by_time, by_probes = _both(maintenance, data)
    assert by_time.actual == by_probes.actual == Decimal(100)
    assert by_probes.met is True
    assert by_probes.downtime == timedelta(0)
    assert by_probes.budget == by_time.budget  # 99.9% of December less the two hours
    report = _report(_agreement(maintenance, probes=True), data)
    assert report.owed is None or report.owed[0] == 0
    # the report says what became of those slices
    assert "24 in announced maintenance (left out)" in (by_probes.detail or "")
    assert f"{STEPS - 24} slices counted" in (by_probes.detail or "")
    for text in (report_markdown(report), report_html(report)):
        assert "24 in announced maintenance (left out)" in text


def test_the_same_month_gives_the_same_figure_both_ways() -> None:
    # ten minutes down besides the work: (window - 10 min) / window, the window without it
    data = _data([WORK], [(3 * DAY, 3 * DAY + 2), WORK])
    by_time, by_probes = _both("notice: 48h, counts_as: excluded", data)
    assert by_probes.actual == Decimal(STEPS - 24 - 2) / (STEPS - 24) * 100
    assert by_probes.actual == by_time.actual
    assert by_probes.downtime == by_time.downtime == timedelta(minutes=10)
    assert by_probes.budget == by_time.budget


def test_maintenance_counted_as_up_keeps_its_slices_up() -> None:
    # counted as up: the two hours stay in the window and count as up, failed probes or not
    data = _data([WORK], [(3 * DAY, 3 * DAY + 2), WORK])
    by_time, by_probes = _both("notice: 48h, counts_as: up", data)
    assert by_probes.actual == Decimal(STEPS - 2) / STEPS * 100
    assert by_probes.actual == by_time.actual
    assert "24 in announced maintenance (counted as up)" in (by_probes.detail or "")


def test_maintenance_announced_late_is_ordinary_time() -> None:
    # announced a day ahead when 48 hours are due: not excused; the failed probes count
    data = _data([WORK], [], lead=timedelta(days=1))
    by_time, by_probes = _both("notice: 48h, counts_as: excluded", data)
    assert by_probes.actual == Decimal(STEPS - 24) / STEPS * 100
    assert by_probes.actual == by_time.actual
    assert by_probes.met is False
    assert "announced maintenance" not in (by_probes.detail or "")


def test_the_allowance_is_the_period_s_by_day_too() -> None:
    # three hours of maintenance a month allowed; two hours on the 10th and two on the 11th,
    # the service down in both: the 11th's last hour is beyond the allowance, down both ways
    works = [WORK, (WORK[0] + DAY, WORK[1] + DAY)]
    maintenance = "notice: 48h, allowance: 3h, counts_as: excluded"
    data = _data(works, [])
    by_time, by_probes = _both(maintenance, data)
    assert by_probes.downtime == by_time.downtime == timedelta(hours=1)
    assert by_probes.actual == by_time.actual
    # the uptime bars judge each day on its own, the allowance still counted from the 1st:
    # the 10th is all up, the 11th an hour down of the 23 hours counted (not all up again)
    agreement = _agreement(maintenance, probes=True)
    days = daily_measured(
        agreement,
        agreement.objectives[0],
        data,
        calendars_of(agreement),
        None,
        START,
        END,
        (START, END),
    )
    assert days[9].percent == Decimal(100)
    assert days[10].percent == Decimal(DAY - 12 - 12) / (DAY - 12) * 100
    assert days[10].percent != Decimal(100)


SERVICES = """
services:
  - {id: app, name: App, components: [web, db]}
  - {id: web, name: Web}
  - {id: db, name: Database}
"""


def test_maintenance_of_a_component_excuses_the_service_s_slices() -> None:
    # an app that needs its web front and its database: work on the database, announced in
    # time, is the app's maintenance; the database's failed probes in it are not the app down
    text = (
        MONTHLY.replace("services: [{id: api, name: API}]", SERVICES.strip())
        .replace("scope: {service: [api]}", "scope: {service: [app]}")
        .replace("calendar: 24x7}", "calendar: 24x7, method: slices, slice: 5m}")
    ) + "exclusions:\n  maintenance: {notice: 48h, counts_as: excluded}\n"
    agreement = load_agreement(text)
    data = Data(
        maintenance=(
            MaintenanceWindow("db", _at(WORK[0]), _at(WORK[1]), _at(0) - timedelta(days=7)),
        ),
        probes=tuple(
            Probe(service, _at(s) + SLICE / 2, service == "web" or not WORK[0] <= s < WORK[1])
            for s in range(STEPS)
            for service in ("web", "db")
        ),
        observed=(START, END),
    )
    found = _report(agreement, data).objectives[0]
    assert found.actual == Decimal(100)
    assert "24 in announced maintenance (left out)" in (found.detail or "")


def test_slices_in_maintenance_are_neither_bad_nor_unknown_down() -> None:
    # an hour of one-minute slices, the service down from minute 16 to 33 and worked on from
    # 20 to 30 (no probe from 24 to 28): the work's slices are left out, those without data
    # not down even when unknown data counts as down, and a run of bad slices stops at it
    hour = (datetime(2026, 12, 10, tzinfo=UTC), datetime(2026, 12, 10, 1, tzinfo=UTC))
    work = [(hour[0] + timedelta(minutes=20), hour[0] + timedelta(minutes=30))]
    minutes = [m for m in range(60) if not 24 <= m < 28]
    at = np.array([np.datetime64("2026-12-10T00:00") + np.timedelta64(m, "m") for m in minutes])
    ok = np.array([not 16 <= m < 33 for m in minutes])
    found = slice_availability(at, ok, *hour, unknown="down", maintenance=work)
    assert found.maintenance == 10
    assert (found.good, found.bad, found.unknown) == (43, 7, 0)
    assert (found.counted, found.down) == (50, 7)
    # runs of five bad slices: 16-19 and 30-32 are not one run across the work
    assert slice_availability(at, ok, *hour, bad_run=5).down == 13  # 16-23 and 28-32
    assert slice_availability(at, ok, *hour, bad_run=5, maintenance=work).down == 0
    up = slice_availability(at, ok, *hour, maintenance=work, maintenance_counts="up")
    assert (up.counted, up.down) == (60, 7)  # the work's ten slices up, those without data too


def test_the_open_month_s_floor_grants_the_allowance_once() -> None:
    # three hours allowed a month: two used on the 2nd (the service down in them, probes
    # failing), two more announced for the 20th, of which only one is left to excuse; judged
    # on the 7th, the least the month ends at and its budget are the same both ways
    maintenance = "notice: 48h, allowance: 3h, counts_as: excluded"
    works = [(DAY, DAY + 24), (19 * DAY, 19 * DAY + 24)]
    now = 6 * DAY
    data = _data(works, [], lead=timedelta(days=20))  # both announced in November
    known = Data(
        maintenance=data.maintenance,
        probes=tuple(p for p in data.probes if p.at < _at(now)),
        observed=(START, END),
    )
    found = [
        evaluate(
            _agreement(maintenance, probes), known, START, END, "standard", as_of=_at(now)
        ).objectives[0]
        for probes in (False, True)
    ]
    by_time, by_probes = found
    assert by_time.status == by_probes.status == "to date"
    assert by_probes.period_budget == by_time.period_budget
    # 99.9% of December less the three hours excused (not four): 44 min 27.6 s
    assert by_probes.period_budget == timedelta(hours=31 * 24 - 3) / 1000
    assert by_probes.actual == by_time.actual == Decimal(100)
