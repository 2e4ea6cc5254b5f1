"""The OpenSLO version Accord reads and writes, and where its specification was read: apart
from the models (:mod:`accord.io.openslo`) so that the command's help names it without
building them."""

from __future__ import annotations

SPEC = "openslo/v1"
SPEC_SOURCE = "OpenSLO specification v1 (github.com/OpenSLO/OpenSLO README, commit aa5cb78)"
