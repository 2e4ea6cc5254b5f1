"""What rounding, caps and floors cost a year of reports: the ISP example's per-hour penalty
(50 EUR per started hour beyond 8 h a year), 12 monthly reports and the year's, with 104
incidents of 40 minutes (two a week), in CPU time.

    .venv/bin/python benchmarks/remedy_limits.py

Each month with a yearly cap adds up the months before it (the cap is consumed in order of
periods), so a capped month judges the penalty piece by piece from January.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

from datetime import UTC, datetime, timedelta  # noqa: E402

from accord import load_agreement  # noqa: E402
from accord.core.availability import Outage  # noqa: E402
from accord.core.periods import period_bounds  # noqa: E402
from accord.core.report import Data, evaluate  # noqa: E402

ISP = (HERE.parent / "examples" / "agreements" / "isp.yaml").read_text()
PENALTY = (
    "  penalties:\n    - objective: availability\n      amount: {amount: '50.00', currency: EUR}\n"
    "      per: hour\n      beyond: 8h\n      rounding: per started hour\n"
)
VARIANTS = {
    "rounded on the year's total": PENALTY,
    "and a yearly cap on the penalty": PENALTY
    + "      limits: [{per: year, at_most: {amount: 250, currency: EUR}}]\n",
    "and a yearly cap across remedies": PENALTY
    + "  limits: [{per: year, at_most: {amount: 250, currency: EUR}}]\n",
    "rounded and capped per incident": PENALTY
    + "      rounding_of: incident\n"
    + "      limits: [{per: incident, at_most: {amount: 120, currency: EUR}}]\n",
}


def main() -> None:
    start = datetime(2026, 1, 1, 3, tzinfo=UTC)
    data = Data(
        outages=tuple(
            Outage(
                "access",
                start + timedelta(days=3.5 * i),
                start + timedelta(days=3.5 * i, minutes=40),
                id=f"R{i}",
            )
            for i in range(104)
        )
    )
    cut = ISP.index("  penalties:"), ISP.index("  claim:")
    for name, text in VARIANTS.items():
        agreement = load_agreement(ISP[: cut[0]] + text + ISP[cut[1] :])
        evaluate(agreement, data, *period_bounds("2026", "UTC"))  # warm up
        began = time.process_time()
        for period in [f"2026-{m:02d}" for m in range(1, 13)] + ["2026"]:
            evaluate(agreement, data, *period_bounds(period, "UTC"))
        print(f"{name}: {time.process_time() - began:.2f} s CPU for 12 months and the year")


if __name__ == "__main__":
    main()
