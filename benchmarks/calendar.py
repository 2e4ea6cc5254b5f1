"""Business-time arithmetic: Accord and its peers on the same inputs, in one run.

    .venv/bin/python benchmarks/calendar.py            # full run (about two minutes)
    .venv/bin/python benchmarks/calendar.py --quick    # 10,000 inputs instead of 100,000

Calendars: Mon-Fri 09:00-17:00 America/New_York with US (NY) holidays; every night 22:00-06:00
America/New_York; 24x7 UTC. Inputs (fixed seed): 100,000 (start, end) pairs with spans up to 30
days ("short"), 100,000 pairs with independent ends over 2020-2030 ("long", about half negative),
and 100,000 (start, 1 minute..200 hours) deadlines ("add").

Every peer runs the same inputs (slow peers a prefix of them, within a time budget); results are
compared with Accord's where the peer is known to be correct (see tests/core/calendar/
test_differential.py for the classes where it is not), and each line prints operations a second
and Accord's speed as a multiple of the peer's.
"""

from __future__ import annotations

import sys
from pathlib import Path

# this file is named like the standard library's `calendar`: keep its folder off the import path
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import numpy as np  # noqa: E402

from accord import BusinessCalendar  # noqa: E402

_spec = importlib.util.spec_from_file_location("peers", HERE / "peers.py")
if _spec is None or _spec.loader is None:
    raise ImportError(HERE / "peers.py")
peers = importlib.util.module_from_spec(_spec)
sys.modules["peers"] = peers
_spec.loader.exec_module(peers)

NY = ZoneInfo("America/New_York")
ACCORD_SPECS = {
    "office": {
        "timezone": "America/New_York",
        "hours": {"mon-fri": "09:00-17:00"},
        "holidays": {"country": "US", "subdivision": "NY"},
    },
    "night": {"timezone": "America/New_York", "hours": {"daily": "22:00-06:00"}},
    "always": {"timezone": "UTC", "hours": "24x7"},
}
LOW = datetime(2020, 1, 1, tzinfo=UTC)
HIGH = datetime(2030, 1, 1, tzinfo=UTC)
SCALAR_BUDGET = 1.5  # seconds a scalar peer may spend on one case
SKIPPED = "-"


@dataclass
class Inputs:
    starts: list[datetime]
    short_ends: list[datetime]
    long_ends: list[datetime]
    durations: list[timedelta]

    def ns(self, moments: list[datetime]) -> np.ndarray:
        return np.array([m.replace(tzinfo=None) for m in moments], dtype="datetime64[ns]")


def make_inputs(count: int, zone: ZoneInfo) -> Inputs:
    rng = np.random.default_rng(20261126)
    low, high = int(LOW.timestamp()), int(HIGH.timestamp())
    starts_s = rng.integers(low, high, count)
    short = starts_s + rng.integers(0, 30 * 86400, count)
    long_ = rng.integers(low, high, count)
    minutes = rng.integers(1, 200 * 60 + 1, count)

    def moments(seconds: np.ndarray) -> list[datetime]:
        return [datetime.fromtimestamp(int(s), UTC).astimezone(zone) for s in seconds]

    return Inputs(
        moments(starts_s),
        moments(short),
        moments(long_),
        [timedelta(minutes=int(m)) for m in minutes],
    )


def best_of(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        began = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - began)
    return best, result


def scalar_rate(
    call: Callable[[Any, Any], Any], firsts: Sequence[Any], seconds: Sequence[Any], repeats: int
) -> tuple[float, list[Any]]:
    """Operations a second over as many inputs as fit the budget (all of them for fast code)."""
    # probe speed on a few inputs, then size the run to the budget
    began = time.perf_counter()
    probe = [call(a, b) for a, b in zip(firsts[:20], seconds[:20], strict=True)]
    per_op = (time.perf_counter() - began) / len(probe)
    count = max(20, min(len(firsts), int(SCALAR_BUDGET / max(per_op, 1e-9) / repeats)))
    pairs = list(zip(firsts[:count], seconds[:count], strict=True))

    def run() -> list[Any]:
        return [call(a, b) for a, b in pairs]

    seconds_taken, results = best_of(repeats, run)
    return count / seconds_taken, results


@dataclass
class Line:
    case: str
    impl: str
    rate: float
    agree: str

    def render(self, accord_rate: float) -> str:
        ratio = f"{accord_rate / self.rate:8.1f}x" if self.impl != "accord" else "        "
        return f"  {self.case:<16} {self.impl:<22} {self.rate:>14,.0f}/s {ratio}  {self.agree}"


def agreement(ours: Sequence[Any], theirs: Sequence[Any], comparable: Sequence[bool]) -> str:
    pairs = [(o, t) for o, t, c in zip(ours, theirs, comparable, strict=False) if c]
    same = sum(o == t for o, t in pairs)
    return f"agrees {same}/{len(pairs)}" if pairs else "not compared (peer wrong on this class)"


