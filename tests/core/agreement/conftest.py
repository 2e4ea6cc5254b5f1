from __future__ import annotations

import copy
from typing import Any

import pytest

BASE: dict[str, Any] = {
    "id": "saas",
    "version": "1.0",
    "overview": {"title": "SaaS SLA"},
    "parties": {
        "customer": {"id": "acme", "name": "ACME"},
        "provider": {"id": "cloud", "name": "Cloud Inc."},
    },
    "services": [{"id": "app", "name": "App"}],
    "tiers": [{"id": "gold", "name": "Gold", "fee": {"amount": "1000", "currency": "EUR"}}],
    "calendars": {"office": {"timezone": "Europe/Paris", "hours": {"mon-fri": "09:00-18:00"}}},
    "objectives": [
        {"id": "avail", "metric": "availability", "target": "99.9%", "scope": {"service": ["app"]}},
        {
            "id": "p1-response",
            "metric": "first_response",
            "within": "1h",
            "target": "95%",
            "calendar": "office",
            "scope": {"priority": ["P1"]},
        },
    ],
    "remedies": {
        "credits": [
            {
                "objective": "avail",
                "bands": [
                    {"below": "99.9%", "at_least": "99%", "credit": "10%"},
                    {"below": "99%", "credit": "25%"},
                ],
            }
        ],
        "cap": "50%",
    },
}


@pytest.fixture
def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)
