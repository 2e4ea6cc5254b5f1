"""Shared test set-up: the peer adapters of benchmarks/peers.py are importable as `peers`, the
fixture counting the YAML reader's work serves the tests of every YAML entry point, and each
test leaves logging as it found it (`accord serve` configures the root logger).

The module is loaded by path, not by putting benchmarks/ on sys.path, where
benchmarks/calendar.py would shadow the standard library's `calendar`.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.io.yaml_bombs import yaml_work  # noqa: F401 - a fixture for every test

# No test is timed (speed is measured by benchmarks/): Hypothesis's default 200 ms deadline per
# example failed tests on a loaded machine (two test workers and other jobs on two cores).
settings.register_profile("accord", deadline=None)
settings.load_profile("accord")

PEERS = Path(__file__).resolve().parents[1] / "benchmarks" / "peers.py"
if "peers" not in sys.modules:
    spec = importlib.util.spec_from_file_location("peers", PEERS)
    if spec is None or spec.loader is None:
        raise ImportError(PEERS)
    module = importlib.util.module_from_spec(spec)
    sys.modules["peers"] = module
    spec.loader.exec_module(module)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    alembic = logging.getLogger("alembic").level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(alembic)
