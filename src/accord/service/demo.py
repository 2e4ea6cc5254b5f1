"""The demo organisation `make run` starts with: two example agreements, the Cloudnote
example's month of outages and maintenance moved to the calendar of the day it is loaded (this
month, last month and the four before), live tickets and the service desk's tickets of the
months before. Its files ship inside the package (``demo_data``), so it runs from an install."""

from __future__ import annotations

import json
import math
import random
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.periods import enclosing
from accord.service import agreements, people, tenants, tracking
from accord.service.ingest import EventIn, RecordIn, ingest_events, ingest_records
from accord.store.schema import Organisation, Person

DATA = resources.files("accord.service") / "demo_data"
DEMO_AGREEMENTS = ("it-service-desk.yaml", "saas.yaml")
STATUSES = ("In Progress", "Awaiting User Info", "Awaiting Vendor", "In Progress")
WRITTEN_IN = 2026  # the year of the example agreements' dates (in force from 2026-01-01)
# its times are Cloudnote's wall-clock times: maintenance is announced for Saturday 23:00 in
# Los Angeles, and stays there whatever the month's daylight saving time
WALL_CLOCK = ZoneInfo("America/Los_Angeles")
INSTANTS = ("start", "end", "announced_at")
# The example gives 30 days to claim a month's credit; the demo gives 45, so last month's
# credit is still in time on every day of this month (31 days after a 30-day month, say).
CLAIM_WINDOW = (("window: 30d", "window: 45d"), ("within 30 days", "within 45 days"))
_REVIEW = re.compile(r"(review:\n\s+cadence: ([a-z-]+)\n\s+next: )(\d{4}-\d{2}-\d{2})")
CADENCE_MONTHS = {"monthly": 1, "quarterly": 3, "half-yearly": 6, "yearly": 12}
_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?!\d)")
# one person of the provider and one of each customer of the demo's agreements
HISTORY = 6
"""The months with data: this one and the five before, the months the console tries a
proposal on unless told (``accord.portal.trial.MONTHS_SHOWN``)."""
QUIET = ("INC-101", "INC-102", "CHG-8")
"""What the example month has that the months before last month leave out: two outages and the
maintenance not announced in time. What is left (a 20-minute outage, one the customer caused
and maintenance announced) meets Cloudnote's 99.9% in any month, at 99.95% or a little more;
last month, with all of it, misses and owes the credit to claim."""
PAST_TICKETS = 12  # the service desk's tickets of each month before this one, all resolved
DESK_ZONE = ZoneInfo("America/New_York")  # the service desk's office hours
DEMO_PEOPLE = (
    ("admin@provider.example", "Pat Provider", "provider_admin", None),
    ("ana@acme-corp.example", "Ana Acme", "customer_admin", "acme-corp"),
    ("bo@business.example", "Bo Business", "customer_viewer", "business"),
)


@dataclass(frozen=True)
class DemoPerson:
    """Someone who can sign in to the demo's portal; the password is shown once, at start."""

    email: str
    password: str
    role: str
    customer: str | None


def load_demo(session: Session, moment: datetime, tickets: int = 40) -> str | None:
    """Create the demo organisation in an empty database, its data moved to ``moment``'s
    calendar; returns its admin key (or None when the database already has organisations)."""
    if session.scalar(select(Organisation.id).limit(1)) is not None:
        return None
    organisation = tenants.create_organisation(session, "demo", "Demo provider")
    _, key = tenants.create_key(session, organisation.id, "admin", name="demo admin")
    principal = tenants.Principal(organisation.id, "demo", "admin")
    years = _history(moment)[0].year - WRITTEN_IN
    for name in DEMO_AGREEMENTS:
        text = moved_dates((DATA / "agreements" / name).read_text(encoding="utf-8"), years)
        text = text.replace(*CLAIM_WINDOW[0]).replace(*CLAIM_WINDOW[1])
        text = reviews_ahead(text, moment.astimezone(UTC).date())
        stored = agreements.upload(session, principal, text, source=f"demo/{name}")
        tracking.after_upload(session, organisation.id, stored.agreement.key, stored.resolved)
    written = {
        kind: [json.loads(line) for line in (DATA / "cloudnote" / file).read_text().splitlines()]
        for kind, file in (("outage", "outages.jsonl"), ("maintenance", "maintenance.jsonl"))
    }
    for kind, rows in moved_records(written, moment).items():
        if rows:
            ingest_records(session, principal, kind, [RecordIn.model_validate(r) for r in rows])
    events = _tickets(moment, tickets) + _past_tickets(moment)
    ingest_events(session, principal, events)
    for ticket in sorted({e.ticket for e in events}):
        tracking.refresh(session, organisation.id, ticket, moment)
    return key


