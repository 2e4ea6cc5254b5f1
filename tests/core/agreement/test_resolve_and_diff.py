"""Multi-level agreements resolve parent first; diff reports what changed between versions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from accord.core.agreement import Agreement, AgreementError, diff_agreements, resolve
from tests.core.agreement.conftest import BASE


def agreement(data: dict[str, Any]) -> Agreement:
    return Agreement.model_validate(data)


CHILD = {
    "id": "saas-acme",
    "version": "1",
    "parent": "saas",
    "overview": {"title": "ACME's SaaS SLA"},
    "objectives": [
        {"id": "avail", "target": "99.95%", "metric": "availability"},
        {"id": "resolution", "metric": "resolution", "within": "8h", "target": "90%"},
    ],
    "remove": {"objectives": ["p1-response"]},
    # a higher target needs its credit bands moved up too, or 99.9-99.95% would earn nothing
    "remedies": {
        "credits": [
            {
                "objective": "avail",
                "bands": [
                    {"below": "99.95%", "at_least": "99%", "credit": "10%"},
                    {"below": "99%", "credit": "25%"},
                ],
            }
        ]
    },
}


def test_child_overrides_adds_and_removes_objectives() -> None:
    pool = {"saas": agreement(BASE), "saas-acme": agreement(CHILD)}
    resolved = resolve("saas-acme", pool)
    assert [o.id for o in resolved.objectives] == ["avail", "resolution"]
    avail = resolved.objective("avail")
    assert str(avail.target) == "99.95"
    # what the child did not restate is inherited
    assert avail.scope == {"service": ("app",)}
    assert resolved.calendars.keys() == {"office"}
    assert resolved.tiers == pool["saas"].tiers
    assert resolved.overview.title == "ACME's SaaS SLA"
    assert resolved.parent == "saas"
    assert resolved.remedies is not None
    assert resolved.remedies.cap == 50  # inherited beside the restated credits


def test_raising_a_target_without_moving_the_bands_is_a_gap() -> None:
    child = copy.deepcopy(CHILD)
    del child["remedies"]
    pool = {"saas": agreement(BASE), "saas-acme": agreement(child)}
    with pytest.raises(AgreementError, match=r"gap: attainment from 99\.9% to the 99\.95% target"):
        resolve("saas-acme", pool)


def test_a_child_restates_only_what_it_changes() -> None:
    from accord.core.agreement import check_agreement, resolve_document

    child = {
        "id": "c",
        "version": "1",
        "parent": "saas",
        "objectives": [{"id": "p1-response", "within": "30m"}],
    }
    merged = resolve_document("c", {"saas": BASE, "c": child})
    agreement_, problems = check_agreement(merged)
    assert problems == []
    assert agreement_ is not None
    p1 = agreement_.objective("p1-response")
    assert (str(p1.within), p1.metric, p1.calendar) == ("30m", "first_response", "office")
    assert agreement_.overview.title == "SaaS SLA"


def test_three_levels_resolve_in_order() -> None:
    grandchild = {
        "id": "saas-acme-eu",
        "version": "1",
        "parent": "saas-acme",
        "overview": {"title": "EU"},
        "calendars": {"office": {"timezone": "Europe/Berlin", "hours": {"mon-fri": "08:00-17:00"}}},
    }
    pool = {
        "saas": agreement(BASE),
        "saas-acme": agreement(CHILD),
        "saas-acme-eu": agreement(grandchild),
    }
    resolved = resolve("saas-acme-eu", pool)
    assert resolved.calendars["office"]["timezone"] == "Europe/Berlin"
    assert str(resolved.objective("avail").target) == "99.95"


def test_dangling_parent_and_cycles_are_errors() -> None:
    with pytest.raises(AgreementError, match="unknown parent agreement 'saas'"):
        resolve("saas-acme", {"saas-acme": agreement(CHILD)})
    looped = copy.deepcopy(BASE)
    looped["parent"] = "saas-acme"
    pool = {"saas": agreement(looped), "saas-acme": agreement(CHILD)}
    with pytest.raises(
        AgreementError, match="parents form a cycle: saas-acme -> saas -> saas-acme"
    ):
        resolve("saas-acme", pool)


def test_diff_with_itself_is_empty() -> None:
    assert diff_agreements(agreement(BASE), agreement(BASE)) == []


def test_diff_reports_measures_added_removed_and_changed() -> None:
    new = copy.deepcopy(BASE)
    new["version"] = "2.0"
    new["objectives"][0]["target"] = "99.95%"
    del new["objectives"][1]
    new["objectives"].append({"id": "fcr", "metric": "first_contact_resolution", "target": "70%"})
    new["remedies"]["cap"] = "30%"
    new["calendars"]["office"]["hours"] = {"mon-fri": "08:00-18:00"}
    entries = [str(e) for e in diff_agreements(agreement(BASE), agreement(new))]
    assert entries == [
        "objectives 'fcr': added",
        "objectives 'p1-response': removed",
        "objectives 'avail': target changed from 99.9% to 99.95%",
        "calendars 'office': hours.mon-fri changed from 09:00-18:00 to 08:00-18:00",
        "remedies: cap changed from 50% to 30%",
    ]
