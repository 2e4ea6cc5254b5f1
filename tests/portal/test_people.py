"""The portal's use cases on the store (SQLite and PostgreSQL): invitations, passwords,
sign-in and its limits, sessions, sign-out, and the audit log."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from accord.service import audit, people, tenants
from accord.service.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from accord.store.schema import OutgoingMail, Person, PortalSession
from tests.portal.conftest import MOMENT, PASSWORD, Provider

NEW_PASSWORD = "tulips in the rain again"


def _token_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


def _mailed_link(provider: Provider, email: str) -> str:
    with provider.database.session() as session:
        mail = session.scalars(
            select(OutgoingMail).where(OutgoingMail.recipient == email).order_by(OutgoingMail.id)
        ).all()[-1]
    (line,) = [w for w in mail.body.split() if "/portal/invitation?token=" in w]
    return line


def _invite(provider: Provider, by: str, email: str, role: str, customer: str | None) -> str:
    who = provider.principal(by)
    with provider.database.session() as session:
        invited = people.invite(
            session, who, email, role, MOMENT, customer=customer, base_url="https://sla.example"
        )
    return invited.link


def test_an_invitation_mails_a_link_that_sets_the_password_once(provider: Provider) -> None:
    link = _invite(
        provider, "admin@prov.example", "New@Acme.example ", "customer_viewer", "acme-corp"
    )
    assert link.startswith("https://sla.example/portal/invitation?token=")
    assert _mailed_link(provider, "new@acme.example") == link  # the e-mail carries it
    token = _token_of(link)
    with provider.database.session() as session:
        person = people.accept(session, token, NEW_PASSWORD, MOMENT, repeated=NEW_PASSWORD)
        stored = session.get(Person, person.id)
        assert stored is not None
        assert (stored.email, stored.role, stored.customer) == (
            "new@acme.example",
            "customer_viewer",
            "acme-corp",
        )
        # only an argon2id hash of the password is kept
        assert stored.password_hash.startswith("$argon2id$")
        assert NEW_PASSWORD not in stored.password_hash
    with provider.database.session() as session, pytest.raises(people.InvitationGoneError) as used:
        people.accept(session, token, NEW_PASSWORD, MOMENT + timedelta(minutes=5))
    assert "was used on 2026-12-07 at 09:00 UTC already" in used.value.message
    with provider.database.session() as session:
        done = people.sign_in(session, "new@acme.example", NEW_PASSWORD, MOMENT, client="c1")
    assert done.opened is not None


def test_an_expired_or_unknown_link_says_why_and_sets_nothing(provider: Provider) -> None:
    token = _token_of(
        _invite(provider, "admin@prov.example", "late@x.example", "provider_agent", None)
    )
    later = MOMENT + people.Policy().invitation + timedelta(seconds=1)
    with provider.database.session() as session, pytest.raises(people.InvitationGoneError) as gone:
        people.accept(session, token, NEW_PASSWORD, later)
    assert "expired on 2026-12-10 at 09:00 UTC" in gone.value.message
    assert "Ask admin@prov.example for a new invitation" in gone.value.message
    with provider.database.session() as session, pytest.raises(NotFoundError):
        people.accept(session, token + "x", NEW_PASSWORD, MOMENT)
    with provider.database.session() as session:
        assert session.scalar(select(Person).where(Person.email == "late@x.example")) is None


def test_a_weak_or_mistyped_password_is_refused_and_the_link_still_works(
    provider: Provider,
) -> None:
    token = _token_of(
        _invite(provider, "admin@prov.example", "p@x.example", "provider_agent", None)
    )
    with provider.database.session() as session, pytest.raises(InvalidError) as short:
        people.accept(session, token, "short", MOMENT, repeated="short")
    assert short.value.field == "password"
    assert "at least 10" in short.value.message
    with provider.database.session() as session, pytest.raises(InvalidError) as mistyped:
        people.accept(session, token, NEW_PASSWORD, MOMENT, repeated=NEW_PASSWORD + "!")
    assert mistyped.value.field == "again"
    with provider.database.session() as session:
        people.accept(session, token, NEW_PASSWORD, MOMENT, repeated=NEW_PASSWORD)


def test_a_new_invitation_to_the_same_address_replaces_the_pending_one(
    provider: Provider,
) -> None:
    first = _token_of(
        _invite(provider, "admin@prov.example", "twice@x.example", "provider_agent", None)
    )
    second = _token_of(
        _invite(provider, "admin@prov.example", "twice@x.example", "provider_agent", None)
    )
    with provider.database.session() as session, pytest.raises(people.InvitationGoneError) as old:
        people.accept(session, first, NEW_PASSWORD, MOMENT)
    assert "withdrawn or replaced" in old.value.message
    with provider.database.session() as session:
        people.accept(session, second, NEW_PASSWORD, MOMENT)
    with pytest.raises(ConflictError):  # an account now: no invitation to the address
        _invite(provider, "admin@prov.example", "twice@x.example", "provider_agent", None)


def test_a_customer_admin_invites_colleagues_of_their_own_customer_only(
    provider: Provider,
) -> None:
    link = _invite(provider, "boss@acme.example", "colleague@acme.example", "customer_viewer", None)
    with provider.database.session() as session:
        made = people.accept(session, _token_of(link), NEW_PASSWORD, MOMENT)
        assert made.customer == "acme-corp"
    for email, role, customer in (
        ("x@globex.example", "customer_viewer", "globex-retail"),  # another customer
        ("y@acme.example", "provider_admin", None),  # a role of the provider
    ):
        with pytest.raises(ForbiddenError):
            _invite(provider, "boss@acme.example", email, role, customer)
    for nobody in ("viewer@acme.example", "agent@prov.example"):
        with pytest.raises(ForbiddenError):
            _invite(provider, nobody, "z@acme.example", "customer_viewer", "acme-corp")


def test_a_customer_without_an_agreement_is_refused_naming_those_there_are(
    provider: Provider,
) -> None:
    with pytest.raises(InvalidError) as unknown:
        _invite(provider, "admin@prov.example", "a@b.example", "customer_viewer", "acme")
    assert unknown.value.field == "customer"
    assert "expected one of: acme-corp, globex-retail" in unknown.value.message
    with pytest.raises(InvalidError) as provider_with_customer:
        _invite(provider, "admin@prov.example", "a@b.example", "provider_agent", "acme-corp")
    assert provider_with_customer.value.field == "customer"


def test_failed_sign_ins_are_limited_per_address_and_per_client(provider: Provider) -> None:
    policy = people.Policy(email_limit=3, client_limit=5)
    with provider.database.session() as session:
        for n in range(3):
            failed = people.sign_in(
                session, "viewer@acme.example", "wrong", MOMENT, client=f"10.0.0.{n}", policy=policy
            )
            assert failed.problem == people.WRONG
    with provider.database.session() as session, pytest.raises(people.RateLimitedError) as limited:
        # the right password, from yet another address: refused all the same, unchecked
        people.sign_in(
            session, "viewer@acme.example", PASSWORD, MOMENT, client="10.0.0.9", policy=policy
        )
    assert "this e-mail address" in limited.value.message
    assert 0 < limited.value.retry_after <= 15 * 60 + 1
    assert limited.value.headers == {"Retry-After": str(limited.value.retry_after)}
    later = MOMENT + policy.window + timedelta(seconds=1)
    with provider.database.session() as session:
        again = people.sign_in(
            session, "viewer@acme.example", PASSWORD, later, client="10.0.0.9", policy=policy
        )
    assert again.opened is not None
    # one client guessing many addresses
    with provider.database.session() as session:
        for n in range(5):
            people.sign_in(
                session, f"guess{n}@x.example", "wrong", later, client="10.9.9.9", policy=policy
            )
    with (
        provider.database.session() as session,
        pytest.raises(people.RateLimitedError) as by_client,
    ):
        people.sign_in(
            session, "agent@prov.example", PASSWORD, later, client="10.9.9.9", policy=policy
        )
    assert "this network address" in by_client.value.message


def test_sign_in_starts_a_new_session_and_ends_the_one_before(provider: Provider) -> None:
    with provider.database.session() as session:
        before = people.open_session(session, MOMENT)
        done = people.sign_in(
            session, "Viewer@ACME.example", PASSWORD, MOMENT, client="c", replacing=before.row
        )
    assert done.opened is not None
    assert done.opened.token != before.token
    with provider.database.session() as session:
        assert people.current(session, before.token, MOMENT) is None
        now_in = people.current(session, done.opened.token, MOMENT)
        assert now_in is not None
        assert now_in.principal is not None
        assert (now_in.principal.role, now_in.principal.customer) == ("read", "acme-corp")
        assert now_in.row.csrf != before.row.csrf


def test_sessions_end_when_idle_too_long_or_past_their_lifetime(provider: Provider) -> None:
    policy = people.Policy(session=timedelta(hours=12), idle=timedelta(hours=2))
    with provider.database.session() as session:
        token = people.sign_in(session, "agent@prov.example", PASSWORD, MOMENT, client="c").opened
    assert token is not None
    with provider.database.session() as session:
        for hours in (1.9, 3.8, 5.7, 7.6, 9.5, 11.4):  # used every 1.9 h: alive until 12 h
            assert people.current(session, token.token, MOMENT + timedelta(hours=hours), policy)
        assert people.current(session, token.token, MOMENT + timedelta(hours=12), policy) is None
    with provider.database.session() as session:
        idle = people.sign_in(session, "agent@prov.example", PASSWORD, MOMENT, client="c").opened
    assert idle is not None
    with provider.database.session() as session:
        assert people.current(session, idle.token, MOMENT + timedelta(hours=2), policy) is None


def test_sign_out_everywhere_ends_every_session_of_the_person_only(provider: Provider) -> None:
    tokens = []
    with provider.database.session() as session:
        for email in ("agent@prov.example", "agent@prov.example", "admin@prov.example"):
            opened = people.sign_in(session, email, PASSWORD, MOMENT, client="c").opened
            assert opened is not None
            tokens.append(opened.token)
    with provider.database.session() as session:
        current = people.current(session, tokens[0], MOMENT)
        assert current is not None
        assert people.sign_out_everywhere(session, current, MOMENT) == 2
    with provider.database.session() as session:
        assert [people.current(session, t, MOMENT) is not None for t in tokens] == [
            False,
            False,
            True,
        ]
        assert session.scalar(select(PortalSession).where(PortalSession.revoked_at.is_(None)))


def test_the_audit_log_tells_who_did_what_and_only_provider_admins_read_it(
    provider: Provider,
) -> None:
    link = _invite(provider, "boss@acme.example", "c@acme.example", "customer_viewer", "acme-corp")
    with provider.database.session() as session:
        people.accept(session, _token_of(link), NEW_PASSWORD, MOMENT)
    admin = provider.principal("admin@prov.example")
    with provider.database.session() as session:
        found = audit.entries(session, admin)
        assert [(e.actor, e.action, e.object_type, e.object_id, e.customer) for e in found] == [
            (
                "c@acme.example",
                "invitation.accepted",
                "person",
                str(found[0].object_id),
                "acme-corp",
            ),
            ("boss@acme.example", "person.invited", "invitation", found[1].object_id, "acme-corp"),
            ("test", "agreement.uploaded", "agreement", "globex-desk", "globex-retail"),
            ("test", "agreement.uploaded", "agreement", "desk", "acme-corp"),
        ]
        assert found[3].detail == {"version": 1, "label": "1", "changes": 0}
        assert found[1].detail == {"email": "c@acme.example", "role": "customer_viewer"}
        older = audit.entries(session, admin, before=found[0].id, limit=2)  # the next page
        assert [e.id for e in older] == [found[1].id, found[2].id]
    for reader in ("agent@prov.example", "boss@acme.example"):
        with provider.database.session() as session, pytest.raises(ForbiddenError):
            audit.entries(session, provider.principal(reader))


def test_one_address_at_two_providers_is_asked_which_one(provider: Provider) -> None:
    with provider.database.session() as session:
        other = tenants.create_organisation(session, "other", "Other Provider")
        people.add_person(
            session, other.id, "agent@prov.example", PASSWORD, "provider_agent", MOMENT
        )
    with provider.database.session() as session:
        asked = people.sign_in(session, "agent@prov.example", PASSWORD, MOMENT, client="c")
    assert asked.opened is None
    assert asked.choices == [("other", "Other Provider"), ("prov", "Provider Ltd")]
    with provider.database.session() as session:
        chosen = people.sign_in(
            session, "agent@prov.example", PASSWORD, MOMENT, client="c", organisation="other"
        )
    assert chosen.person is not None
    assert chosen.person.organisation_id == other.id
