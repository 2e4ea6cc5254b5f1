"""A person's account and the people an admin manages, as use cases on the store (SQLite and
PostgreSQL): changing and resetting a password, one's own sessions, changing a role and
removing a person; who may do which, and the audit log of each."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from accord.service import accounts, audit, people
from accord.service.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from accord.store.schema import OutgoingMail, PasswordReset, Person, PortalSession
from tests.portal.conftest import MOMENT, PASSWORD, Provider

NEW_PASSWORD = "tulips in the rain again"


def _signed_in(provider: Provider, email: str, agent: str = "Firefox/1 (X11; Linux)") -> str:
    """A session of the person (its cookie token)."""
    with provider.database.session() as session:
        done = people.sign_in(session, email, PASSWORD, MOMENT, client="10.0.0.1", user_agent=agent)
    assert done.opened is not None
    return done.opened.token


def _current(provider: Provider, token: str, moment=MOMENT) -> people.Current | None:  # type: ignore[no-untyped-def]
    with provider.database.session() as session:
        found = people.current(session, token, moment)
        if found is not None:
            session.expunge_all()
        return found


def _actions(provider: Provider) -> list[str]:
    who = provider.principal("admin@prov.example")
    with provider.database.session() as session:
        return [e.action for e in audit.entries(session, who)]


def _person_id(provider: Provider, email: str) -> int:
    with provider.database.session() as session:
        found = session.scalar(select(Person.id).where(Person.email == email))
    assert found is not None
    return found


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(
    provider: Provider,
) -> None:
    here = _signed_in(provider, "viewer@acme.example")
    there = _signed_in(provider, "viewer@acme.example", agent="Chrome/1 (Android)")
    current = _current(provider, here)
    assert current is not None
    with provider.database.session() as session:
        changed = accounts.change_password(
            session, current, PASSWORD, NEW_PASSWORD, MOMENT, repeated=NEW_PASSWORD, client="c"
        )
    assert changed == accounts.Changed(ended=1)
    assert _current(provider, here) is not None
    assert _current(provider, there) is None
    with provider.database.session() as session:
        old = people.sign_in(session, "viewer@acme.example", PASSWORD, MOMENT, client="c")
        new = people.sign_in(session, "viewer@acme.example", NEW_PASSWORD, MOMENT, client="c")
    assert old.opened is None
    assert new.opened is not None
    assert "person.password_changed" in _actions(provider)


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_sign_in(
    provider: Provider,
) -> None:
    token = _signed_in(provider, "viewer@acme.example")
    current = _current(provider, token)
    assert current is not None
    policy = people.Policy(email_limit=2)
    later = MOMENT + timedelta(minutes=1)  # failures count from the last sign-in
    for _ in range(2):
        with provider.database.session() as session:
            wrong = accounts.change_password(
                session, current, "not it at all", NEW_PASSWORD, later, client="c", policy=policy
            )
        assert wrong.problem == "Your current password is not right."
    with provider.database.session() as session, pytest.raises(people.RateLimitedError):
        accounts.change_password(
            session, current, PASSWORD, NEW_PASSWORD, later, client="c", policy=policy
        )
    with provider.database.session() as session, pytest.raises(InvalidError) as mistyped:
        accounts.change_password(
            session, current, PASSWORD, NEW_PASSWORD, MOMENT, repeated="other", client="c2"
        )
    assert mistyped.value.field == "again"
    with provider.database.session() as session:
        person = session.scalar(select(Person).where(Person.email == "viewer@acme.example"))
        assert person is not None
        people.hasher.verify(person.password_hash, PASSWORD)  # unchanged


def _reset_link(provider: Provider, email: str) -> str:
    with provider.database.session() as session:
        mails = session.scalars(
            select(OutgoingMail).where(OutgoingMail.recipient == email).order_by(OutgoingMail.id)
        ).all()
    found = re.search(r"\S*/portal/password-reset\?token=\S+", mails[-1].body)
    assert found is not None
    return found.group(0)


def test_a_reset_link_is_mailed_sets_the_password_once_and_ends_every_session(
    provider: Provider,
) -> None:
    token = _signed_in(provider, "boss@acme.example")
    with provider.database.session() as session:
        accounts.request_reset(
            session, " Boss@Acme.example", MOMENT, client="c", base_url="https://sla.example/"
        )
    link = _reset_link(provider, "boss@acme.example")
    assert link.startswith("https://sla.example/portal/password-reset?token=")
    secret = parse_qs(urlparse(link).query)["token"][0]
    with provider.database.session() as session:
        stored = session.scalars(select(PasswordReset.digest)).all()
    assert stored == [people.digest(secret)]  # the digest only, never the token
    later = MOMENT + timedelta(minutes=10)
    with provider.database.session() as session:
        accounts.reset_password(session, secret, NEW_PASSWORD, later, repeated=NEW_PASSWORD)
    assert _current(provider, token, later) is None  # signed out everywhere
    with provider.database.session() as session:
        assert people.sign_in(session, "boss@acme.example", NEW_PASSWORD, later, client="c").opened
    with provider.database.session() as session, pytest.raises(people.InvitationGoneError) as used:
        accounts.reset_password(session, secret, "yet another password", later)
    assert "used already" in used.value.message
    assert "person.password_reset" in _actions(provider)


def test_a_reset_link_expires_after_an_hour(provider: Provider) -> None:
    with provider.database.session() as session:
        accounts.request_reset(session, "boss@acme.example", MOMENT, client="c")
    secret = parse_qs(urlparse(_reset_link(provider, "boss@acme.example")).query)["token"][0]
    late = MOMENT + people.Policy().reset
    assert people.Policy().reset == timedelta(hours=1)
    with provider.database.session() as session, pytest.raises(people.InvitationGoneError) as gone:
        accounts.reset_password(session, secret, NEW_PASSWORD, late)
    assert "expired on 2026-12-07 at 10:00 UTC" in gone.value.message
    with provider.database.session() as session:
        accounts.reset_password(session, secret, NEW_PASSWORD, late - timedelta(seconds=1))


def test_a_reset_for_an_unknown_address_mails_nothing_but_is_counted(provider: Provider) -> None:
    policy = people.Policy(email_limit=2, client_limit=3)
    for _ in range(2):
        with provider.database.session() as session:
            accounts.request_reset(session, "nobody@x.example", MOMENT, client="c1", policy=policy)
    with provider.database.session() as session:
        assert session.scalars(select(OutgoingMail)).all() == []
    with provider.database.session() as session, pytest.raises(people.RateLimitedError):
        accounts.request_reset(session, "nobody@x.example", MOMENT, client="c2", policy=policy)
    # the network address is limited too, whatever the addresses asked for
    with provider.database.session() as session:
        accounts.request_reset(session, "boss@acme.example", MOMENT, client="c1", policy=policy)
    with provider.database.session() as session, pytest.raises(people.RateLimitedError) as many:
        accounts.request_reset(session, "agent@prov.example", MOMENT, client="c1", policy=policy)
    assert "this network address" in many.value.message
    after = MOMENT + policy.window + timedelta(seconds=1)
    with provider.database.session() as session:
        accounts.request_reset(session, "agent@prov.example", after, client="c1", policy=policy)


def test_a_reset_does_the_same_work_whether_or_not_the_address_has_an_account(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its time tells nothing: for an unknown address as for an account, one token is made
    and digested and one request row kept with its digest; only the account's e-mail is put
    in the outbox."""
    made: list[str] = []
    digested: list[str] = []
    token_urlsafe, digest = accounts.secrets.token_urlsafe, accounts.digest

    def counted_token(size: int) -> str:
        made.append("token")
        return token_urlsafe(size)

    def counted_digest(token: str) -> str:
        digested.append(token)
        return digest(token)

    monkeypatch.setattr(accounts.secrets, "token_urlsafe", counted_token)
    monkeypatch.setattr(accounts, "digest", counted_digest)
    work = []
    for email in ("nobody@acme.example", "viewer@acme.example"):
        made.clear()
        digested.clear()
        with provider.database.session() as session:
            accounts.request_reset(session, email, MOMENT, client="c")
        with provider.database.session() as session:
            kept = session.scalars(select(PasswordReset).where(PasswordReset.email == email)).all()
        work.append((len(made), len(digested), len(kept)))
        assert [r.digest for r in kept] == [people.digest(t) for t in digested]
    assert work == [(1, 1, 1), (1, 1, 1)]
    with provider.database.session() as session:
        sent = session.scalars(select(OutgoingMail.recipient)).all()
        unknown = session.scalars(
            select(PasswordReset).where(PasswordReset.email == "nobody@acme.example")
        ).one()
    assert sent == ["viewer@acme.example"]
    assert unknown.person_id is None


