"""Webhooks cannot be turned against the network the workers run in, and their secrets are
kept encrypted at rest: refused addresses at registration and at every delivery (after
resolving the name, to the very address checked), allowed on-premises hosts, sealed secrets,
key rotation and the migration that sealed the secrets stored in clear text."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from accord.api import create_app
from accord.cli import app
from accord.service import tenants, webhooks
from accord.service.notify import send_webhook, verify
from accord.settings import Settings
from accord.store import Database, connect
from accord.store.schema import Delivery, Webhook
from accord.store.sealing import SecretBox, SecretKeyError, new_key, secret_box
from accord.worker import Worker
from tests.service.conftest import POSTGRES, Tenant
from tests.service.receiver import Receiver
from tests.service.test_api import ticket, upload
from tests.service.test_worker import drain, receiver  # noqa: F401 - a fixture

PUBLIC = ipaddress.ip_address("93.184.215.14")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "a loopback address"),
        ("http://127.1:8080/hook", "a loopback address"),
        ("http://2130706433/hook", "a loopback address"),  # 127.0.0.1 written as a number
        ("http://localhost:8000/v1/keys", "a loopback address"),
        ("http://[::1]/hook", "a loopback address"),
        ("http://[::ffff:127.0.0.1]/hook", "a loopback address (inside ::ffff:7f00:1)"),
        ("http://0.0.0.0/hook", "an unspecified address"),
        ("http://10.0.0.5/hook", "a private address"),
        ("http://172.16.3.4/hook", "a private address"),
        ("https://192.168.1.1/hook", "a private address"),
        ("http://[fc00::1]/hook", "a private address"),
        ("http://[fe80::1]/hook", "a link-local address"),
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "a cloud metadata address"),
        ("http://100.100.100.200/latest/meta-data/", "a cloud metadata address"),
        ("http://224.0.0.1/hook", "a multicast address"),
        ("http://100.64.0.1/hook", "not a public address"),
        ("http://[64:ff9b::a00:1]/hook", "a private address (inside 64:ff9b::a00:1)"),
    ],
)
def test_a_webhook_to_an_internal_address_is_refused_at_registration(
    client: TestClient, acme: Tenant, url: str, reason: str
) -> None:
    response = client.post("/v1/webhooks", json={"url": url}, headers=acme.headers)
    assert response.status_code == 422
    error = response.json()
    assert error["field"] == "url"
    assert f"is {reason}: webhooks reach public addresses only" in error["detail"]
    assert "ACCORD_WEBHOOK_ALLOW_HOSTS" in error["detail"]
    assert client.get("/v1/webhooks", headers=acme.headers).json() == []


def test_hosts_and_networks_allowed_for_receivers_on_premises_may_be_registered(
    settings: Settings, database: Database, acme: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: [ipaddress.ip_address("10.9.8.7")])
    allowed = settings.model_copy(
        update={"webhook_allow_hosts": "127.0.0.1, 10.20.0.0/16, hooks.corp.test"}
    )
    with TestClient(create_app(allowed, database)) as client:
        for url, status in (
            ("http://127.0.0.1:9000/hook", 201),
            ("http://10.20.3.4/hook", 201),
            ("https://hooks.corp.test/sla", 201),  # by name, whatever it resolves to
            ("http://10.21.0.1/hook", 422),
            ("https://other.corp.test/sla", 422),  # resolves to 10.9.8.7, not allowed
            ("http://127.0.0.2/hook", 422),
        ):
            answer = client.post("/v1/webhooks", json={"url": url}, headers=acme.headers)
            assert answer.status_code == status, (url, answer.text)


def test_a_name_resolving_to_any_internal_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mixed = [PUBLIC, ipaddress.ip_address("10.0.0.1")]
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: mixed)
    with pytest.raises(webhooks.WebhookAddressError, match=r"resolves to 10\.0\.0\.1, which"):
        webhooks.AddressPolicy().addresses("https://hooks.example.test/x")


def test_an_unknown_allow_entry_is_a_settings_error() -> None:
    with pytest.raises(ValueError, match="neither a host name"):
        Settings(webhook_allow_hosts="10.0.0.0/8, not a host!")


def _due_delivery(client: TestClient, acme: Tenant, url: str) -> str:
    """A webhook at ``url`` and a ticket whose 50% escalation is due: returns the secret."""
    made = client.post("/v1/webhooks", json={"url": url}, headers=acme.headers)
    assert made.status_code == 201, made.text
    upload(client, acme)
    client.post(
        "/v1/events",
        json=ticket("D1", datetime.now(UTC) - timedelta(hours=3)),
        headers=acme.headers,
    )
    return str(made.json()["secret"])


def test_a_name_that_resolves_inside_at_delivery_is_refused_then_not_followed(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: public when registered, the receiver on this machine when delivered."""
    port = receiver.server.server_address[1]
    answers = iter([[PUBLIC], [ipaddress.ip_address("127.0.0.1")]])
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: next(answers))
    _due_delivery(client, acme, f"http://hooks.rebind.test:{port}/hook")
    Worker(database, settings).run_once()
    assert receiver.received == []
    with database.session() as session:
        (delivery,) = session.scalars(select(Delivery)).all()
    assert delivery.status == "pending"  # tried again later, checked again then
    assert delivery.last_error == (
        f"POST http://hooks.rebind.test:{port}/hook: hooks.rebind.test resolves to 127.0.0.1, "
        "which is a loopback address: webhooks reach public addresses only, unless "
        "ACCORD_WEBHOOK_ALLOW_HOSTS names the host or its network (for a receiver on premises)"
    )