def demo_people(session: Session, moment: datetime) -> list[DemoPerson]:
    """The demo organisation's people, each with a new random password (returned, never
    stored: only its hash is); none when the organisation is missing or has people already."""
    organisation = session.scalar(select(Organisation).where(Organisation.slug == "demo"))
    if organisation is None:
        return []
    if session.scalar(select(Person.id).where(Person.organisation_id == organisation.id)):
        return []
    made = []
    for email, name, role, customer in DEMO_PEOPLE:
        password = secrets.token_urlsafe(12)
        people.add_person(
            session, organisation.id, email, password, role, moment, customer=customer, name=name
        )
        made.append(DemoPerson(email, password, role, customer))
    return made


def moved_records(
    written: dict[str, list[dict[str, Any]]], moment: datetime
) -> dict[str, list[dict[str, Any]]]:
    """The example month's records (by kind) in each of the ``HISTORY`` months: moved to last
    month, all of it (its report is final, and misses), to the months before, all of it but
    the ``QUIET`` records (they meet the target: a history to try a proposal on), and to this
    month, what is known at ``moment`` (an outage started, maintenance announced; an outage not
    over yet has no end). Each copy is moved by whole weeks, so weekdays and times of day stay
    as written, and so that its first record falls in the first week of its month and the rest
    within the month; its ids name the month (``INC-101-2026-12``)."""
    first = min(
        datetime.fromisoformat(row[name])
        for rows in written.values()
        for row in rows
        for name in INSTANTS
        if row.get(name)
    )
    moved: dict[str, list[dict[str, Any]]] = {kind: [] for kind in written}
    last = _last_month(moment)
    for month in _history(moment):
        weeks = math.ceil((month - first) / timedelta(weeks=1))
        for kind, rows in written.items():
            for row in rows:
                if month < last and row["id"] in QUIET:
                    continue
                copy = {
                    name: _later(value, weeks) if name in INSTANTS and value else value
                    for name, value in row.items()
                }
                copy["id"] = f"{row['id']}-{month:%Y-%m}"
                if datetime.fromisoformat(copy.get("announced_at") or copy["start"]) > moment:
                    continue
                ongoing = copy.get("end") and datetime.fromisoformat(copy["end"]) > moment
                if kind == "outage" and ongoing:
                    del copy["end"]
                moved[kind].append(copy)
    return moved


def moved_dates(text: str, years: int) -> str:
    """An agreement's dates (in force from, to, reviews, holidays) ``years`` later, so that the
    example agreements are in force over the months the demo shows."""

    def later(found: re.Match[str]) -> str:
        year, month, day = (int(part) for part in found.groups())
        day = min(day, 28) if (month, day) == (2, 29) else day
        return date(year + years, month, day).isoformat()

    return _DATE.sub(later, text) if years else text


