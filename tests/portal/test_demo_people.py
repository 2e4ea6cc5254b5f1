"""The demo's people: a provider admin and a person of each of the demo's two customers, who
sign in with the passwords shown once and see their own customer's agreements only."""

from __future__ import annotations

from datetime import UTC, datetime

from accord.service import agreements, people
from accord.service.demo import demo_people, load_demo
from accord.store import Database


def test_the_demo_has_a_provider_admin_and_a_person_of_each_customer(
    database: Database,
) -> None:
    moment = datetime.now(UTC)
    with database.session() as session:
        load_demo(session, moment, tickets=3)
        made = demo_people(session, moment)
    assert [(p.email, p.role, p.customer) for p in made] == [
        ("admin@provider.example", "provider_admin", None),
        ("ana@acme-corp.example", "customer_admin", "acme-corp"),
        ("bo@business.example", "customer_viewer", "business"),
    ]
    assert len({p.password for p in made}) == 3
    seen = {}
    for person in made:
        with database.session() as session:
            signed = people.sign_in(session, person.email, person.password, moment, client="t")
            assert signed.person is not None
            who = people.principal_of(signed.person, "demo")
            seen[person.email] = [a.key for a in agreements.visible(session, who)]
    assert seen == {
        "admin@provider.example": ["cloudnote-saas", "it-service-desk"],
        "ana@acme-corp.example": ["cloudnote-saas"],
        "bo@business.example": ["it-service-desk"],
    }
    with database.session() as session:
        assert demo_people(session, moment) == []  # once only: the passwords are not kept