def test_a_person_lists_their_live_sessions_and_ends_another(provider: Provider) -> None:
    here = _signed_in(provider, "agent@prov.example")
    there = _signed_in(provider, "agent@prov.example", agent="Chrome/1 (Android)")
    third = _signed_in(provider, "agent@prov.example", agent="Safari/1 (iPhone)")
    _signed_in(provider, "admin@prov.example")  # somebody else's
    current = _current(provider, here)
    other = _current(provider, there)
    assert current is not None
    assert other is not None
    with provider.database.session() as session:
        listed = accounts.own_sessions(session, current, MOMENT)
    assert len(listed) == 3
    assert listed[0].this
    assert listed[0].user_agent == "Firefox/1 (X11; Linux)"
    assert [s.this for s in listed[1:]] == [False, False]
    with provider.database.session() as session:
        accounts.end_own_session(session, current, other.row.id, MOMENT)
    assert _current(provider, there) is None
    assert _current(provider, third) is not None
    with provider.database.session() as session:
        assert accounts.end_other_sessions(session, current, MOMENT) == 1
        assert [s.this for s in accounts.own_sessions(session, current, MOMENT)] == [True]
    assert _current(provider, third) is None
    assert _current(provider, here) is not None
    # another person's session is not found; neither is this one (sign-out ends it)
    admins = _signed_in(provider, "admin@prov.example")
    theirs = _current(provider, admins)
    assert theirs is not None
    with provider.database.session() as session, pytest.raises(NotFoundError):
        accounts.end_own_session(session, current, theirs.row.id, MOMENT)
    with provider.database.session() as session, pytest.raises(NotFoundError):
        accounts.end_own_session(session, current, current.row.id, MOMENT)
    assert {"session.ended", "session.ended_others"} <= set(_actions(provider))


