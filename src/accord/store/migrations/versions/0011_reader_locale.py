"""the reader's locale: a person's choice, and an organisation's default for its portal

Revision ID: 0011_reader_locale
Revises: 0010_people_accounts
Create Date: 2026-12-07 11:40:00

The portal writes its numbers, percentages and money in the reader's locale: the one the
person chose (``people.locale``), else the one their browser asks for among those the portal
offers, else their organisation's default (``organisations.locale``), else English. Both
columns are empty at first: nothing changes until someone chooses.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_reader_locale"
down_revision: str | None = "0010_people_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as table:
        table.add_column(sa.Column("locale", sa.String(length=35), nullable=True))
    with op.batch_alter_table("organisations") as table:
        table.add_column(sa.Column("locale", sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as table:
        table.drop_column("locale")
    with op.batch_alter_table("people") as table:
        table.drop_column("locale")
