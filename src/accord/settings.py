"""Settings of the service, from ``ACCORD_*`` environment variables (read at the edge only)."""

from __future__ import annotations

import base64
import ipaddress
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.?$")


class Settings(BaseSettings):
    """Every setting of ``accord serve`` and ``accord worker``; see the README's table."""

    # errors name the setting and the problem, never its value (keys, passwords in URLs)
    model_config = SettingsConfigDict(
        env_prefix="ACCORD_", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = Field(
        "sqlite:///accord.db",
        description="SQLAlchemy URL: SQLite file (default) or postgresql+psycopg://...",
    )
    host: str = Field("127.0.0.1", description="Address `accord serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `accord serve` listens on.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="The least severe log lines written."
    )
    log_format: Literal["auto", "json", "text"] = Field(
        "auto", description="auto: JSON lines when stderr is not a terminal, text on one."
    )
    access_log: bool = Field(
        False,
        description="One log line per request: method, path, status, duration, request id.",
    )
    demo: bool = Field(True, description="Load the demo organisation into an empty database.")
    worker: bool = Field(True, description="Run a worker inside `accord serve`.")
    benchmark: bool = Field(
        False,
        description="Serve `POST /noop`, the framework's floor that benchmarks/api.py measures "
        "(it parses events and writes nothing, without a key); off in production.",
    )
    worker_interval: float = Field(1.0, gt=0, description="Seconds between a worker's polls.")
    worker_threads: int = Field(
        2,
        ge=1,
        le=16,
        description="Threads of a worker process recomputing tickets together on PostgreSQL: "
        "one computes while another waits for the database.",
    )
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
    webhook_allow_hosts: str = Field(
        "",
        description="Comma-separated host names and networks that webhooks may reach although "
        "they are not public addresses (on-premises receivers): hooks.corp.example, "
        "10.20.0.0/16, 127.0.0.1. Every other loopback, private, link-local, unique-local, "
        "multicast, unspecified, reserved or cloud metadata address is refused.",
    )
    secret_keys: SecretStr | None = Field(
        None,
        description="Comma-separated Fernet keys that keep webhook secrets encrypted in the "
        "database: the first encrypts, any decrypts (add a new key first to rotate). Unset: "
        "the keys in secret_key_file, which is made with a new key when it does not exist.",
    )
    secret_key_file: Path = Field(
        Path("accord-secret.key"),
        description="Where the keys are kept when secret_keys is unset (one a line; created "
        "with a new key, readable by its owner only, on first use).",
    )
    max_attempts: int = Field(8, ge=1, description="Deliveries tried this often before failing.")
    public_url: str | None = Field(
        None,
        description="The portal's address as people reach it (https://sla.example.com), for "
        "the links in invitation e-mails; unset: the address the inviting request came to.",
    )
    secure_cookies: bool = Field(
        False,
        description="Mark the portal's cookies Secure always (behind a TLS proxy that does not "
        "say so); they are Secure anyway when the request came over https.",
    )
    session_hours: float = Field(
        12.0, gt=0, description="How long a portal session lasts after sign-in, at most."
    )
    session_idle_minutes: float = Field(
        120.0, gt=0, description="A portal session unused this long ends."
    )
    invitation_hours: float = Field(
        72.0, gt=0, description="How long an invitation link can be used."
    )
    password_reset_minutes: float = Field(
        60.0, gt=0, description="How long a password reset link (forgot password) can be used."
    )
    sign_in_limit: int = Field(
        5,
        ge=1,
        description="Failed sign-ins for one e-mail address within sign_in_window_minutes "
        "before more are refused (429) until the window has passed.",
    )
    sign_in_client_limit: int = Field(
        20,
        ge=1,
        description="Failed sign-ins from one client address within the window before more "
        "from it are refused.",
    )
    sign_in_window_minutes: float = Field(
        15.0, gt=0, description="The window the sign-in limits count failures over."
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="The token a Prometheus scrape of /metrics sends as `Authorization: Bearer "
        "<token>` (docs/metrics.md), or several separated by commas (one per Prometheus server, "
        "or an old and a new one while rotating); unset: /metrics is off (404) unless "
        "metrics_public. An organisation's API key scrapes its own SLA figures either way.",
    )
    metrics_public: bool = Field(
        False,
        description="/metrics answers any scrape, without a token (only where the network "
        "keeps it private: it names organisations, customers and their SLA figures).",
    )
    metrics_cache_seconds: float = Field(
        15.0,
        ge=0,
        description="How long a server process keeps the SLA and queue figures of /metrics "
        "before computing them again (about the scrape interval).",
    )
    smtp_host: str | None = Field(None, description="SMTP server for e-mail (none: no e-mail).")
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_sender: str = "accord@localhost"

    @field_validator("webhook_allow_hosts")
    @classmethod
    def _hosts_and_networks(cls, value: str) -> str:
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                if not _HOST_NAME.match(entry):
                    raise ValueError(
                        f"{entry!r} is neither a host name (hooks.corp.example) nor an address "
                        "or network (10.20.0.5, 10.20.0.0/16, fd12::/48)"
                    ) from None
        return value

    @field_validator("secret_keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        keys = [k.strip() for k in value.get_secret_value().split(",")] if value else []
        for number, key in enumerate(k for k in keys if k):
            try:
                raw = base64.urlsafe_b64decode(key.encode())
            except ValueError:
                raw = b""
            if len(raw) != 32:
                raise ValueError(
                    f"key {number + 1} is not a Fernet key (32 random bytes in URL-safe base64, "
                    "44 characters); make one with `accord secrets new-key`"
                )
        return value
