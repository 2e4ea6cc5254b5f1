"""Shared test set-up: the peer adapters of benchmarks/peers.py are importable as `peers`, and
the fixture counting the YAML reader's work serves the tests of every YAML entry point.

The module is loaded by path, not by putting benchmarks/ on sys.path, where
benchmarks/calendar.py would shadow the standard library's `calendar`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tests.io.yaml_bombs import yaml_work  # noqa: F401 - a fixture for every test

PEERS = Path(__file__).resolve().parents[1] / "benchmarks" / "peers.py"
if "peers" not in sys.modules:
    spec = importlib.util.spec_from_file_location("peers", PEERS)
    if spec is None or spec.loader is None:
        raise ImportError(PEERS)
    module = importlib.util.module_from_spec(spec)
    sys.modules["peers"] = module
    spec.loader.exec_module(module)
