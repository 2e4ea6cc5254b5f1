"""Notifications: due items become deliveries, and deliveries are sent.

Webhooks are POSTed as JSON, signed like Stripe's: ``Accord-Signature: t=<unix>,v1=<hex>``
where ``<hex>`` is HMAC-SHA256 of ``<unix>.<body>`` under the webhook's secret. Every
delivery carries its id (``Accord-Delivery`` header, e-mail ``Message-ID``): a worker killed
mid-send leaves the delivery to another worker after its lease, which sends it again with
the same id, so a receiver that drops ids it has seen gets each notification exactly once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord.core.errors import AccordError
from accord.core.reminders import kind_of_level
from accord.service import webhooks
from accord.settings import Settings
from accord.store.schema import Delivery, DueItem, Organisation, Webhook

WEBHOOK_CHANNELS = frozenset({"webhook", "sms", "chat"})
REVIEW = ""  # the subject of an agreement's reminders: no ticket id is empty, so none can collide
BURN = ""  # and of objectives' escalations (no ticket), told apart by their objective


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Accord-Signature`` header of a body sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, tolerance: float = 300.0) -> bool:
    """Whether a received body is genuine and fresh (for receivers, and the tests)."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 10 s, 20 s, 40 s ... at most an hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))


def _kind(item: DueItem) -> str:
    """The payload's ``type``: ``escalation`` (a ticket's clock), ``objective`` (an objective
    without one), or one of the agreement's reminders: ``review``, ``notice``, ``termination``
    (:func:`accord.core.reminders.kind_of_level`)."""
    if item.subject == REVIEW and not item.objective:
        return kind_of_level(item.level)
    return "objective" if item.subject == BURN else "escalation"


def fire(session: Session, item: DueItem, moment: datetime) -> int:
    """Turn one due item into its deliveries, once: returns how many, 0 if another worker won."""
    won = session.execute(
        update(DueItem)
        .where(DueItem.id == item.id, DueItem.status == "pending")
        .values(status="fired", fired_at=moment, updated_at=moment, row_hash=None)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return 0
    slug = session.scalar(select(Organisation.slug).where(Organisation.id == item.organisation_id))
    payload: dict[str, Any] = {
        "type": _kind(item),
        "organisation": slug,
        "subject": item.subject,
        "customer": item.customer,
        "agreement": item.agreement,
        "objective": item.objective,
        "cycle": item.cycle,
        "level": item.level,
        "at": item.at,
        "due_at": item.due_at.isoformat() if item.due_at else None,
        "notify": list(item.notify),
        "channels": list(item.channels),
    }
    payload |= {k: v for k, v in (item.details or {}).items() if k not in payload}
    targets: list[tuple[str, str]] = []
    if "email" in item.channels:
        targets += [("email", address) for address in item.notify if "@" in address]
    if WEBHOOK_CHANNELS & set(item.channels) or not targets:
        hooks = session.scalars(
            select(Webhook).where(Webhook.organisation_id == item.organisation_id)
        ).all()
        targets += [("webhook", str(hook.id)) for hook in hooks]
    rows = [
        {
            "organisation_id": item.organisation_id,
            "due_item_id": item.id,
            "channel": channel,
            "target": target,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": moment,
        }
        for channel, target in dict.fromkeys(targets)
    ]
    if rows:
        dialect = session.get_bind().dialect.name
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(Delivery)
        session.execute(
            insert.on_conflict_do_nothing(index_elements=["due_item_id", "channel", "target"]),
            rows,
        )
    return len(rows)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None
    permanent: bool = False  # retrying cannot help (nothing configured to send with)


Sender = Callable[[Session, Delivery, Settings], Outcome]


def _subject(payload: dict[str, Any]) -> str:
    if payload["type"] == "review":
        return f"Review due: agreement {payload['agreement']} ({payload['at']})"
    if payload["type"] == "notice":
        return (
            f"Notice by {payload.get('notice_by')}, or agreement {payload['agreement']} renews "
            f"automatically ({payload['at']})"
        )
    if payload["type"] == "termination":
        who = f", {payload['provider']}" if payload.get("provider") else ""
        return (
            f"Termination right near: agreement {payload['agreement']}{who}, "
            f"{len(payload.get('misses') or ())} of {payload.get('after_misses')} misses"
        )
    if payload["type"] == "objective":
        return f"SLA {payload['at']}: objective {payload['objective']} ({payload['agreement']})"
    return (
        f"SLA {payload['at']}: ticket {payload['subject']}, objective {payload['objective']} "
        f"({payload['agreement']})"
    )


def send_email(delivery: Delivery, settings: Settings) -> Outcome:
    if settings.smtp_host is None:
        return Outcome(False, "no SMTP server configured (ACCORD_SMTP_HOST)", permanent=True)
    error = smtp_send(
        settings,
        delivery.target,
        _subject(delivery.payload),
        f"<delivery-{delivery.id}@accord>",
        json.dumps(delivery.payload, indent=2, sort_keys=True),
    )
    return Outcome(True) if error is None else Outcome(False, error)


def smtp_send(settings: Settings, to: str, subject: str, message_id: str, body: str) -> str | None:
    """Send one plain-text message through the configured SMTP server (``smtp_host`` set):
    None when the server took it, else what went wrong (``SMTP: ...``)."""
    assert settings.smtp_host is not None
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        return f"SMTP: {error}"
    return None


def send_webhook(hook: Webhook, delivery: Delivery, settings: Settings) -> Outcome:
    """POST the delivery, signed, to the address its host resolves to now, once that address
    is checked (:mod:`accord.service.webhooks`); redirects are not followed, and no proxy of
    the environment is used, so the request goes nowhere else."""
    try:
        secret = webhooks.box_of(settings).open(hook.sealed_secret)
        goes_to = webhooks.target(hook.url, webhooks.policy_of(settings))
    except AccordError as error:  # a refused address, or keys that cannot open the secret
        return Outcome(False, f"POST {hook.url}: {error}")
    body = json.dumps({"delivery": delivery.id, **delivery.payload}, sort_keys=True).encode()
    headers = {
        "Host": goes_to.host,
        "Content-Type": "application/json",
        "Accord-Delivery": str(delivery.id),
        "Accord-Signature": sign(secret, int(time.time()), body),
        "User-Agent": "Accord",
    }
    try:
        with httpx.Client(timeout=settings.webhook_timeout, trust_env=False) as client:
            response = client.post(
                goes_to.url, content=body, headers=headers, extensions=goes_to.extensions
            )
    except httpx.HTTPError as error:
        return Outcome(False, f"POST {hook.url}: {error}")
    if response.status_code >= 300:
        return Outcome(False, f"POST {hook.url}: HTTP {response.status_code}")
    return Outcome(True)
