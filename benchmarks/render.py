"""Rendering a one-month report for people: HTML and PDF (and Markdown, the terminal table).

    .venv/bin/python benchmarks/render.py                 # 20 services, 10,000 tickets
    .venv/bin/python benchmarks/render.py --repeat 5 --tickets 10000 --services 20

The agreement is examples/agreements/it-service-desk.yaml (its ticket objectives, P1 to P4)
with ``--services`` services added, each with an availability objective of its own (99.9%,
around the clock). The evidence for October 2026 is generated (seeded): ``--tickets`` tickets
opened over the month, each with a team and an assignee, some reassigned, some waiting on the
user or a vendor (paused), resolved after a spread of times (so that some breach); and two or
three outages per service. The report is evaluated once, with a clock cache (its time printed,
not part of the rendering figures); then each format is rendered from it, ``--repeat`` times:
the figure is the best and the median. The HTML and PDF figures are what ``accord report`` and
the service do for them: draw the report's pictures (``report_pictures``, reusing the report's
clocks through the cache), build the view and render the page with them. Their parts are
timed too: the pictures alone, and each rendering of pictures already drawn; and, for
comparison with the figures before pictures, each rendering without pictures.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/calendar.py is named like the standard library's `calendar`: keep this folder off
# the import path
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import io  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from rich.console import Console  # noqa: E402

from accord import load_agreement  # noqa: E402
from accord.core.availability import Outage  # noqa: E402
from accord.core.clocks import TicketEvent  # noqa: E402
from accord.core.evidence import Data  # noqa: E402
from accord.core.report import ClockCache, Report, evaluate  # noqa: E402
from accord.render.pictures import Picture  # noqa: E402
from accord.render.report import (  # noqa: E402
    report_html,
    report_markdown,
    report_pdf,
    report_terminal,
)
from accord.render.report_pictures import report_pictures  # noqa: E402

ROOT = HERE.parent
AGREEMENT = ROOT / "examples" / "agreements" / "it-service-desk.yaml"
START, END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
PRIORITIES = ["1 - Critical", "2 - High", "3 - Moderate", "4 - Low"]
TEAMS = ["Desk", "Network", "Identity", "Workplace", "Applications", "Database"]


def agreement_text(services: int) -> str:
    data = yaml.safe_load(AGREEMENT.read_text())
    names = [f"svc-{n:02d}" for n in range(1, services + 1)]
    data["services"] = list(data.get("services", [])) + [
        {"id": name, "name": f"Service {name}"} for name in names
    ]
    data["objectives"] = list(data["objectives"]) + [
        {
            "id": f"availability-{name}",
            "name": f"Availability of {name}",
            "metric": "availability",
            "scope": {"service": [name]},
            "target": "99.9%",
            "period": "month",
            "calendar": "24x7",
        }
        for name in names
    ]
    return yaml.safe_dump(data, sort_keys=False)


def evidence(tickets: int, services: int, seed: int = 20261206) -> Data:
    rng = np.random.default_rng(seed)
    events: list[TicketEvent] = []
    span = (END - START - timedelta(days=3)).total_seconds()
    for number in range(tickets):
        name = f"INC{number:06d}"
        opened = START + timedelta(seconds=float(rng.uniform(0, span)))
        priority = PRIORITIES[int(rng.choice(4, p=[0.05, 0.15, 0.4, 0.4]))]
        team = TEAMS[int(rng.integers(len(TEAMS)))]
        fields = {
            "priority": priority,
            "service": "service-desk",
            "status": "New",
            "team": team,
            "assignee": f"agent-{int(rng.integers(40)):02d}",
        }
        at = opened
        found = [TicketEvent(f"{name}-0", name, at, "created", fields)]

        def later(minutes: float) -> datetime:
            nonlocal at
            at = at + timedelta(minutes=max(1.0, minutes))
            return at

        found.append(
            TicketEvent(f"{name}-1", name, later(rng.exponential(40)), "comment", author="agent")
        )
        found.append(
            TicketEvent(
                f"{name}-2", name, later(rng.exponential(60)), "updated", {"status": "In Progress"}
            )
        )
        if rng.random() < 0.3:  # reassigned to another team
            other = TEAMS[int(rng.integers(len(TEAMS)))]
            found.append(
                TicketEvent(
                    f"{name}-3",
                    name,
                    later(rng.exponential(120)),
                    "updated",
                    {"team": other, "assignee": f"agent-{int(rng.integers(40)):02d}"},
                )
            )
        if rng.random() < 0.25:  # waits on the user or a vendor, then work goes on
            wait = "Awaiting User Info" if rng.random() < 0.6 else "Awaiting Vendor"
            found.append(
                TicketEvent(
                    f"{name}-4", name, later(rng.exponential(90)), "updated", {"status": wait}
                )
            )
            found.append(
                TicketEvent(
                    f"{name}-5",
                    name,
                    later(rng.exponential(600)),
                    "updated",
                    {"status": "In Progress"},
                )
            )
        found.append(
            TicketEvent(
                f"{name}-6",
                name,
                later(rng.lognormal(5.5, 1.2)),
                "updated",
                {"status": "Resolved"},
            )
        )
        events.extend(e for e in found if e.at < END)
    outages = []
    for service in range(1, services + 1):
        for index in range(int(rng.integers(2, 4))):
            begins = START + timedelta(seconds=float(rng.uniform(0, span)))
            outages.append(
                Outage(
                    f"svc-{service:02d}",
                    begins,
                    begins + timedelta(minutes=float(rng.exponential(25)) + 1),
                    id=f"OUT-{service:02d}-{index}",
                )
            )
    return Data(outages=tuple(outages), tickets=tuple(events), observed=(START, END))


def timed(
    what: Callable[[], object], repeat: int
) -> tuple[float, float, float, float, float, object]:
    """Best and median wall time, the best and median CPU time of this process (on a shared
    machine the CPU time is what the rendering costs, the wall time what a reader waited),
    and the CPU time of the first run (a process's first PDF sets its fonts up)."""
    runs, cpu, found = [], [], None
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        found = what()
        runs.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return min(runs), statistics.median(runs), min(cpu), statistics.median(cpu), cpu[0], found


def _load() -> str:
    """The machine's load average over 1, 5 and 15 minutes (Linux), or "?"."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def terminal(report: Report, locale: str = "en") -> str:
    screen = io.StringIO()
    Console(file=screen, width=200, color_system=None).print(report_terminal(report, locale=locale))
    return screen.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--locale", default="en", help="the locale of the numbers (de: 99,69 %%, 1.200,00 USD)"
    )
    args = parser.parse_args()
    agreement = load_agreement(agreement_text(args.services))
    data = evidence(args.tickets, args.services)
    began = time.perf_counter()
    cache = ClockCache()  # as `accord report` does: the pictures reuse the report's clocks
    report = evaluate(agreement, data, START, END, as_of=END, cache=cache)
    judged = time.perf_counter() - began
    breaches = sum(len(o.breaches) for o in report.objectives)
    print(
        f"{args.services} services, {args.tickets:,} tickets ({len(data.tickets):,} events), "
        f"{len(report.objectives)} objectives, {breaches:,} breaches; "
        f"evaluated in {judged:.2f} s (not part of the figures below)"
    )
    pictures = report_pictures(report, agreement, data, cache=cache)
    kinds: dict[str, int] = {}
    for picture in pictures:
        kinds[picture.kind] = kinds.get(picture.kind, 0) + 1
    print(f"{len(pictures)} pictures {kinds}, {sum(len(p.svg) for p in pictures):,} bytes of SVG")

    def drawn() -> list[Picture]:
        return report_pictures(report, agreement, data, cache=cache)

    locale = args.locale
    print(f"numbers as written in {locale}; load average {_load()}")
    for name, render in (
        ("HTML + pictures", lambda: report_html(report, drawn(), locale=locale)),
        ("PDF + pictures", lambda: report_pdf(report, drawn(), locale=locale)),
        ("pictures alone", drawn),
        ("HTML, drawn", lambda: report_html(report, pictures, locale=locale)),
        ("PDF, drawn", lambda: report_pdf(report, pictures, locale=locale)),
        ("HTML, none", lambda: report_html(report, locale=locale)),
        ("PDF, none", lambda: report_pdf(report, locale=locale)),
        ("Markdown", lambda: report_markdown(report, locale=locale)),
        ("terminal table", lambda: terminal(report, locale)),
    ):
        best, median, cpu, cpu_median, first, found = timed(render, args.repeat)
        size = len(found) if isinstance(found, bytes | str) else 0
        pages = (
            f", {len(PdfReader(io.BytesIO(found)).pages)} pages" if isinstance(found, bytes) else ""
        )
        print(
            f"{name:>15}: best {best:.3f} s, median {median:.3f} s, CPU best {cpu:.3f} s, "
            f"median {cpu_median:.3f} s (first {first:.3f} s) "
            f"({size:,} bytes{pages})"
        )
    print(f"load average {_load()}")


if __name__ == "__main__":
    main()
