"""records: the span of outages and maintenance in columns of its own, indexed; ticket
events indexed by instant

Revision ID: 0005_record_spans
Revises: 0004_period_results
Create Date: 2026-12-07 10:00:00

An outage or maintenance window kept its end only inside its JSON payload, so a report read
every one the organisation ever stored to find those overlapping its window. ``starts_at``
and ``ends_at`` (null while an outage goes on) hold the span; ``ix_records_spans`` finds the
spans ending after an instant, or not ended, among span records only (probes and the other
instants are not in it, and cost their ingest nothing). Existing rows are filled from their
payload, as ingest fills new ones.

``ix_ticket_events_at`` finds the tickets with an event in a report's window, and the first
event stored, without reading every event of the organisation.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import accord.store.schema

revision: str = "0005_record_spans"
down_revision: str | None = "0004_period_results"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BATCH = 2_000


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(
            sa.Column("starts_at", accord.store.schema.Instant(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("ends_at", accord.store.schema.Instant(timezone=True), nullable=True)
        )
    _fill()
    op.create_index(
        "ix_records_spans",
        "records",
        ["organisation_id", "ends_at"],
        unique=False,
        sqlite_where=sa.text("starts_at IS NOT NULL"),
        postgresql_where=sa.text("starts_at IS NOT NULL"),
    )
    op.create_index("ix_ticket_events_at", "ticket_events", ["organisation_id", "at"], unique=False)


def _instant(value: Any) -> datetime | None:
    """An instant of a payload: ISO 8601 text as ingest wrote it (with its offset)."""
    if value is None:
        return None
    found = datetime.fromisoformat(str(value))
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _fill() -> None:
    """Each outage and maintenance window's span (its end from its payload), a batch of rows
    at a time."""
    records = sa.table(
        "records",
        sa.column("id", _ID),
        sa.column("kind", sa.String(16)),
        sa.column("at", accord.store.schema.Instant(timezone=True)),
        sa.column("payload", sa.JSON()),
        sa.column("starts_at", accord.store.schema.Instant(timezone=True)),
        sa.column("ends_at", accord.store.schema.Instant(timezone=True)),
    )
    connection = op.get_bind()
    update = (
        records.update()
        .where(records.c.id == sa.bindparam("row"))
        .values(starts_at=sa.bindparam("start"), ends_at=sa.bindparam("end"))
    )
    last = None
    while True:
        query = (
            sa.select(records.c.id, records.c.at, records.c.payload)
            .where(records.c.kind.in_(("outage", "maintenance")))
            .order_by(records.c.id)
            .limit(_BATCH)
        )
        if last is not None:
            query = query.where(records.c.id > last)
        rows = connection.execute(query).all()
        if not rows:
            return
        connection.execute(
            update,
            [
                # a span's record is filed under its start (``at``), as ingest files it
                {"row": row_id, "start": at, "end": _instant(payload.get("end"))}
                for row_id, at, payload in rows
            ],
        )
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_ticket_events_at", table_name="ticket_events")
    op.drop_index("ix_records_spans", table_name="records")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("ends_at")
        batch.drop_column("starts_at")
