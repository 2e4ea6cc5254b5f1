"""The demo organisation `make run` starts with: example agreements and live tickets."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.io.text import read_text
from accord.service import agreements, tenants, tracking
from accord.service.ingest import EventIn, RecordIn, ingest_events, ingest_records
from accord.store.schema import Organisation

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
DEMO_AGREEMENTS = ("it-service-desk.yaml", "saas.yaml")
STATUSES = ("In Progress", "Awaiting User Info", "Awaiting Vendor", "In Progress")


def load_demo(session: Session, moment: datetime, tickets: int = 40) -> str | None:
    """Create the demo organisation in an empty database; returns its admin key (or None
    when the database already has organisations)."""
    if session.scalar(select(Organisation.id).limit(1)) is not None:
        return None
    organisation = tenants.create_organisation(session, "demo", "Demo provider")
    _, key = tenants.create_key(session, organisation.id, "admin", name="demo admin")
    principal = tenants.Principal(organisation.id, "demo", "admin")
    folder = EXAMPLES / "agreements"
    for name in DEMO_AGREEMENTS:
        path = folder / name
        if path.exists():
            stored = agreements.upload(session, principal, read_text(path), source=str(path))
            tracking.after_upload(session, organisation.id, stored.agreement.key, stored.resolved)
    data = EXAMPLES / "data" / "cloudnote-2026-10"
    for kind, file in (("outage", "outages.jsonl"), ("maintenance", "maintenance.jsonl")):
        if (data / file).exists():
            rows = [json.loads(line) for line in read_text(data / file).splitlines() if line]
            records = [
                RecordIn.model_validate({"id": f"{kind}-{n}", **row}) for n, row in enumerate(rows)
            ]
            ingest_records(session, principal, kind, records)
    events = _tickets(moment, tickets)
    ingest_events(session, principal, events)
    for ticket in sorted({e.ticket for e in events}):
        tracking.refresh(session, organisation.id, ticket, moment)
    return key


def _tickets(moment: datetime, count: int) -> list[EventIn]:
    """Tickets opened over the last three days, some answered, paused or resolved."""
    pick = random.Random(7)
    priorities = ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low")
    events = []
    for number in range(1, count + 1):
        ticket = f"INC{number:05d}"
        recent = pick.random() < 0.7  # most opened this shift, some days ago
        opened = moment - timedelta(minutes=pick.randint(5, 8 * 60 if recent else 3 * 24 * 60))
        fields = {
            "priority": pick.choice(priorities),
            "status": "New",
            "service": "service-desk",
            "customer": "business",
            "team": pick.choice(("Service Desk", "Network", "Workplace")),
        }
        events.append(
            EventIn(id=f"{ticket}-1", ticket=ticket, at=opened, kind="created", fields=fields)
        )
        step = opened
        for part in range(2, pick.randint(2, 6)):
            # the first answer mostly within a P1's quarter hour, later steps hours apart
            step += timedelta(minutes=pick.randint(2, 25) if part == 2 else pick.randint(10, 240))
            if step >= moment:
                break
            if part == 2:
                events.append(
                    EventIn(
                        id=f"{ticket}-{part}",
                        ticket=ticket,
                        at=step,
                        kind="comment",
                        author="agent",
                    )
                )
            elif pick.random() < 0.3:
                events.append(
                    EventIn(
                        id=f"{ticket}-{part}",
                        ticket=ticket,
                        at=step,
                        kind="resolved",
                        fields={"status": "Resolved"},
                    )
                )
                break
            else:
                status = pick.choice(STATUSES)
                events.append(
                    EventIn(
                        id=f"{ticket}-{part}",
                        ticket=ticket,
                        at=step,
                        kind="updated",
                        fields={"status": status},
                    )
                )
    return events
