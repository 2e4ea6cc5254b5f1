"""webhooks: secrets kept sealed (encrypted) instead of in clear text

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 10:00:00

Existing secrets are sealed with the keys of the running configuration (ACCORD_SECRET_KEYS, or
the key file), which ``Database.upgrade`` hands over; without webhooks no key is needed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from accord.store.sealing import SecretBox, secret_box

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _box() -> SecretBox:
    found = context.config.attributes.get("secret_box")
    if isinstance(found, SecretBox):
        return found
    from accord.settings import Settings  # `alembic` run by hand: the environment's keys

    settings = Settings()
    return secret_box(settings.secret_keys, settings.secret_key_file)


def upgrade() -> None:
    connection = op.get_bind()
    hooks = connection.execute(sa.text("SELECT id, secret FROM webhooks ORDER BY id")).all()
    # sealed before any change: keys that cannot seal leave the schema as it was (SQLite does
    # not undo a column added before a failure)
    sealed = [(hook_id, _box().seal(secret)) for hook_id, secret in hooks]
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("sealed_secret", sa.Text(), nullable=True))
    for hook_id, token in sealed:
        connection.execute(
            sa.text("UPDATE webhooks SET sealed_secret = :sealed WHERE id = :id"),
            {"sealed": token, "id": hook_id},
        )
    with op.batch_alter_table("webhooks") as batch:
        batch.alter_column("sealed_secret", existing_type=sa.Text(), nullable=False)
        batch.drop_column("secret")


def downgrade() -> None:
    connection = op.get_bind()
    hooks = connection.execute(sa.text("SELECT id, sealed_secret FROM webhooks")).all()
    opened = [(hook_id, _box().open(token)) for hook_id, token in hooks]
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("secret", sa.String(200), nullable=True))
    for hook_id, secret in opened:
        connection.execute(
            sa.text("UPDATE webhooks SET secret = :secret WHERE id = :id"),
            {"secret": secret, "id": hook_id},
        )
    with op.batch_alter_table("webhooks") as batch:
        batch.alter_column("secret", existing_type=sa.String(200), nullable=False)
        batch.drop_column("sealed_secret")
