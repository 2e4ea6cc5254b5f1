"""Alembic environment: runs on the connection `Database.upgrade` hands it."""

from alembic import context
from sqlalchemy import create_engine

from accord.store.schema import Base

config = context.config
target_metadata = Base.metadata

connection = config.attributes.get("connection")
if connection is None:  # `alembic` run by hand: -x url=...
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///accord.db")
    with create_engine(url).begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        context.run_migrations()
else:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
