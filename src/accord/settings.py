"""Settings of the service, from ``ACCORD_*`` environment variables (read at the edge only)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of ``accord serve`` and ``accord worker``; see the README's table."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    database_url: str = Field(
        "sqlite:///accord.db",
        description="SQLAlchemy URL: SQLite file (default) or postgresql+psycopg://...",
    )
    host: str = Field("127.0.0.1", description="Address `accord serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `accord serve` listens on.")
    demo: bool = Field(True, description="Load the demo organisation into an empty database.")
    worker: bool = Field(True, description="Run a worker inside `accord serve`.")
    benchmark: bool = Field(
        False,
        description="Serve `POST /noop`, the framework's floor that benchmarks/api.py measures "
        "(it parses events and writes nothing, without a key); off in production.",
    )
    worker_interval: float = Field(1.0, gt=0, description="Seconds between a worker's polls.")
    lease_seconds: float = Field(
        120.0,
        gt=0,
        description="How long a claimed item stays with its worker before another "
        "may take it over (a worker killed mid-send loses its claim after this).",
    )
    refresh_inline_limit: int = Field(
        0,
        ge=0,
        description="Tickets an ingest request recomputes before it answers (clocks, due "
        "items); 0 leaves them all to the workers, which keeps ingest fast. The status "
        "endpoint always computes from the events, so it never lags.",
    )
    auth_cache_seconds: float = Field(
        10.0,
        ge=0,
        description="How long a server process trusts a key it has checked; a "
        "revoked key stops at once on the process that revoked it, on others within this.",
    )
    watch_seconds: float = Field(
        60.0,
        gt=0,
        description="How often workers judge the escalation levels of objectives without a "
        "ticket clock (error budget used, 'burn 14.4x over 1h/5m', share of the period).",
    )
    webhook_timeout: float = Field(10.0, gt=0, description="Seconds a webhook POST may take.")
    max_attempts: int = Field(8, ge=1, description="Deliveries tried this often before failing.")
    smtp_host: str | None = Field(None, description="SMTP server for e-mail (none: no e-mail).")
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_sender: str = "accord@localhost"
