"""The invitation e-mail: workers send the mail outbox over SMTP, once, retried later when
the server cannot be reached; the link is not kept once sent."""

from __future__ import annotations

import socket
from datetime import timedelta

from sqlalchemy import select

from accord.service import mail, people
from accord.settings import Settings
from accord.store.schema import OutgoingMail
from accord.worker import Worker
from tests.portal.conftest import MOMENT, Provider
from tests.service.test_worker import Mailbox, mailbox  # noqa: F401 (a fixture)


def _invite(provider: Provider) -> str:
    with provider.database.session() as session:
        who = provider.principal("admin@prov.example")
        invited = people.invite(
            session, who, "new@acme.example", "customer_viewer", MOMENT, customer="acme-corp"
        )
    return invited.link


def test_a_worker_sends_the_invitation_once_and_forgets_its_link(
    provider: Provider,
    settings: Settings,
    mailbox: tuple[Mailbox, int],  # noqa: F811
) -> None:
    box, port = mailbox
    link = _invite(provider)
    smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    tally = Worker(provider.database, smtp).run_once(MOMENT)
    assert tally.sent == 1
    (message,) = box.messages
    assert message["To"] == "new@acme.example"
    assert message["Subject"] == "Your invitation to the service level portal of Provider Ltd"
    assert link in message.get_payload(decode=True).decode()
    assert mail.send_waiting(provider.database, smtp, MOMENT + timedelta(hours=1)).sent == 0
    with provider.database.session() as session:
        row = session.scalars(select(OutgoingMail)).one()
        assert (row.sent_at, row.body) == (MOMENT, mail.SENT)


def test_mail_the_server_refuses_is_tried_again_later(
    provider: Provider, settings: Settings
) -> None:
    _invite(provider)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": closed})
    assert mail.send_waiting(provider.database, smtp, MOMENT).failed == 1
    assert mail.send_waiting(provider.database, smtp, MOMENT + timedelta(seconds=5)).failed == 0
    with provider.database.session() as session:
        row = session.scalars(select(OutgoingMail)).one()
        assert (row.attempts, row.sent_at) == (1, None)
        assert row.last_error is not None
        assert row.last_error.startswith("SMTP: ")
        assert row.next_attempt_at > MOMENT + timedelta(seconds=5)
    # without an SMTP server the outbox waits (the inviting admin is shown the link)
    unset = settings.model_copy(update={"smtp_host": None})
    assert mail.send_waiting(provider.database, unset, MOMENT + timedelta(days=1)).failed == 0
