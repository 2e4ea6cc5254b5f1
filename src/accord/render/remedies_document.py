"""The at-risk pool, bonus and service-time credits in the report's JSON document
(:func:`accord.render.report.report_json`; their models are at the end of
:mod:`accord.render.report_document`): money as text to the cent, service time in seconds,
the reasons as the engine wrote them (the same shape as the credits' reasons)."""

from __future__ import annotations

from typing import Any

from accord.core.report import Report


def remedies_json(report: Report) -> dict[str, Any]:
    """The report's ``at_risk``, ``bonus`` and ``service_time`` keys."""
    pool, bonus = report.pool, report.bonus
    return {
        "at_risk": None
        if pool is None
        else {
            "currency": pool.currency,
            "owed": str(pool.owed),
            "earned_back": str(pool.earned_back),
            "net": str(pool.net),
            "outstanding": str(pool.outstanding),
            "pending": str(pool.pending),
            "earn_back_after": None if pool.earn_back is None else pool.earn_back.after,
            "earn_back_margin": None
            if pool.earn_back is None or pool.earn_back.margin is None
            else str(pool.earn_back.margin),
            "periods": [
                {
                    "period": p.label,
                    "fee": str(p.fee),
                    "at_risk": str(p.at_risk),
                    "uncapped": str(p.uncapped),
                    "owed": str(p.owed),
                    "capped": p.capped,
                    "misses": [
                        {
                            "objective": m.objective,
                            "period": m.period,
                            "allocation": str(m.allocation),
                            "share": str(m.share),
                            "credit": str(m.credit),
                        }
                        for m in p.misses
                    ],
                }
                for p in pool.periods
            ],
            "earn_back": [
                {
                    "objective": f.objective,
                    "period": f.period,
                    "credit": f.credit,
                    "status": f.status,
                    "settled_in": f.settled_in,
                    "met": list(f.met),
                }
                for f in pool.fates
            ],
            "reasons": list(pool.reasons),
        },
        "bonus": None
        if bonus is None
        else {
            "currency": bonus.currency,
            "amount": str(bonus.amount),
            "net": bonus.net,
            "credits": None if bonus.credits is None else str(bonus.credits),
            "balance": None if bonus.balance is None else str(bonus.balance),
            "reasons": list(bonus.reasons),
        },
        "service_time": [
            {
                "objective": t.objective,
                "downtime_seconds": t.downtime.total_seconds(),
                "add_seconds": t.add.total_seconds(),
                "per": t.per,
                "added_seconds": t.added.total_seconds(),
                "reason": t.reason,
            }
            for t in report.service_time
        ],
    }
