"""Durable storage: SQLAlchemy tables, Alembic migrations, one Database handle per URL."""

from accord.store.database import Database, connect

__all__ = ["Database", "connect"]
