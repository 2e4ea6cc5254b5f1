"""People of the portal: invitations, passwords, sign-in, sessions and sign-out.

A person belongs to an organisation (the provider) and has one of four roles: the provider's
admins (everything, including people and the audit log) and agents (read everything), and a
customer's admins (invite colleagues of their own customer) and viewers. A signed-in person
acts as a :class:`~accord.service.tenants.Principal`, like an API key: every page goes through
the same use cases and visibility rules as the API.

Passwords are kept as argon2id hashes (argon2-cffi). Invitation links, session cookies and
CSRF tokens are random; links and cookies are stored as SHA-256 digests only.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from accord.service import audit
from accord.service.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    ServiceError,
)
from accord.service.tenants import Principal
from accord.settings import Settings
from accord.store.schema import (
    AgreementRow,
    Invitation,
    Organisation,
    OutgoingMail,
    PasswordReset,
    Person,
    PortalSession,
    SignInAttempt,
)

ROLES = ("provider_admin", "provider_agent", "customer_admin", "customer_viewer")
PROVIDER_ROLES = ("provider_admin", "provider_agent")
CUSTOMER_ROLES = ("customer_admin", "customer_viewer")
ROLE_NAMES = {
    "provider_admin": "provider admin",
    "provider_agent": "provider agent",
    "customer_admin": "customer admin",
    "customer_viewer": "customer viewer",
}
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
ANONYMOUS_MINUTES = 60  # a session before sign-in only carries the sign-in form's CSRF token
TOUCH_SECONDS = 60  # a session's last use is written at most this often
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# RFC 9106's second recommended option (argon2id, 64 MiB, 3 passes): argon2-cffi's default
hasher = PasswordHasher()
_NOBODY = hasher.hash(secrets.token_hex(16))  # verified against when nobody has the address


class RateLimitedError(ServiceError):
    """Too many failed sign-ins: refused without checking the password, until ``retry_after``
    seconds have passed."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class InvitationGoneError(ServiceError):
    """An invitation link that was used, withdrawn, or has expired."""

    status = 410


@dataclass(frozen=True)
class Policy:
    """How long sessions and invitations last, and how many failed sign-ins are let through."""

    session: timedelta = timedelta(hours=12)
    idle: timedelta = timedelta(hours=2)
    invitation: timedelta = timedelta(hours=72)
    reset: timedelta = timedelta(hours=1)
    email_limit: int = 5
    client_limit: int = 20
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(
            session=timedelta(hours=settings.session_hours),
            idle=timedelta(minutes=settings.session_idle_minutes),
            invitation=timedelta(hours=settings.invitation_hours),
            reset=timedelta(minutes=settings.password_reset_minutes),
            email_limit=settings.sign_in_limit,
            client_limit=settings.sign_in_client_limit,
            window=timedelta(minutes=settings.sign_in_window_minutes),
        )


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalised_email(text: str) -> str:
    """An e-mail address as stored: trimmed, lower case; InvalidError when it is not one."""
    email = text.strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise InvalidError(
            f"e-mail address {text.strip()[:80]!r}: expected an address such as ana@example.com",
            "email",
        )
    return email


def principal_of(person: Person, organisation: str) -> Principal:
    """What a person may do, as the API's keys say it: a provider admin is an admin of the
    whole organisation; everyone else reads, a customer's people only their customer's data."""
    role = "admin" if person.role == "provider_admin" else "read"
    return Principal(
        person.organisation_id,
        organisation,
        role,
        person.customer,
        actor=person.email,
        person_role=person.role,
        person_id=person.id,
    )


def may_invite(who: Principal) -> bool:
    """Provider admins (and the provider's admin keys) invite anyone; customer admins invite
    colleagues of their own customer."""
    return (who.role == "admin" and who.customer is None) or who.person_role == "customer_admin"


def customers(session: Session, organisation_id: int) -> list[str]:
    """The customers of the organisation: those its agreements are made with."""
    found = session.scalars(
        select(AgreementRow.customer)
        .where(AgreementRow.organisation_id == organisation_id, AgreementRow.customer.is_not(None))
        .distinct()
    ).all()
    return sorted(c for c in found if c is not None)


