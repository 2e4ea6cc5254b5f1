"""Reviews and renewals due: each agreement's next review date and the end of its term, for
the provider's staff, soonest first, with what is overdue marked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from accord.core.reminders import notice_by as last_day_of_notice
from accord.core.reminders import term_end
from accord.service import agreements
from accord.service.errors import ForbiddenError
from accord.service.tenants import Principal


@dataclass(frozen=True)
class Due:
    """One agreement's dates, from its version in force today."""

    key: str
    title: str
    customer: str | None
    version: str
    review_next: date | None
    review_cadence: str | None
    review_owner: str | None
    end: date | None
    renewal: str | None  # automatic, manual or none
    notice: str | None  # as the agreement writes it ("90d")
    notice_by: date | None  # the end less the notice: the last day to give it
    today: date

    @property
    def soonest(self) -> date | None:
        """The first of the dates that call for action: the review, the notice, the end."""
        return min((d for d in (self.review_next, self.notice_by, self.end) if d), default=None)

    @property
    def review_overdue(self) -> bool:
        return self.review_next is not None and self.review_next < self.today

    @property
    def notice_passed(self) -> bool:
        return self.notice_by is not None and self.notice_by < self.today

    @property
    def ended(self) -> bool:
        return self.end is not None and self.end < self.today  # its last day is in force

    @property
    def overdue(self) -> bool:
        return self.review_overdue or self.ended

    def days_to(self, day: date) -> int:
        return (day - self.today).days


def may_see(who: Principal) -> bool:
    """Reviews and renewals are the provider's business: its staff and unscoped keys."""
    return who.customer is None


def due(session: Session, who: Principal, moment: datetime) -> list[Due]:
    """Every agreement of the organisation with its review and end dates, soonest first
    (agreements with neither come last, by id)."""
    if not may_see(who):
        raise ForbiddenError("reviews and renewals are for the provider's staff")
    today = moment.astimezone(UTC).date()
    found = []
    for row in agreements.visible(session, who):
        stored = agreements.version_in_force(session, row, moment)
        agreement = agreements.resolved_version(session, who.organisation_id, stored)
        effective = agreement.effective
        review = effective.review if effective is not None else None
        end = term_end(effective, today)  # an automatic renewal's current term
        notice = effective.notice if effective is not None else None
        found.append(
            Due(
                key=row.key,
                title=row.title or row.key,
                customer=row.customer,
                version=agreement.version,
                review_next=review.next if review is not None else None,
                review_cadence=review.cadence if review is not None and review.next else None,
                review_owner=review.owner if review is not None else None,
                end=end,
                renewal=effective.renewal if effective is not None and end is not None else None,
                notice=str(notice) if notice is not None else None,
                notice_by=last_day_of_notice(effective, today),
                today=today,
            )
        )
    found.sort(key=lambda d: (d.soonest is None, d.soonest or today, d.key))
    return found