def test_a_removed_persons_sessions_end_at_once_and_they_cannot_sign_in(
    provider: Provider,
) -> None:
    token = _signed_in(provider, "viewer@acme.example")
    viewer = _person_id(provider, "viewer@acme.example")
    boss = provider.principal("boss@acme.example")
    with provider.database.session() as session:
        removed = accounts.remove(session, boss, viewer, MOMENT)
    assert (removed.email, removed.sessions) == ("viewer@acme.example", 1)
    assert _current(provider, token) is None
    with provider.database.session() as session:
        done = people.sign_in(session, "viewer@acme.example", PASSWORD, MOMENT, client="c")
        assert done.opened is None
        assert session.get(PortalSession, 1) is not None  # kept, ended, nobody's
    assert "person.removed" in _actions(provider)
    # invited again, they are a new person
    with provider.database.session() as session:
        people.invite(session, boss, "viewer@acme.example", "customer_viewer", MOMENT)


def test_a_customer_admin_manages_its_own_customers_people_only(provider: Provider) -> None:
    boss = provider.principal("boss@acme.example")
    for email in ("viewer@globex.example", "agent@prov.example", "admin@prov.example"):
        target = _person_id(provider, email)
        with provider.database.session() as session, pytest.raises(NotFoundError):
            accounts.remove(session, boss, target, MOMENT)
        with provider.database.session() as session, pytest.raises(NotFoundError):
            accounts.change_role(session, boss, target, "customer_viewer", MOMENT)
    viewer = _person_id(provider, "viewer@acme.example")
    with provider.database.session() as session, pytest.raises(InvalidError):
        accounts.change_role(session, boss, viewer, "provider_admin", MOMENT)
    with provider.database.session() as session:
        accounts.change_role(session, boss, viewer, "customer_admin", MOMENT)
    assert provider.principal("viewer@acme.example").person_role == "customer_admin"
    for email in ("agent@prov.example", "viewer@globex.example"):
        who = provider.principal(email)
        with provider.database.session() as session, pytest.raises(ForbiddenError):
            accounts.remove(session, who, viewer, MOMENT)


def test_nobody_removes_or_demotes_the_last_provider_admin(provider: Provider) -> None:
    admin = provider.principal("admin@prov.example")
    me = _person_id(provider, "admin@prov.example")
    with provider.database.session() as session, pytest.raises(ConflictError) as last:
        accounts.change_role(session, admin, me, "provider_agent", MOMENT)
    assert "last provider admin" in last.value.message
    with provider.database.session() as session, pytest.raises(ConflictError):
        accounts.remove(session, admin, me, MOMENT)
    agent = _person_id(provider, "agent@prov.example")
    with provider.database.session() as session:
        accounts.change_role(session, admin, agent, "provider_admin", MOMENT)
    with provider.database.session() as session:  # now there are two: one may go
        accounts.change_role(session, admin, me, "provider_agent", MOMENT)
    with provider.database.session() as session, pytest.raises(ConflictError):
        accounts.remove(session, provider.principal("agent@prov.example"), agent, MOMENT)
    with provider.database.session() as session, pytest.raises(InvalidError):
        # a side is kept: the provider's staff are not made a customer's people
        accounts.change_role(
            session, provider.principal("agent@prov.example"), me, "customer_viewer", MOMENT
        )
