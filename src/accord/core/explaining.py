"""How many breaches a report explains by default: apart from the judging (:mod:`accord.core
.judging`), so that the command line can show the default without loading it."""

from __future__ import annotations

EXPLAINED = 10
"""Ticket breaches of an objective a report explains by default (:func:`~accord.core.judging
.explained`): the costliest, as many as a report for people lists. Each is one ticket replayed
(about half a millisecond); a month of 100,000 tickets breaches some 20,000 times."""
