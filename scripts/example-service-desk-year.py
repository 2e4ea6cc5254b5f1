"""Write examples/data/service-desk-2026: ten months of made-up incidents for
examples/agreements/it-service-desk.yaml (January to October 2026), for trying a proposed
version on history (`accord try`) and for trends.

The data are generated, not real: about 120 incidents a month (P1 5%, P2 20%, P3 50%, P4 25%),
opened mostly in New York office hours, each with a first public reply, updates while a P1 or
P2 is open, sometimes a wait on the user, and a resolution; reply and resolution times drawn in
the agreement's business time so that most promises are kept and some months are missed. A fixed
seed makes the file the same on every run:

    .venv/bin/python scripts/example-service-desk-year.py [FOLDER]
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accord import load_agreement
from accord.core.clocks import calendars_of

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples" / "data" / "service-desk-2026"
AGREEMENT = ROOT / "examples" / "agreements" / "it-service-desk.yaml"
FIRST, UNTIL = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
# priority: (share, first reply median and spread in business minutes, resolution median and
# spread in business hours); the calendar each is measured in comes from the agreement
LEVELS = {
    "1 - Critical": (0.05, 7, 0.6, 2.0, 0.5),
    "2 - High": (0.20, 12, 0.6, 4.5, 0.35),
    "3 - Moderate": (0.50, 60, 0.7, 14.0, 0.6),
    "4 - Low": (0.25, 240, 0.6, 30.0, 0.6),
}


def main(out: Path = OUT) -> None:
    rng = random.Random(20261207)
    agreement = load_agreement(AGREEMENT)
    calendars = calendars_of(agreement)
    office = calendars["new-york-office"]
    around = calendars["24x7"]
    rows: list[dict[str, object]] = []
    number = 0
    day = FIRST
    while day < UNTIL:
        for _ in range(rng.choice([3, 4, 4, 5, 6, 7]) if day.weekday() < 5 else rng.choice([0, 1])):
            number += 1
            ticket = f"INC{number:05d}"
            level = rng.choices(list(LEVELS), [v[0] for v in LEVELS.values()])[0]
            _, reply_median, reply_spread, fix_median, fix_spread = LEVELS[level]
            calendar = around if level == "1 - Critical" else office
            # opened in New York office hours (13:00-23:00 UTC), a P1 at any hour
            hour = rng.uniform(0, 24) if level == "1 - Critical" else rng.uniform(13, 22.5)
            opened = day + timedelta(hours=hour)
            reply = calendar.add(
                opened, timedelta(minutes=rng.lognormvariate(0, reply_spread) * reply_median)
            )
            fixed = calendar.add(
                opened, timedelta(hours=rng.lognormvariate(0, fix_spread) * fix_median)
            )
            fixed = max(fixed, reply + timedelta(minutes=5))
            events = [
                (
                    opened,
                    "created",
                    {"priority": level, "status": "New", "service": "service-desk"},
                ),
                (reply, "comment", None),
                (reply + timedelta(minutes=1), "updated", {"status": "Active"}),
            ]
            if level in ("1 - Critical", "2 - High"):  # updates while open, about hourly
                at = reply + timedelta(minutes=rng.uniform(20, 60))
                while at < fixed:
                    events.append((at, "comment", None))
                    at += timedelta(minutes=rng.uniform(20, 62))
            if level in ("3 - Moderate", "4 - Low") and rng.random() < 0.2:  # asks the user
                wait = reply + (fixed - reply) / 2
                back = wait + timedelta(hours=rng.uniform(2, 30))
                events += [
                    (wait, "updated", {"status": "Awaiting User Info"}),
                    (back, "updated", {"status": "Active"}),
                ]
                fixed = back + (fixed - wait)
            events.append((fixed, "updated", {"status": "Resolved"}))
            if fixed >= UNTIL:
                continue  # the log ends with the coverage
            for k, (at, kind, fields) in enumerate(sorted(events, key=lambda e: e[0])):
                row: dict[str, object] = {
                    "id": f"{ticket}-{k + 1}",
                    "ticket": ticket,
                    "at": at.astimezone(UTC).isoformat(timespec="seconds"),
                    "kind": kind,
                }
                if fields:
                    row["fields"] = fields
                if kind == "comment":
                    row |= {"author": "agent", "public": True}
                rows.append(row)
        day += timedelta(days=1)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "tickets.jsonl").open("w", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(row) + "\n")
    print(f"{number} incidents, {len(rows)} events -> {out / 'tickets.jsonl'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