def test_a_delivery_goes_to_the_address_checked_with_the_name_in_the_host_header(
    settings: Settings,
    database: Database,
    acme: Tenant,
    receiver: Receiver,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The name is resolved once, by the check, and the request goes to that address: the
    name does not resolve at all on this machine outside the test's resolver."""
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")])
    onprem = settings.model_copy(update={"webhook_allow_hosts": "hooks.onprem.test"})
    port = receiver.server.server_address[1]
    with TestClient(create_app(onprem, database)) as client:
        secret = _due_delivery(client, acme, f"http://hooks.onprem.test:{port}/hook")
    drain(Worker(database, onprem))
    (received,) = receiver.received
    assert received.host == f"hooks.onprem.test:{port}"
    assert verify(secret, received.signature, received.body)


def test_webhook_secrets_are_stored_sealed_and_open_only_with_the_keys(
    client: TestClient, acme: Tenant, database: Database, settings: Settings
) -> None:
    secret = "a-secret-the-receiver-knows-1234"
    made = client.post(
        "/v1/webhooks",
        json={"url": "https://hooks.acme.example/sla", "secret": secret},
        headers=acme.headers,
    )
    assert made.status_code == 201
    with database.session() as session:
        (stored,) = session.execute(text("SELECT * FROM webhooks")).mappings().all()
    assert secret not in " ".join(str(value) for value in stored.values())
    assert webhooks.box_of(settings).open(stored["sealed_secret"]) == secret
    stranger = secret_box(new_key(), Path("unused"))
    with pytest.raises(SecretKeyError, match="sealed with a key that is not among them"):
        stranger.open(stored["sealed_secret"])


def test_a_delivery_whose_secret_the_keys_cannot_open_fails_saying_so(
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,  # noqa: F811 - the fixture
) -> None:
    local = settings.model_copy(update={"webhook_allow_hosts": "127.0.0.1"})
    with TestClient(create_app(local, database)) as registering:  # under the tests' keys
        _due_delivery(registering, acme, receiver.url)
    other_keys = local.model_copy(update={"secret_keys": new_key()})
    Worker(database, other_keys).run_once()
    assert receiver.received == []
    with database.session() as session:
        (delivery,) = session.scalars(select(Delivery)).all()
    assert "cannot be opened with the keys of ACCORD_SECRET_KEYS" in (delivery.last_error or "")


def test_keys_rotate_the_first_seals_any_opens_and_reseal_moves_to_the_first() -> None:
    old, new = new_key(), new_key()
    sealed_before = SecretBox([old], "before").seal("s3cret")
    rotated = secret_box(f"{new}, {old}", Path("unused"))
    assert rotated.open(sealed_before) == "s3cret"
    assert SecretBox([new], "new only").open(rotated.seal("fresh")) == "fresh"
    assert SecretBox([new], "new only").open(rotated.reseal(sealed_before)) == "s3cret"
    with pytest.raises(SecretKeyError, match="key 2 of ACCORD_SECRET_KEYS is not a Fernet key"):
        secret_box(f"{new}, not-a-key", Path("unused")).seal("x")


def test_without_keys_a_key_file_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "accord-secret.key"
    sealed = secret_box(None, path).seal("s3cret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    made = path.read_text()
    assert secret_box("", path).open(sealed) == "s3cret"  # read, not made again
    assert path.read_text() == made
    assert [p.name for p in tmp_path.iterdir()] == ["accord-secret.key"]


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of its own at the revision before secrets were sealed."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        name = f"accord_old_{os.getpid()}"
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    database = connect(url, upgrade=False)
    database.upgrade(revision="0002")
    yield database
    database.dispose()
    if request.param == "postgresql":
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migration_seals_the_secrets_stored_in_clear_text(old_database: Database) -> None:
    with old_database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisations (slug, name, created_at) "
                "VALUES ('acme', 'Acme', '2026-01-01 00:00:00')"
            )
        )
        for number in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO webhooks (organisation_id, url, secret, created_at) "
                    "VALUES (1, 'https://hooks.acme.example/sla', :secret, '2026-01-01 00:00:00')"
                ),
                {"secret": f"clear-text-secret-number-{number}"},
            )
    with pytest.raises(SecretKeyError, match="not a Fernet key"):
        old_database.upgrade(secret_box("not-a-key", Path("unused")))
    assert "secret" in {c["name"] for c in inspect(old_database.engine).get_columns("webhooks")}
    box = secret_box(new_key(), Path("unused"))
    old_database.upgrade(box)
    columns = {c["name"] for c in inspect(old_database.engine).get_columns("webhooks")}
    assert "secret" not in columns
    with old_database.session() as session:
        hooks = session.scalars(select(Webhook).order_by(Webhook.id)).all()
        assert [box.open(h.sealed_secret) for h in hooks] == [
            "clear-text-secret-number-1",
            "clear-text-secret-number-2",
        ]
        assert all("clear-text" not in h.sealed_secret for h in hooks)


