"""The mail outbox (invitations): workers send what is waiting over SMTP when
``ACCORD_SMTP_HOST`` is set, each message once, retried with a growing wait when the server
refuses it. A message's body holds a sign-in link, so it is not kept once sent."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from accord.service.notify import backoff, smtp_send
from accord.settings import Settings
from accord.store.database import Database
from accord.store.schema import OutgoingMail

log = logging.getLogger("accord.mail")
BATCH = 20
SENT = "(sent; not kept, as it held a link to sign in with)"


@dataclass
class Sent:
    sent: int = 0
    failed: int = 0


def send_waiting(database: Database, settings: Settings, moment: datetime) -> Sent:
    """Send the messages due now. Each is claimed first (its attempt counted in a
    compare-and-set), so two workers never send the same one."""
    done = Sent()
    if settings.smtp_host is None:
        return done
    with database.reading() as session:
        waiting = session.execute(
            select(OutgoingMail.id, OutgoingMail.attempts)
            .where(
                OutgoingMail.sent_at.is_(None),
                OutgoingMail.next_attempt_at <= moment,
                OutgoingMail.attempts < settings.max_attempts,
            )
            .order_by(OutgoingMail.next_attempt_at)
            .limit(BATCH)
        ).all()
    for mail_id, attempts in waiting:
        with database.session() as session:
            claimed = session.execute(
                update(OutgoingMail)
                .where(OutgoingMail.id == mail_id, OutgoingMail.attempts == attempts)
                .values(attempts=attempts + 1, next_attempt_at=moment + backoff(attempts + 1))
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            mail = session.get(OutgoingMail, mail_id) if claimed else None
        if mail is None:
            continue
        error = _send(mail, settings)
        with database.session() as session:
            row = session.get(OutgoingMail, mail_id)
            assert row is not None
            if error is None:
                row.sent_at, row.body, row.last_error = moment, SENT, None
                done.sent += 1
            else:
                row.last_error = error
                done.failed += 1
                log.warning("mail %s to %s: %s", mail_id, mail.recipient, error)
    return done


def _send(mail: OutgoingMail, settings: Settings) -> str | None:
    """None when the SMTP server took the message; else what went wrong."""
    return smtp_send(settings, mail.recipient, mail.subject, f"<mail-{mail.id}@accord>", mail.body)