def run_calendar(name: str, inputs: Inputs, repeats: int) -> list[tuple[str, list[Line]]]:
    cal = BusinessCalendar.from_spec(ACCORD_SPECS[name])
    starts, shorts, longs, durations = (
        inputs.starts,
        inputs.short_ends,
        inputs.long_ends,
        inputs.durations,
    )
    cal.elapsed(LOW, HIGH + timedelta(days=60))  # lay the years out first, as a service would
    scalar_lines: list[Line] = []
    scalar_cases = [
        ("elapsed short", cal.elapsed, shorts),
        ("elapsed long", cal.elapsed, longs),
        ("add", cal.add, durations),
    ]
    peer_calendars: dict[str, Any] = {}
    for peer in ("workclock", "timegrid", "businesstimedelta", "pandas"):
        try:
            peer_calendars[peer] = peers.make(peer, name)
        except peers.UnsupportedError:
            continue
    for case, ours_call, seconds in scalar_cases:
        rate, ours = scalar_rate(ours_call, starts, seconds, repeats)
        lines = [Line(case, "accord", rate, "")]
        for peer, peer_cal in peer_calendars.items():
            if case == "add":
                if peer == "pandas":
                    hours = [
                        timedelta(hours=max(1, round(d / timedelta(hours=1)))) for d in seconds
                    ]
                    rate_p, theirs = scalar_rate(
                        lambda a, d, c=peer_cal: peers.add(c, a, d), starts, hours, 1
                    )
                    ours_h = [
                        cal.add(a, d) for a, d in zip(starts, hours[: len(theirs)], strict=False)
                    ]
                    comparable = [o.hour != 17 for o in ours_h]  # pandas rolls a 17:00 deadline on
                    lines.append(
                        Line(
                            case,
                            peer + " (whole hours)",
                            rate_p,
                            agreement(ours_h, theirs, comparable),
                        )
                    )
                    continue
                call = lambda a, d, c=peer_cal: peers.add(c, a, d)  # noqa: E731
            else:
                call = lambda a, b, c=peer_cal: peers.elapsed(c, a, b)  # noqa: E731
            if peer == "pandas":
                continue  # pandas has no business-time difference
            if peer in ("timegrid", "businesstimedelta") and case == "elapsed long":
                forward = [(a, b) for a, b in zip(starts, seconds, strict=True) if b >= a]
                firsts, ends = [a for a, _ in forward], [b for _, b in forward]
                ours_f = [cal.elapsed(a, b) for a, b in forward]
            else:
                firsts, ends, ours_f = starts, seconds, ours
            try:
                rate_p, theirs = scalar_rate(call, firsts, ends, 1)
            except Exception as error:  # a peer that crashes on this class
                lines.append(Line(case, peer, float("nan"), f"fails: {type(error).__name__}"))
                continue
            comparable = [peer_correct(peer, name, case)] * len(theirs)
            lines.append(Line(case, peer, rate_p, agreement(ours_f, theirs, comparable)))
        scalar_lines.extend(lines)
    sections: list[tuple[str, list[Line]]] = [(f"{name}: scalar", scalar_lines)]

    s64, short64, long64 = inputs.ns(starts), inputs.ns(shorts), inputs.ns(longs)
    d64 = np.array(durations, dtype="timedelta64[ns]")
    batch_cases = [
        ("elapsed short", lambda: cal.elapsed_many(s64, short64), "elapsed", short64),
        ("elapsed long", lambda: cal.elapsed_many(s64, long64), "elapsed", long64),
        ("add", lambda: cal.add_many(s64, d64), "add", d64),
    ]
    batch_peers = {"workclock": peer_calendars.get("workclock")}
    if name == "office":
        batch_peers["numpy busday idiom"] = peers.make("numpy", "office")
    batch_lines: list[Line] = []
    for case, ours_run, kind, seconds64 in batch_cases:
        took, ours = best_of(repeats, ours_run)
        lines = [Line(case, "accord", len(s64) / took, "")]
        for label, peer_cal in batch_peers.items():
            if peer_cal is None:
                continue
            if kind == "elapsed":
                run = lambda c=peer_cal, e=seconds64: peers.elapsed_many(c, s64, e)  # noqa: E731
            else:
                run = lambda c=peer_cal, e=seconds64: peers.add_many(c, s64, e)  # noqa: E731
            took_p, theirs = best_of(max(1, repeats - 1), run)
            same = int(np.count_nonzero(ours.view(np.int64) == theirs))
            lines.append(Line(case, label, len(s64) / took_p, f"agrees {same}/{len(s64)}"))
        batch_lines.extend(lines)
    sections.append((f"{name}: batch ({len(s64):,} per call)", batch_lines))
    return sections


def peer_correct(peer: str, calendar: str, case: str) -> bool:
    """Where a peer's answers can be held against Accord's (the known wrong classes excluded)."""
    if peer == "workclock":
        return True
    if peer == "timegrid":
        return calendar != "night"  # no zones: DST nights are 8 h for it
    if peer == "businesstimedelta":
        return calendar == "office"  # it counts 0 h on night shifts; end < start is filtered out
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 inputs instead of 100,000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--calendar", choices=["office", "night", "always"], action="append", help="default: all"
    )
    args = parser.parse_args()
    count = 10_000 if args.quick else 100_000
    versions = peers.versions()
    print(f"Python {sys.version.split()[0]}; " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"{count:,} inputs per case; best of {args.repeats}; ratio = Accord / peer\n")
    for name in args.calendar or ("office", "night", "always"):
        inputs = make_inputs(count, NY if name != "always" else ZoneInfo("UTC"))
        for title, lines in run_calendar(name, inputs, args.repeats):
            print(title)
            accord_rate = 0.0
            for line in lines:
                accord_rate = line.rate if line.impl == "accord" else accord_rate
                print(line.render(accord_rate))
            print()


if __name__ == "__main__":
    main()