def reviews_ahead(text: str, today: date) -> str:
    """An agreement's next review moved by whole cadences (a quarterly review stays on its
    quarter day) to the first such day on or after ``today``: due within one cadence, never
    overdue, whatever the day the demo is loaded."""

    def ahead(found: re.Match[str]) -> str:
        months = CADENCE_MONTHS[found.group(2)]
        day = date.fromisoformat(found.group(3))
        while day < today:
            day = _months_later(day, months)
        while _months_later(day, -months) >= today:
            day = _months_later(day, -months)
        return found.group(1) + day.isoformat()

    return _REVIEW.sub(ahead, text)


def _months_later(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def _later(instant: str, weeks: int) -> str:
    """An ISO 8601 instant ``weeks`` later on Cloudnote's wall clock, in UTC."""
    local = datetime.fromisoformat(instant).astimezone(WALL_CLOCK).replace(tzinfo=None)
    return (local + timedelta(weeks=weeks)).replace(tzinfo=WALL_CLOCK).astimezone(UTC).isoformat()


def _month_of(moment: datetime) -> datetime:
    """The start of the month ``moment`` is in on Cloudnote's wall clock, the agreement's own
    zone, which its months are reckoned in: a month is over once it is over in Los Angeles,
    hours after it is in UTC."""
    return enclosing(moment.astimezone(WALL_CLOCK), "month")[0]


def _last_month(moment: datetime) -> datetime:
    return _month_of(_month_of(moment) - timedelta(days=1))


def _history(moment: datetime) -> list[datetime]:
    """The starts of the ``HISTORY`` months ending with ``moment``'s, oldest first."""
    months = [_month_of(moment)]
    while len(months) < HISTORY:
        months.insert(0, _month_of(months[0] - timedelta(days=1)))
    return months


def _past_tickets(moment: datetime) -> list[EventIn]:
    """The service desk's tickets of each month before this one (``PAST_TICKETS`` a month):
    opened on a weekday in office hours (New York), answered within minutes, resolved within
    hours, so the months before have figures to report and to try a proposal on."""
    pick = random.Random(11)
    events = []
    for month in _history(moment)[:-1]:
        local = month.astimezone(DESK_ZONE)
        for number in range(1, PAST_TICKETS + 1):
            ticket = f"REQ-{local:%Y-%m}-{number:02d}"
            day = local.replace(day=pick.randint(2, 26), hour=pick.randint(9, 15))
            while day.weekday() >= 5:  # Saturday, Sunday: the Monday after
                day += timedelta(days=1)
            opened = (day + timedelta(minutes=pick.randint(0, 59))).astimezone(UTC)
            answered = opened + timedelta(minutes=pick.randint(2, 12))
            resolved = answered + timedelta(minutes=pick.randint(20, 200))
            fields = _desk_fields(pick)
            events += [
                EventIn(id=f"{ticket}-1", ticket=ticket, at=opened, kind="created", fields=fields),
                EventIn(
                    id=f"{ticket}-2", ticket=ticket, at=answered, kind="comment", author="agent"
                ),
                EventIn(
                    id=f"{ticket}-3",
                    ticket=ticket,
                    at=resolved,
                    kind="resolved",
                    fields={"status": "Resolved"},
                ),
            ]
    return events


def _desk_fields(pick: random.Random) -> dict[str, Any]:
    """A new service desk ticket's fields: a priority and a team picked at random."""
    return {
        "priority": pick.choice(("1 - Critical", "2 - High", "3 - Moderate", "4 - Low")),
        "status": "New",
        "service": "service-desk",
        "customer": "business",
        "team": pick.choice(("Service Desk", "Network", "Workplace")),
    }


def _tickets(moment: datetime, count: int) -> list[EventIn]:
    """Tickets opened over the last three days, some answered, paused or resolved."""
    pick = random.Random(7)
    events = []
    for number in range(1, count + 1):
        ticket = f"INC{number:05d}"
        recent = pick.random() < 0.7  # most opened this shift, some days ago
        opened = moment - timedelta(minutes=pick.randint(5, 8 * 60 if recent else 3 * 24 * 60))
        fields = _desk_fields(pick)
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
