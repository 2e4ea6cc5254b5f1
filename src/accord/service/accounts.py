"""A person's account, and the people an admin manages: changing or resetting a password
("forgot password"), one's own sessions, and removing a person or changing their role.

Who manages whom is the rule of invitations (:func:`accord.service.people.may_invite`): the
provider's admins anyone, a customer's admins the people of their own customer and only as
customer roles. Somebody they may not manage is not found (404), as another customer's data
is. Nobody removes or demotes the organisation's last provider admin. Every change is in the
audit log.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from accord.render.words import SUPPORTED_LOCALES
from accord.service import audit, people
from accord.service.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from accord.service.people import (
    CUSTOMER_ROLES,
    PROVIDER_ROLES,
    ROLE_NAMES,
    Current,
    InvitationGoneError,
    Policy,
    digest,
    principal_of,
)
from accord.service.tenants import Principal
from accord.store.schema import (
    Invitation,
    Organisation,
    OutgoingMail,
    PasswordReset,
    Person,
    PortalSession,
    SignInAttempt,
)

RESET_SENT = (
    "If an account has this address, an e-mail with a link to choose a new password is on its "
    "way. The link works once, for {minutes} minutes. Nothing arrived? Check the address, "
    "and the spam folder."
)


def _person_of(session: Session, current: Current) -> tuple[Person, Principal]:
    """The signed-in person, read again in this transaction (``current`` comes from the one
    that checked the cookie)."""
    who = current.principal
    person = session.get(Person, current.person.id) if current.person is not None else None
    if who is None or person is None:
        raise ForbiddenError("sign in first")
    return person, who


def _verifies(person: Person, password: str) -> bool:
    try:
        return bool(people.hasher.verify(person.password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _end_sessions_of(
    session: Session, person_id: int, moment: datetime, *, keep: int | None = None
) -> int:
    """End every live session of a person (but ``keep``); how many were live."""
    query = update(PortalSession).where(
        PortalSession.person_id == person_id,
        PortalSession.revoked_at.is_(None),
        PortalSession.expires_at > moment,
    )
    if keep is not None:
        query = query.where(PortalSession.id != keep)
    ended = session.execute(
        query.values(revoked_at=moment).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return int(ended)


def _forget_reset_links(session: Session, person_id: int, moment: datetime) -> None:
    """A password set one way makes the reset links still pending useless."""
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.person_id == person_id, PasswordReset.used_at.is_(None))
        .values(used_at=moment)
        .execution_options(synchronize_session=False)
    )


def _tell_password_changed(
    session: Session, person: Person, moment: datetime, how: str, ended: str, base_url: str
) -> None:
    """An e-mail to the person, through the mail outbox as invitations and reset links go:
    their password was changed (``how``), when, and what to do if it was not them. Never
    the password."""
    owner = session.get(Organisation, person.organisation_id)
    assert owner is not None
    base = base_url.rstrip("/")
    forgot = f"{base}/portal/forgot-password?email={quote(person.email, safe='@')}"
    session.add(
        OutgoingMail(
            organisation_id=person.organisation_id,
            recipient=person.email,
            subject=f"Your password for the service level portal of {owner.name} was changed",
            body=(
                f"Hello {person.name},\n\n"
                f"The password of your account ({person.email}) on the service level portal "
                f"of {owner.name} was changed on {moment:%Y-%m-%d at %H:%M} UTC, {how}. "
                f"{ended}\n\n"
                "If this was you, there is nothing to do.\n\n"
                "If it was not you, someone else may know your password or read your e-mail: "
                "choose a new password at once with this page, which mails you a link, and "
                f"tell an administrator of {owner.name}'s portal:\n\n{forgot}\n"
            ),
            created_at=moment,
            attempts=0,
            next_attempt_at=moment,
        )
    )


WRONG_CURRENT = "Your current password is not right."


@dataclass(frozen=True)
class Changed:
    """A password change: how many other sessions ended, or why nothing changed (the current
    password was wrong: counted, so it is kept, not rolled back as an error would be)."""

    ended: int = 0
    problem: str = ""


def change_password(
    session: Session,
    current: Current,
    password: str,
    new: str,
    moment: datetime,
    *,
    repeated: str | None = None,
    client: str,
    policy: Policy | None = None,
    base_url: str = "",
) -> Changed:
    """A signed-in person changes their password, giving the one they have: every other
    session of theirs ends, this one goes on, and an e-mail tells them (with what to do if
    it was not them: links start at ``base_url``). A wrong current password counts as a
    failed sign-in (the same limits apply: a session left open does not let anyone guess)."""
    policy = policy or Policy()
    person, who = _person_of(session, current)
    people.refuse_when_limited(session, person.email, client[:64], moment, policy)
    if not _verifies(person, password):
        session.add(
            SignInAttempt(email=person.email, client=client[:64], at=moment, succeeded=False)
        )
        return Changed(problem=WRONG_CURRENT)
    if repeated is not None and repeated != new:
        raise InvalidError(
            "the two new passwords are not the same; type the same one twice", "again"
        )
    people.check_password(new, person.email)
    if new == password:
        raise InvalidError("the new password is the one you have: choose another", "password")
    person.password_hash = people.hasher.hash(new)
    ended = _end_sessions_of(session, person.id, moment, keep=current.row.id)
    _forget_reset_links(session, person.id, moment)
    audit.record(
        session, who, "person.password_changed", "person", person.id, moment, sessions=ended
    )
    _tell_password_changed(
        session,
        person,
        moment,
        "on the portal's account page, by someone signed in as you",
        "Every other browser signed in as you was signed out.",
        base_url,
    )
    return Changed(ended=ended)


def choose_locale(session: Session, current: Current, locale: str, moment: datetime) -> str:
    """The signed-in person chooses the locale the portal writes their numbers in (one of
    :data:`accord.render.words.SUPPORTED_LOCALES`), or none (``""``: as their browser asks,
    else the organisation's default). Returns the choice as kept."""
    person, who = _person_of(session, current)
    chosen = _supported(locale, "locale")
    person.locale = chosen
    audit.record(
        session, who, "person.locale_chosen", "person", person.id, moment, locale=chosen or ""
    )
    return chosen or ""


def _supported(locale: str, field: str) -> str | None:
    """One of the portal's locales as it names it (``de-ch`` gives ``de-CH``), None for
    ``""``; else an error listing them."""
    wanted = locale.strip().replace("_", "-")
    if not wanted:
        return None
    found = {tag.lower(): tag for tag in SUPPORTED_LOCALES}.get(wanted.lower())
    if found is None:
        raise InvalidError(
            f"locale {locale!r}: expected one of {', '.join(SUPPORTED_LOCALES)}", field
        )
    return found


def set_default_locale(session: Session, organisation: Organisation, locale: str) -> str:
    """The organisation's default locale for its portal (``""``: none, English): for the
    people who chose none and whose browser asks for none the portal offers."""
    chosen = _supported(locale, "locale")
    organisation.locale = chosen
    return chosen or ""


def _refuse_too_many_resets(
    session: Session, email: str, client: str, moment: datetime, policy: Policy
) -> None:
    since = moment - policy.window
    for what, condition, limit in (
        ("this e-mail address", PasswordReset.email == email, policy.email_limit),
        ("this network address", PasswordReset.client == client, policy.client_limit),
    ):
        count, first = session.execute(
            select(func.count(), func.min(PasswordReset.created_at)).where(
                condition, PasswordReset.created_at > since
            )
        ).one()
        if count >= limit:
            raise people.too_many("password resets asked", what, count, first, moment, policy)


def request_reset(
    session: Session,
    email: str,
    moment: datetime,
    *,
    client: str,
    base_url: str = "",
    policy: Policy | None = None,
) -> None:
    """Someone forgot their password: each account with the address (one per organisation)
    gets an e-mail with a link that sets a new one, once, for ``policy.reset``. Nothing tells
    whether the address has an account; requests are limited as failed sign-ins are (per
    address and per network address), whoever the address belongs to."""
    policy = policy or Policy()
    email = email.strip().lower()[:320]
    client = client[:64]
    if not email:
        raise InvalidError("e-mail address: type the address you sign in with", "email")
    _refuse_too_many_resets(session, email, client, moment, policy)
    found: list[tuple[Person | None, Organisation | None]] = [
        (person, owner)
        for person, owner in session.execute(
            select(Person, Organisation)
            .join(Organisation, Organisation.id == Person.organisation_id)
            .where(Person.email == email)
        ).all()
    ]
    expires = moment + policy.reset
    # The same work whether or not the address has an account, so that the time the answer
    # takes tells nothing: a token made and digested, a request kept and the e-mail written,
    # for each account or for nobody; only the e-mail of an account is put in the outbox.
    for person, owner in found or [(None, None)]:
        token, hashed = _reset_token()
        session.add(
            PasswordReset(
                email=email,
                client=client,
                person_id=None if person is None else person.id,
                digest=hashed,
                created_at=moment,
                expires_at=expires,
            )
        )
        mail = _reset_mail(person, owner, email, token, moment, expires, policy, base_url)
        if person is None or owner is None:
            continue
        session.add(mail)
        audit.record(
            session,
            principal_of(person, owner.slug),
            "person.password_reset_asked",
            "person",
            person.id,
            moment,
            client=client,
        )


def _reset_token() -> tuple[str, str]:
    """A reset link's token and the digest of it that is kept."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def _reset_mail(
    person: Person | None,
    owner: Organisation | None,
    email: str,
    token: str,
    moment: datetime,
    expires: datetime,
    policy: Policy,
    base_url: str,
) -> OutgoingMail:
    """The e-mail with a reset link to ``person`` of ``owner`` (written alike for nobody, and
    then not sent)."""
    minutes = int(policy.reset.total_seconds() // 60)
    portal = "the service level portal" + ("" if owner is None else f" of {owner.name}")
    link = f"{base_url.rstrip('/')}/portal/password-reset?token={token}"
    return OutgoingMail(
        organisation_id=None if person is None else person.organisation_id,
        recipient=email,
        subject=f"Choose a new password for {portal}",
        body=(
            f"Hello {email if person is None else person.name},\n\n"
            f"Someone (we hope you) asked to choose a new password for your account on {portal}."
            f"\n\nChoose it here (the link works once, for {minutes} minutes, until "
            f"{expires:%Y-%m-%d %H:%M} UTC):\n\n{link}\n\n"
            "Setting a new password signs you out everywhere. If you did not ask for "
            "this, ignore this e-mail: your password stays as it is.\n"
        ),
        created_at=moment,
        attempts=0,
        next_attempt_at=moment,
    )


def reset_link(session: Session, token: str, moment: datetime) -> PasswordReset:
    """The reset request of a link, if it can still be used; else an error saying why not."""
    row = None
    if token and len(token) <= 200:
        row = session.scalar(select(PasswordReset).where(PasswordReset.digest == digest(token)))
    if row is None or row.person_id is None:
        raise NotFoundError(
            "This link to choose a new password is not known. Check that the whole link was "
            "copied from the e-mail, or ask for a new one on the sign-in page.",
            "token",
        )
    if row.used_at is not None:
        raise InvitationGoneError(
            "This link to choose a new password was used already, or a newer password was set "
            "since. Sign in, or ask for a new link on the sign-in page.",
            "token",
        )
    if row.expires_at <= moment:
        raise InvitationGoneError(
            f"This link to choose a new password expired on {row.expires_at:%Y-%m-%d at %H:%M} "
            "UTC. Ask for a new one on the sign-in page.",
            "token",
        )
    return row


def reset_password(
    session: Session,
    token: str,
    password: str,
    moment: datetime,
    *,
    repeated: str | None = None,
    base_url: str = "",
) -> Person:
    """Set a new password with a reset link: the link is used up, every session of the
    person ends (whoever had one is signed out), and an e-mail tells them (with what to do
    if it was not them: links start at ``base_url``)."""
    row = reset_link(session, token, moment)
    person = session.get(Person, row.person_id)
    if person is None:  # removed since the link was mailed
        raise NotFoundError("This account no longer exists.", "token")
    if repeated is not None and repeated != password:
        raise InvalidError("the two passwords are not the same; type the same one twice", "again")
    people.check_password(password, person.email)
    person.password_hash = people.hasher.hash(password)
    _forget_reset_links(session, person.id, moment)
    ended = _end_sessions_of(session, person.id, moment)
    slug = session.scalar(
        select(Organisation.slug).where(Organisation.id == person.organisation_id)
    )
    assert slug is not None
    audit.record(
        session,
        principal_of(person, slug),
        "person.password_reset",
        "person",
        person.id,
        moment,
        reset=row.id,
        sessions=ended,
    )
    _tell_password_changed(
        session,
        person,
        moment,
        "with a link to choose a new password that was mailed to this address",
        "Every browser signed in as you was signed out.",
        base_url,
    )
    return person


@dataclass(frozen=True)
class SessionSeen:
    """One of a person's live sessions, as their account page lists it."""

    id: int
    created_at: datetime
    last_seen_at: datetime
    client: str | None
    user_agent: str | None
    this: bool


def own_sessions(
    session: Session, current: Current, moment: datetime, policy: Policy | None = None
) -> list[SessionSeen]:
    """The signed-in person's live sessions (not ended, expired or idle too long), this one
    first, then the most recently used."""
    policy = policy or Policy()
    person, _ = _person_of(session, current)
    rows = session.scalars(
        select(PortalSession).where(
            PortalSession.person_id == person.id,
            PortalSession.revoked_at.is_(None),
            PortalSession.expires_at > moment,
            PortalSession.last_seen_at > moment - policy.idle,
        )
    ).all()
    found = [
        SessionSeen(
            r.id, r.created_at, r.last_seen_at, r.client, r.user_agent, r.id == current.row.id
        )
        for r in rows
    ]
    found.sort(key=lambda s: (not s.this, -s.last_seen_at.timestamp(), -s.id))
    return found


def end_own_session(session: Session, current: Current, session_id: int, moment: datetime) -> None:
    """End one of the person's other sessions (signing out of this one is sign-out's); a
    session of somebody else is not found."""
    person, who = _person_of(session, current)
    row = session.get(PortalSession, session_id)
    if row is None or row.person_id != person.id or session_id == current.row.id:
        raise NotFoundError(f"no other session {session_id} of yours", "session")
    if row.revoked_at is None:
        people.end_session(session, session_id, moment)
        audit.record(session, who, "session.ended", "session", session_id, moment)


def end_other_sessions(session: Session, current: Current, moment: datetime) -> int:
    """End every session of the person but this one; how many were live."""
    person, who = _person_of(session, current)
    ended = _end_sessions_of(session, person.id, moment, keep=current.row.id)
    audit.record(session, who, "session.ended_others", "person", person.id, moment, sessions=ended)
    return ended


def managed(session: Session, who: Principal, person_id: int) -> Person:
    """A person ``who`` may manage: anyone of the organisation for its admins; the people of
    their own customer for a customer's admin (anyone else: not found)."""
    return people.managed_row(session, who, Person, person_id, "managing people")


def _refuse_last_admin(session: Session, person: Person, doing: str) -> None:
    if person.role != "provider_admin":
        return
    admins = session.scalar(
        select(func.count()).where(
            Person.organisation_id == person.organisation_id, Person.role == "provider_admin"
        )
    )
    if admins is not None and admins <= 1:
        raise ConflictError(
            f"{person.email} is the last provider admin: make someone else provider admin "
            f"before you {doing}",
            "person",
        )


def change_role(
    session: Session, who: Principal, person_id: int, role: str, moment: datetime
) -> Person:
    """Give a person another role on their side: a provider role to the provider's staff, a
    customer role to a customer's people (a customer's admin gives customer roles only)."""
    person = managed(session, who, person_id)
    side = CUSTOMER_ROLES if person.customer is not None else PROVIDER_ROLES
    if role not in side:
        raise InvalidError(
            f"role {role!r}: {person.email} is "
            + (f"of {person.customer}" if person.customer else "of the provider")
            + f"; expected one of {', '.join(side)}",
            "role",
        )
    if role == person.role:
        return person
    if role != "provider_admin":
        _refuse_last_admin(session, person, f"make them {ROLE_NAMES[role]}")
    before = person.role
    person.role = role
    audit.record(
        session,
        who,
        "person.role_changed",
        "person",
        person.id,
        moment,
        customer=person.customer,
        email=person.email,
        role=role,
        before=before,
    )
    return person


@dataclass(frozen=True)
class Removed:
    """Who was removed, and how many of their sessions were live (they ended at once)."""

    id: int
    email: str
    sessions: int


def remove(session: Session, who: Principal, person_id: int, moment: datetime) -> Removed:
    """Remove a person: they can no longer sign in, their sessions end at once and their
    pending reset links stop working. What they did stays in the audit log, under their
    address."""
    person = managed(session, who, person_id)
    _refuse_last_admin(session, person, "remove them")
    ended = _end_sessions_of(session, person.id, moment)
    gone = Removed(person.id, person.email, ended)
    for table, column in (
        (Person, Person.invited_by),
        (Invitation, Invitation.invited_by),
        (PasswordReset, PasswordReset.person_id),
        (PortalSession, PortalSession.person_id),
    ):
        session.execute(
            update(table)
            .where(column == person.id)
            .values({column.key: None})
            .execution_options(synchronize_session=False)
        )
    with contextlib.suppress(ValueError):
        session.expunge(person)
    session.execute(delete(Person).where(Person.id == person.id))
    audit.record(
        session,
        who,
        "person.removed",
        "person",
        gone.id,
        moment,
        customer=person.customer,
        email=gone.email,
        role=person.role,
        sessions=ended,
    )
    return gone
