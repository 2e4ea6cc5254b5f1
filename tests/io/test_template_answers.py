"""What the templates ask, where a validator's problem belongs among the answers, and a version's
text with new targets written in place (the console's forms)."""

from __future__ import annotations

import pytest

from accord.io.agreements import load_agreement
from accord.io.templates import (
    KINDS,
    LEVELS,
    AnswerError,
    answer_of,
    questions,
    template_text,
    with_targets,
)
from accord.io.yamlfile import load_yaml


def test_a_problem_belongs_to_the_answer_that_wrote_its_field() -> None:
    objectives = ["availability", "support-first-response"]
    credits = ["availability"]
    found = {
        "objectives[1].within": "within:support-first-response",
        "objectives[0].target": "target:availability",
        "remedies.credits[0].bands[0].below": "target:availability",
        "calendars.office.timezone": "timezone",
        "calendars.office.holidays.country": "country",
        "calendars.office.holidays.subdivision": "subdivision",
        "parties.customer.id": "customer",
        "parties.provider.name": "providers",
        "tiers[1].fee.amount": "fee",
        "id": "id",
        "objectives[7].target": None,
        "remedies.credits[3].bands[0].below": None,
        "services[0].name": None,
    }
    assert {where: answer_of(where, objectives, credits) for where in found} == found


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind not in LEVELS])
def test_a_template_asks_for_each_of_its_objectives_and_its_place(kind: str) -> None:
    asked = questions(kind)
    data = load_yaml(template_text(kind))
    assert [o.id for o in asked.objectives] == [o["id"] for o in data["objectives"]]
    assert asked.timezone is not None
    assert asked.providers == (2 if kind == "vendors" else 1)


def test_targets_are_written_in_place_keeping_the_rest_of_the_text() -> None:
    text = template_text("saas")
    proposed = with_targets(
        text, {"availability": "99.95%"}, {"support-first-response": "2h"}, "1.1"
    )
    before, after = text.splitlines(), proposed.splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert [b.strip() for _, b in changed] == [
        'version: "1.1"',
        'target: "99.95%"',
        'within: "2h"',
        '- {below: "99.95%", at_least: "99.0%", credit: "10%"}',
    ]
    filled = proposed.replace("$provider-id$", "p").replace("$customer-id$", "c")
    assert load_yaml(filled)["objectives"][0]["target"] == "99.95%"


def test_a_target_the_text_does_not_write_is_refused_naming_it() -> None:
    with pytest.raises(AnswerError) as refused:
        with_targets(template_text("saas"), {"uptime": "99%"}, {}, "2")
    assert refused.value.answer == "target:uptime"
    assert "no target of an objective 'uptime'" in refused.value.detail
    with pytest.raises(AnswerError):
        with_targets(template_text("saas"), {}, {"availability": "1h"}, "2")  # no within


def test_a_proposal_written_from_a_valid_version_is_valid() -> None:
    text = template_text("isp").replace("$", "x")
    proposed = with_targets(text, {"download-speed": ">= 25 Mbit/s"}, {"fault-repair": "6h"}, "2")
    agreement = load_agreement(proposed)
    assert agreement.version == "2"
    assert agreement.objective("fault-repair").within is not None
