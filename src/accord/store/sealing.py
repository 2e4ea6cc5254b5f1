"""Secrets kept encrypted at rest: webhook secrets are stored sealed (Fernet: AES-128-CBC with
an HMAC-SHA256, from the ``cryptography`` package) and opened only to sign a delivery.

A signing secret cannot be stored as a hash, since signing needs it, so it is encrypted with a
key that is not in the database: a copy of the database (a backup, a replica, a dump) reveals no
secret without the key. Keys form a list: the first seals, any opens, so a key is rotated by
putting a new one first, resealing (``accord secrets reseal``), then dropping the old one.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from accord.core.errors import AccordError

log = logging.getLogger("accord.store")


class SecretKeyError(AccordError):
    """The keys that seal secrets are missing, malformed or not the ones a secret was sealed
    with."""


class SecretBox:
    """Seals and opens secrets with a list of keys, read when first needed."""

    def __init__(self, keys: Sequence[str] | Callable[[], Sequence[str]], source: str) -> None:
        self._keys = keys
        self.source = source  # where the keys come from, for messages
        self._fernet: MultiFernet | None = None
        self._lock = threading.Lock()

    @property
    def fernet(self) -> MultiFernet:
        with self._lock:
            if self._fernet is None:
                keys = self._keys() if callable(self._keys) else self._keys
                if not keys:
                    raise SecretKeyError(f"no key to seal secrets with in {self.source}")
                self._fernet = MultiFernet(
                    [_fernet(key, n, self.source) for n, key in enumerate(keys)]
                )
            return self._fernet

    def seal(self, secret: str) -> str:
        return self.fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self.fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                f"a secret cannot be opened with the keys of {self.source}: it was sealed with "
                "a key that is not among them (a key dropped from ACCORD_SECRET_KEYS, or another "
                "server's key file); put that key back in the list"
            ) from None

    def reseal(self, sealed: str) -> str:
        """The secret sealed again with the first key (for rotation)."""
        try:
            return self.fernet.rotate(sealed.encode()).decode()
        except InvalidToken:
            self.open(sealed)  # raises the error naming the keys
            raise


def _fernet(key: str, number: int, source: str) -> Fernet:
    try:
        return Fernet(key.strip().encode())
    except ValueError:
        raise SecretKeyError(
            f"key {number + 1} of {source} is not a Fernet key (32 random bytes in URL-safe "
            "base64, 44 characters; make one with `accord secrets new-key`)"
        ) from None


def new_key() -> str:
    """A fresh random key."""
    return Fernet.generate_key().decode()


def secret_box(keys: str | SecretStr | None, key_file: Path) -> SecretBox:
    """The box of comma-separated ``keys`` (``ACCORD_SECRET_KEYS``) or, without them, of the keys
    in ``key_file``: a development default, created with a new key on first use, readable by
    its owner only. Production sets the keys (the same on every server)."""
    if isinstance(keys, SecretStr):
        keys = keys.get_secret_value()
    if keys is not None and keys.strip():
        listed = [key.strip() for key in keys.split(",") if key.strip()]
        return SecretBox(listed, "ACCORD_SECRET_KEYS")
    return SecretBox(lambda: _keys_in(key_file), f"the key file {key_file}")


def _keys_in(path: Path) -> list[str]:
    if not path.exists():
        _create_key_file(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise SecretKeyError(f"cannot read the key file {path}: {error.strerror}") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _create_key_file(path: Path) -> None:
    """A key file with a new key, made whole before it appears (``link`` fails if another
    process made one first, whose key then stands)."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(new_key() + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            return
        finally:
            draft.unlink()
    except OSError as error:
        raise SecretKeyError(
            f"cannot make the key file {path} ({error.strerror}): set ACCORD_SECRET_KEYS, or "
            "ACCORD_SECRET_KEY_FILE to a place Accord may write"
        ) from None
    log.warning(
        "made a new key to seal webhook secrets in %s: keep it with the database's backups "
        "(without it the secrets cannot be opened), or set ACCORD_SECRET_KEYS",
        path.resolve(),
    )