def check_password(password: str, email: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidError(
            f"password: {len(password)} characters; at least {MIN_PASSWORD} are needed "
            "(a few words are easy to remember and hard to guess)",
            "password",
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidError(f"password: at most {MAX_PASSWORD} characters", "password")
    if password.strip().lower() == email:
        raise InvalidError("password: it must not be the e-mail address", "password")


def add_person(
    session: Session,
    organisation_id: int,
    email: str,
    password: str,
    role: str,
    moment: datetime,
    *,
    customer: str | None = None,
    name: str = "",
    invited_by: int | None = None,
) -> Person:
    """A person who can sign in at once (the demo's people; an accepted invitation)."""
    email = normalised_email(email)
    _check_role(role, customer)
    check_password(password, email)
    taken = session.scalar(
        select(Person.id).where(Person.organisation_id == organisation_id, Person.email == email)
    )
    if taken is not None:
        raise ConflictError(f"{email} has an account in this organisation already", "email")
    person = Person(
        organisation_id=organisation_id,
        email=email,
        name=name.strip() or email,
        role=role,
        customer=customer,
        password_hash=hasher.hash(password),
        created_at=moment,
        invited_by=invited_by,
    )
    session.add(person)
    session.flush()
    return person


def _check_role(role: str, customer: str | None) -> None:
    if role not in ROLES:
        raise InvalidError(f"role {role!r}: expected one of {', '.join(ROLES)}", "role")
    if role in PROVIDER_ROLES and customer is not None:
        raise InvalidError(f"a {ROLE_NAMES[role]} is of the provider: no customer", "customer")
    if role in CUSTOMER_ROLES and customer is None:
        raise InvalidError(f"a {ROLE_NAMES[role]} needs the customer they are of", "customer")


@dataclass(frozen=True)
class Invited:
    """An invitation made: the link is in the e-mail put in the outbox, and shown once."""

    invitation: Invitation
    link: str


def invite(
    session: Session,
    who: Principal,
    email: str,
    role: str,
    moment: datetime,
    *,
    customer: str | None = None,
    name: str = "",
    policy: Policy | None = None,
    base_url: str = "",
) -> Invited:
    """Invite a person: an e-mail with a link to set a password, valid for a while. A pending
    invitation to the same address is replaced (its link stops working)."""
    policy = policy or Policy()
    if not may_invite(who):
        raise ForbiddenError("inviting people is for the provider's and customers' admins")
    email = normalised_email(email)
    customer = (customer or "").strip() or None
    if who.customer is not None:  # a customer admin
        if role not in CUSTOMER_ROLES:
            raise ForbiddenError(
                f"a customer admin invites colleagues as {' or '.join(CUSTOMER_ROLES)}", "role"
            )
        if customer not in (None, who.customer):
            raise ForbiddenError(f"you may invite colleagues of {who.customer} only", "customer")
        customer = who.customer
    _check_role(role, customer)
    if customer is not None:
        known = customers(session, who.organisation_id)
        if customer not in known:
            raise InvalidError(
                f"customer {customer!r} has no agreement here; expected one of: "
                + (", ".join(known) or "(no customer has an agreement yet)"),
                "customer",
            )
    taken = session.scalar(
        select(Person.id).where(
            Person.organisation_id == who.organisation_id, Person.email == email
        )
    )
    if taken is not None:
        raise ConflictError(f"{email} has an account in this organisation already", "email")
    session.execute(
        update(Invitation)
        .where(
            Invitation.organisation_id == who.organisation_id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=moment)
    )
    token = secrets.token_urlsafe(32)
    row = Invitation(
        organisation_id=who.organisation_id,
        email=email,
        name=name.strip(),
        role=role,
        customer=customer,
        digest=digest(token),
        invited_by=who.person_id,
        invited_by_name=who.actor or "the provider",
        created_at=moment,
        expires_at=moment + policy.invitation,
    )
    session.add(row)
    session.flush()
    link = f"{base_url.rstrip('/')}/portal/invitation?token={token}"
    organisation = session.get(Organisation, who.organisation_id)
    assert organisation is not None
    session.add(
        OutgoingMail(
            organisation_id=who.organisation_id,
            recipient=email,
            subject=f"Your invitation to the service level portal of {organisation.name}",
            body=(
                f"Hello{' ' + row.name if row.name else ''},\n\n"
                f"{row.invited_by_name} invites you to the service level portal of "
                f"{organisation.name}, as {ROLE_NAMES[role]}"
                + (f" of {customer}" if customer else "")
                + ".\n\nChoose your password here (the link works once, until "
                f"{row.expires_at:%Y-%m-%d %H:%M} UTC):\n\n{link}\n"
            ),
            created_at=moment,
            attempts=0,
            next_attempt_at=moment,
        )
    )
    audit.record(
        session,
        who,
        "person.invited",
        "invitation",
        row.id,
        moment,
        customer=customer,
        email=email,
        role=role,
    )
    return Invited(row, link)


def invitation(session: Session, token: str, moment: datetime) -> Invitation:
    """The invitation of a link, if it can still be used; else an error saying why not."""
    row = session.scalar(select(Invitation).where(Invitation.digest == digest(token)))
    if row is None:
        raise NotFoundError(
            "This invitation link is not known. Check that the whole link was copied from the "
            "e-mail, or ask the person who invited you for a new invitation.",
            "token",
        )
    if row.accepted_at is not None:
        raise InvitationGoneError(
            f"This invitation link was used on {row.accepted_at:%Y-%m-%d at %H:%M} UTC "
            "already: sign in with the password chosen then, or ask for a new invitation.",
            "token",
        )
    if row.revoked_at is not None:
        raise InvitationGoneError(
            "This invitation link was withdrawn or replaced by a newer invitation: use the "
            "link of the latest e-mail, or ask for a new invitation.",
            "token",
        )
    if row.expires_at <= moment:
        raise InvitationGoneError(
            f"This invitation link expired on {row.expires_at:%Y-%m-%d at %H:%M} UTC. Ask "
            f"{row.invited_by_name} for a new invitation.",
            "token",
        )
    return row


def accept(
    session: Session,
    token: str,
    password: str,
    moment: datetime,
    *,
    repeated: str | None = None,
    name: str = "",
) -> Person:
    """Accept an invitation: the person is made with the password chosen, the link used up."""
    row = invitation(session, token, moment)
    if repeated is not None and repeated != password:
        raise InvalidError("the two passwords are not the same; type the same one twice", "again")
    person = add_person(
        session,
        row.organisation_id,
        row.email,
        password,
        row.role,
        moment,
        customer=row.customer,
        name=name or row.name,
        invited_by=row.invited_by,
    )
    row.accepted_at = moment
    slug = session.scalar(select(Organisation.slug).where(Organisation.id == row.organisation_id))
    assert slug is not None
    audit.record(
        session,
        principal_of(person, slug),
        "invitation.accepted",
        "person",
        person.id,
        moment,
        email=person.email,
        role=person.role,
        invitation=row.id,
    )
    return person


@dataclass(frozen=True)
class Opened:
    """A session just started: the token for the cookie (never stored) and its row."""

    token: str
    row: PortalSession


def open_session(
    session: Session,
    moment: datetime,
    *,
    person: Person | None = None,
    client: str | None = None,
    user_agent: str | None = None,
    policy: Policy | None = None,
) -> Opened:
    """A new session with a new token and CSRF token: for a person signing in, or (without
    one) for a browser about to fill in the sign-in or invitation form."""
    policy = policy or Policy()
    token = secrets.token_urlsafe(32)
    lasts = policy.session if person is not None else timedelta(minutes=ANONYMOUS_MINUTES)
    row = PortalSession(
        digest=digest(token),
        person_id=person.id if person is not None else None,
        csrf=secrets.token_urlsafe(32),
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + lasts,
        client=(client or "")[:64] or None,
        user_agent=(user_agent or "")[:200] or None,
    )
    session.add(row)
    session.flush()
    return Opened(token, row)


@dataclass(frozen=True)
class Current:
    """The session a request's cookie names, and its person when signed in."""

    row: PortalSession
    person: Person | None
    organisation: str | None
    default_locale: str | None = None
    """The organisation's default locale for its portal (None: none chosen)."""
    locale: str = "en"
    """The locale the portal writes this reader's numbers in (chosen by the portal from the
    person's choice, their browser's and the organisation's default)."""

    @property
    def principal(self) -> Principal | None:
        if self.person is None or self.organisation is None:
            return None
        return principal_of(self.person, self.organisation)


def current(
    session: Session, token: str | None, moment: datetime, policy: Policy | None = None
) -> Current | None:
    """The live session of a cookie's token: None when unknown, signed out, expired or idle
    too long. Its last use is noted (at most once a minute)."""
    policy = policy or Policy()
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(PortalSession).where(PortalSession.digest == digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= moment:
        return None
    if row.person_id is not None and row.last_seen_at + policy.idle <= moment:
        return None
    if (moment - row.last_seen_at).total_seconds() >= TOUCH_SECONDS:
        row.last_seen_at = moment
    person = session.get(Person, row.person_id) if row.person_id is not None else None
    slug = default = None
    if person is not None:
        found = session.execute(
            select(Organisation.slug, Organisation.locale).where(
                Organisation.id == person.organisation_id
            )
        ).one_or_none()
        if found is not None:
            slug, default = found
    return Current(row, person, slug, default)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: a new session, or why not (``problem``), or the organisations
    to choose from when the address and password are right in more than one."""

    opened: Opened | None = None
    person: Person | None = None
    problem: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)


WRONG = "The e-mail address or the password is not right."


def refuse_when_limited(
    session: Session, email: str, client: str, moment: datetime, policy: Policy
) -> None:
    since = moment - policy.window
    last_success = session.scalar(
        select(func.max(SignInAttempt.at)).where(
            SignInAttempt.email == email, SignInAttempt.succeeded.is_(True)
        )
    )
    counted_from = max(since, last_success) if last_success is not None else since
    for what, condition, limit, counted in (
        ("this e-mail address", SignInAttempt.email == email, policy.email_limit, counted_from),
        ("this network address", SignInAttempt.client == client, policy.client_limit, since),
    ):
        failed, first = session.execute(
            select(func.count(), func.min(SignInAttempt.at)).where(
                condition, SignInAttempt.succeeded.is_(False), SignInAttempt.at > counted
            )
        ).one()
        if failed >= limit:
            raise too_many("failed sign-ins", what, failed, first, moment, policy)


def too_many(
    tries: str, what: str, count: int, first: datetime, moment: datetime, policy: Policy
) -> RateLimitedError:
    """The refusal of one try too many: ``count`` ``tries`` for ``what`` within the window,
    the first at ``first``; the wait is until that one leaves the window."""
    wait = max(1, int((first + policy.window - moment).total_seconds()) + 1)
    minutes = max(1, -(-wait // 60))
    return RateLimitedError(
        f"Too many {tries} for {what} ({count} in "
        f"{int(policy.window.total_seconds() // 60)} minutes). Try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''}.",
        wait,
    )


def sign_in(
    session: Session,
    email: str,
    password: str,
    moment: datetime,
    *,
    client: str,
    organisation: str | None = None,
    replacing: PortalSession | None = None,
    user_agent: str | None = None,
    policy: Policy | None = None,
) -> SignIn:
    """Check an address and password; on success a new session (the one the browser had
    before, ``replacing``, ends: the session id changes at sign-in). Failures are counted,
    and past the limits a sign-in is refused (RateLimitedError) without looking further."""
    policy = policy or Policy()
    email = email.strip().lower()[:320]
    client = client[:64]
    refuse_when_limited(session, email, client, moment, policy)
    query = select(Person, Organisation).join(
        Organisation, Organisation.id == Person.organisation_id
    )
    candidates = [(p, o) for p, o in session.execute(query.where(Person.email == email)).all()]
    if organisation:
        candidates = [(p, o) for p, o in candidates if o.slug == organisation]
    matching = []
    for person, owner in candidates:
        try:
            hasher.verify(person.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            continue
        matching.append((person, owner))
    if not candidates:  # as slow as a wrong password: the time tells nobody who has an account
        with contextlib.suppress(VerificationError):
            hasher.verify(_NOBODY, password)
    session.add(SignInAttempt(email=email, client=client, at=moment, succeeded=bool(matching)))
    if not matching:
        return SignIn(problem=WRONG)
    if len(matching) > 1:
        return SignIn(choices=sorted((o.slug, o.name) for _, o in matching))
    person, owner = matching[0]
    if hasher.check_needs_rehash(person.password_hash):
        person.password_hash = hasher.hash(password)
    if replacing is not None:
        end_session(session, replacing.id, moment)
    opened = open_session(
        session, moment, person=person, client=client, user_agent=user_agent, policy=policy
    )
    audit.record(
        session,
        principal_of(person, owner.slug),
        "session.signed_in",
        "session",
        opened.row.id,
        moment,
        client=client,
    )
    _forget_old(session, moment, policy)
    return SignIn(opened=opened, person=person)


def _forget_old(session: Session, moment: datetime, policy: Policy) -> None:
    """Attempts past every window, and sessions and password reset links that ended a day ago,
    are of no use any more."""
    session.execute(
        delete(SignInAttempt).where(SignInAttempt.at < moment - max(policy.window, timedelta(1)))
    )
    session.execute(delete(PortalSession).where(PortalSession.expires_at < moment - timedelta(1)))
    session.execute(
        delete(PasswordReset).where(
            PasswordReset.expires_at < moment - max(policy.window, timedelta(1))
        )
    )


def end_session(session: Session, session_id: int, moment: datetime) -> None:
    """End a session by its id (the row at hand may come from an earlier transaction)."""
    session.execute(
        update(PortalSession)
        .where(PortalSession.id == session_id, PortalSession.revoked_at.is_(None))
        .values(revoked_at=moment)
        .execution_options(synchronize_session=False)
    )


def sign_out(session: Session, current: Current, moment: datetime) -> None:
    """End this session: its cookie no longer signs anybody in."""
    end_session(session, current.row.id, moment)
    who = current.principal
    if who is not None:
        audit.record(session, who, "session.signed_out", "session", current.row.id, moment)


def sign_out_everywhere(session: Session, current: Current, moment: datetime) -> int:
    """End every session of the person, on every browser; how many were live."""
    who = current.principal
    if who is None or current.person is None:
        end_session(session, current.row.id, moment)
        return 0
    ended = session.execute(
        update(PortalSession)
        .where(
            PortalSession.person_id == current.person.id,
            PortalSession.revoked_at.is_(None),
            PortalSession.expires_at > moment,
        )
        .values(revoked_at=moment)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    end_session(session, current.row.id, moment)
    audit.record(
        session,
        who,
        "session.signed_out_everywhere",
        "person",
        current.person.id,
        moment,
        sessions=ended,
    )
    return int(ended)


@dataclass(frozen=True)
class Roster:
    """The people a person may manage, and the invitations not yet accepted."""

    people: Sequence[Person]
    invitations: Sequence[Invitation]
    customers: list[str]


def roster(session: Session, who: Principal, moment: datetime) -> Roster:
    """Provider admins see everybody; a customer admin the people of their customer."""
    if not may_invite(who):
        raise ForbiddenError("the list of people is for the provider's and customers' admins")
    people = select(Person).where(Person.organisation_id == who.organisation_id)
    pending = select(Invitation).where(
        Invitation.organisation_id == who.organisation_id,
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > moment,
    )
    if who.customer is not None:
        people = people.where(Person.customer == who.customer)
        pending = pending.where(Invitation.customer == who.customer)
    known = customers(session, who.organisation_id)
    return Roster(
        session.scalars(people.order_by(Person.customer, Person.email)).all(),
        session.scalars(pending.order_by(Invitation.created_at)).all(),
        [who.customer] if who.customer is not None else known,
    )


Managed = TypeVar("Managed", Person, Invitation)


def managed_row(
    session: Session, who: Principal, model: type[Managed], row_id: int, doing: str
) -> Managed:
    """A person or an invitation ``who`` may manage: anyone's of the organisation for its
    admins, those of their own customer for a customer's admin; anyone else's is not found."""
    if not may_invite(who):
        raise ForbiddenError(f"{doing} is for the provider's and customers' admins")
    row = session.get(model, row_id)
    if (
        row is None
        or row.organisation_id != who.organisation_id
        or (who.customer is not None and row.customer != who.customer)
    ):
        noun = "person" if model is Person else "invitation"
        raise NotFoundError(f"no {noun} {row_id}", noun)
    return row


def withdraw(session: Session, who: Principal, invitation_id: int, moment: datetime) -> Invitation:
    """Withdraw a pending invitation: its link stops working. Another customer's is not found."""
    row = managed_row(session, who, Invitation, invitation_id, "withdrawing invitations")
    if row.accepted_at is None and row.revoked_at is None:
        row.revoked_at = moment
        audit.record(
            session,
            who,
            "invitation.withdrawn",
            "invitation",
            row.id,
            moment,
            customer=row.customer,
            email=row.email,
        )
    return row