def test_a_key_is_rotated_by_putting_a_new_one_first_and_resealing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'rotate.db'}"
    old = new_key()
    database = connect(url)
    tenant = Tenant(database, "acme")
    before = Settings(database_url=url, secret_keys=old)
    with database.session() as session:
        principal = tenants.authenticate(session, tenant.key)
        webhooks.register(session, principal, "https://hooks.acme.example/sla", "s" * 32, before)
    code, printed = _cli("secrets", "new-key")
    new = printed.strip()
    assert code == 0
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    monkeypatch.setenv("ACCORD_SECRET_KEYS", f"{new},{old}")
    code, printed = _cli("secrets", "reseal")
    assert (code, printed.strip()) == (
        0,
        "1 webhook secret(s) sealed with the first key of ACCORD_SECRET_KEYS",
    )
    with database.session() as session:
        (hook,) = session.scalars(select(Webhook)).all()
    assert SecretBox([new], "the new key alone").open(hook.sealed_secret) == "s" * 32
    database.dispose()


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_a_webhook_whose_secret_cannot_be_sealed_is_503_saying_what_to_set(
    settings: Settings, database: Database, acme: Tenant, tmp_path: Path
) -> None:
    unkeyed = settings.model_copy(
        update={"secret_keys": None, "secret_key_file": tmp_path / "no such folder" / "key"}
    )
    with TestClient(create_app(unkeyed, database)) as client:
        answer = client.post(
            "/v1/webhooks", json={"url": "https://hooks.acme.example/sla"}, headers=acme.headers
        )
    assert answer.status_code == 503
    assert "cannot make the key file" in answer.json()["detail"]
    assert "set ACCORD_SECRET_KEYS" in answer.json()["detail"]
    with database.session() as session:
        assert session.scalars(select(Webhook)).all() == []


def test_a_malformed_key_in_the_settings_is_refused_without_showing_the_keys() -> None:
    good = new_key()
    with pytest.raises(ValueError, match="key 2 is not a Fernet key") as caught:
        Settings(secret_keys=f"{good},oops")
    assert good not in str(caught.value)


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` (trusted by nobody)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_an_https_delivery_presents_the_name_in_tls_to_the_address_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TLS handshake goes to the checked address but names the host (SNI), and the
    certificate is judged against the name: here it is trusted by nobody, so the delivery
    fails, after the server was told the name."""
    cert, key = _certificate(tmp_path, "hooks.onprem.test")
    told: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _socket, name, _context: told.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        with contextlib.suppress(ssl.SSLError, OSError):
            context.wrap_socket(connection, server_side=True).close()
        connection.close()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")])
    settings = Settings(webhook_allow_hosts="hooks.onprem.test", secret_keys=new_key())
    hook = Webhook(
        id=1,
        organisation_id=1,
        url=f"https://hooks.onprem.test:{port}/hook",
        sealed_secret=webhooks.box_of(settings).seal("s" * 32),
    )
    outcome = send_webhook(hook, Delivery(id=7, payload={"type": "review"}), settings)
    server.join(10)
    listener.close()
    assert told == ["hooks.onprem.test"]
    assert not outcome.ok
    assert "CERTIFICATE_VERIFY_FAILED" in (outcome.error or "")
