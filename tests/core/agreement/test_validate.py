"""Validation: every problem, at its field, saying what was found and what was expected."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.agreement import check_agreement
from tests.core.agreement.conftest import BASE


def problems(data: Any) -> list[str]:
    _, found = check_agreement(data)
    return [str(p) for p in found]


def test_the_base_agreement_is_valid(base: dict[str, Any]) -> None:
    agreement, found = check_agreement(base)
    assert found == []
    assert agreement is not None
    assert agreement.objective("avail").target == Decimal("99.9")


def test_unknown_key_suggests_the_right_one(base: dict[str, Any]) -> None:
    base["objectives"][0]["tagret"] = "99%"
    assert problems(base) == [
        "objectives[0].tagret: unknown key 'tagret' (did you mean 'target'?); expected one of "
        "id, name, description, metric, scope, within, target, statistic, source, field, where, "
        "due, period, calendar, tiers, clock, count_in, providers, method, slice, slice_threshold, "
        "bad_run, prometheus"
    ]


def test_unknown_metric_suggests_the_right_one(base: dict[str, Any]) -> None:
    base["objectives"][0]["metric"] = "availabilty"
    [message] = problems(base)
    assert message.startswith(
        "objectives[0].metric: unknown value 'availabilty' (did you mean 'availability'?)"
    )


def test_units_are_checked(base: dict[str, Any]) -> None:
    base["objectives"][0]["target"] = 99.9
    base["objectives"][1]["within"] = 4
    assert problems(base) == [
        "objectives[0].target: expected a target such as '99.9%' or '>= 200', got 99.9; "
        "write '99.9%'",
        "objectives[1].within: expected a duration such as '30m', '1h', '4h30m' or "
        "'3 business days', got 4; a bare number has no unit",
    ]


def test_every_problem_is_reported_at_once(base: dict[str, Any]) -> None:
    base["objectives"][0]["metric"] = "uptime"
    base["objectives"][1]["within"] = "soon"
    base["overview"] = {}
    assert [p.split(":")[0] for p in problems(base)] == [
        "overview.title",
        "objectives[0].metric",
        "objectives[1].within",
    ]


def test_references_must_exist(base: dict[str, Any]) -> None:
    base["objectives"][1]["calendar"] = "ofice"
    base["objectives"][0]["scope"]["service"] = ["ap"]
    base["objectives"][0]["tiers"] = {"silver": {"target": "99%"}}
    base["remedies"]["credits"][0]["objective"] = "availability"
    assert problems(base) == [
        "objectives[0].scope.service[0]: unknown service 'ap' (did you mean 'app'?); defined: app",
        "objectives[0].tiers.silver: unknown tier 'silver'; defined: gold",
        "objectives[1].calendar: unknown calendar 'ofice' (did you mean 'office'?); "
        "defined: 24x7, office",
        "remedies.credits[0].objective: unknown objective 'availability'; "
        "defined: avail, p1-response",
    ]


def test_credit_bands_must_not_overlap_or_leave_gaps(base: dict[str, Any]) -> None:
    bands = base["remedies"]["credits"][0]["bands"]
    bands[1]["below"] = "99.5%"
    assert problems(base) == [
        "remedies.credits[0].bands[1]: band below 99.5% overlaps band 0 (from 99% below 99.9%)"
    ]
    bands[1]["below"] = "98%"
    assert problems(base) == [
        "remedies.credits[0].bands[1]: gap: attainment from 98% to 99% earns no credit "
        "(band 0 starts at 99%)"
    ]


def test_a_met_target_must_not_earn_a_credit(base: dict[str, Any]) -> None:
    base["remedies"]["credits"][0]["bands"][0]["below"] = "99.95%"
    assert problems(base) == [
        "remedies.credits[0].bands[0].below: credits from 99.95% down, but the target is "
        "99.9%: a met target would earn a credit"
    ]


def test_targets_no_one_can_meet(base: dict[str, Any]) -> None:
    base["objectives"][1]["within"] = "0m"
    base["objectives"].append(
        {"id": "report", "metric": "deliverable", "due": "30th business day", "target": "100%"}
    )
    assert problems(base) == [
        "objectives[1].within: must be longer than zero: no ticket can meet that",
    ]
    base["objectives"][1]["within"] = "1h"
    assert problems(base) == [
        "objectives[2].due: the 30th business day cannot be met every month: a month has about "
        "20 business days"
    ]


def test_calendar_mistakes_point_inside_the_calendar(base: dict[str, Any]) -> None:
    base["calendars"]["office"]["hours"] = {"mon-fry": "09:00-18:00"}
    [message] = problems(base)
    assert message.startswith("calendars.office.hours.mon-fry: unknown day 'fry'")


def test_calendars_made_of_others_name_calendars_that_exist(base: dict[str, Any]) -> None:
    base["calendars"]["off-hours"] = {"except": "ofice"}
    base["calendars"]["cover"] = {"union": ["off-hours", {"except": ["office", "weekend"]}]}
    assert problems(base) == [
        "calendars.off-hours.except: unknown calendar 'ofice' (did you mean 'office'?); "
        "defined: 24x7, cover, off-hours, office",
        "calendars.cover.union[1].except[1]: unknown calendar 'weekend'; "
        "defined: 24x7, cover, off-hours, office",
    ]


def test_a_calendar_cannot_be_made_of_itself(base: dict[str, Any]) -> None:
    base["calendars"]["off-hours"] = {"except": ["office", "cover"]}
    base["calendars"]["cover"] = {"union": ["24x7"], "except": "off-hours"}
    base["calendars"]["loop"] = {"union": [{"except": "loop"}]}
    assert problems(base) == [
        "calendars.off-hours.except[1]: a cycle: off-hours is made of cover, which is made of "
        "off-hours",
        "calendars.cover.except: a cycle: cover is made of off-hours, which is made of cover",
        "calendars.loop.union[0].except: a calendar cannot be made of itself ('loop')",
    ]


def test_a_calendar_made_of_others_has_no_hours_of_its_own(base: dict[str, Any]) -> None:
    base["calendars"]["off-hours"] = {"except": "office", "timezone": "UTC", "hours": "24x7"}
    assert problems(base) == [
        "calendars.off-hours.hours: a calendar made of others (union, except) takes its hours "
        "from them; write these hours as a calendar of their own and name it under union"
    ]


def test_a_calendar_with_a_mistake_is_still_a_name_others_may_use(base: dict[str, Any]) -> None:
    base["calendars"]["office"]["hours"] = {"mon-fry": "09:00-18:00"}
    base["calendars"]["off-hours"] = {"except": "office"}
    [message] = problems(base)
    assert message.startswith("calendars.office.hours.mon-fry: unknown day 'fry'")


def test_effective_dates_outside_the_years_accord_handles_are_problems(
    base: dict[str, Any],
) -> None:
    """An end of 9999-12-31 (a common "forever") used to overflow every report into a 500."""
    base["effective"] = {
        "start": "1969-12-31",
        "end": "9999-12-31",
        "review": {"next": "2200-01-01"},
    }
    assert problems(base) == [
        "effective.start: 1969-12-31 is outside the years Accord handles, 1970 to 2199",
        "effective.end: 9999-12-31 is outside the years Accord handles, 1970 to 2199; leave it "
        "out for an agreement without an end",
        "effective.review.next: 2200-01-01 is outside the years Accord handles, 1970 to 2199",
    ]
    base["effective"] = {"start": "1970-01-01", "end": "2199-12-31"}
    assert problems(base) == []


def test_duplicate_ids(base: dict[str, Any]) -> None:
    base["objectives"][1]["id"] = "avail"
    assert problems(base) == ["objectives[1].id: duplicate id 'avail' (also objectives[0])"]


def test_credits_need_a_fee(base: dict[str, Any]) -> None:
    del base["tiers"][0]["fee"]
    assert problems(base) == [
        "remedies.credits: credits are a share of a fee, but no tier states one "
        "(tiers: [{id, name, fee: {amount, currency}}])"
    ]


def test_ticket_objectives_need_within(base: dict[str, Any]) -> None:
    del base["objectives"][1]["within"]
    assert problems(base) == [
        "objectives[1].within: missing; a first_response objective needs a time limit, e.g. 4h"
    ]


def test_a_document_that_is_not_a_mapping() -> None:
    assert problems(["not", "an", "agreement"]) == ["an agreement must be a mapping, got list"]


# hypothesis: mutate the base agreement at random; validation answers with problems, never a
# traceback
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["99.9%", "4h", ">= 2", "month", "office", "24x7", "2026-01-01", "P1"]),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.extend(_paths(inner, (*prefix, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(_paths(inner, (*prefix, index)))
    return found


PATHS = _paths(BASE)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), _VALUES), min_size=1, max_size=4))
def test_random_mutations_give_problems_never_a_traceback(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    import copy

    data = copy.deepcopy(BASE)
    for path, value in changes:
        target = data
        try:
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    agreement, found = check_agreement(data)
    if agreement is None:
        assert found, "a rejected agreement must say why"
    for problem in found:
        assert str(problem)  # every problem has words


def test_measurement_methods_apply_to_availability_only(base: dict[str, Any]) -> None:
    base["objectives"][1]["method"] = "slices"
    assert problems(base) == [
        "objectives[1].method: measurement methods apply to availability, not to first_response"
    ]


def test_burn_rate_levels_need_an_error_budget_and_two_windows_in_order(
    base: dict[str, Any],
) -> None:
    level = {"at": "burn 14.4x over 1h/5m", "notify": ["oncall@example.com"]}
    base["escalation"] = [{"objectives": ["avail"], "levels": [level]}]
    assert problems(base) == []
    ticket_ids = [o["id"] for o in base["objectives"] if o["id"] != "avail"]
    base["escalation"] = [
        {"objectives": ticket_ids, "levels": [level]},
        {"levels": [level | {"at": "burn 6x over 30m/6h"}]},
    ]
    found = problems(base)
    assert found[0].startswith(
        "escalation[0].levels[0].at: 'burn 14.4x over 1h/5m' watches an error budget, but this "
        "escalation covers no availability objective with a percent target (it covers: "
    )
    assert found[1] == (
        "escalation[1].levels[0].at: 'burn 6x over 30m/6h': the short window must be shorter "
        "than the long one"
    )
    assert len(found) == 2
    base["escalation"] = [{"levels": [level | {"at": "burn fast"}]}]
    assert problems(base) == [
        "escalation[0].levels[0].at: malformed value 'burn fast'; expected '75%' of the target "
        "used, 'breach', 'breach + 2h', or, for availability, 'burn 14.4x over 1h/5m'"
    ]


def _penalty(base: dict[str, Any], **fields: Any) -> dict[str, Any]:
    penalty = {"objective": "avail", "amount": {"amount": "50", "currency": "EUR"}, **fields}
    base["remedies"]["penalties"] = [penalty]
    return base


def test_a_rounding_counts_the_penalty_s_own_unit(base: dict[str, Any]) -> None:
    assert problems(_penalty(base, per="hour", rounding="per started day")) == [
        "remedies.penalties[0].rounding: the penalty is per hour and the rounding counts by the "
        "day; expected per started hour, per full hour or pro rata"
    ]
    assert problems(_penalty(base, per="incident", rounding="per started hour")) == [
        "remedies.penalties[0].rounding: a rounding counts the hours or days of downtime a "
        "penalty charges, and this penalty is per incident; remove rounding, or charge per: hour"
    ]
    assert problems(_penalty(base, rounding="per begun hour")) == [
        "remedies.penalties[0].rounding: unknown value 'per begun hour' (did you mean 'per full "
        "hour'?); expected one of pro rata, per started hour, per full hour, per started day, "
        "per full day"
    ]


def test_a_rounding_makes_the_penalty_s_period_count(base: dict[str, Any]) -> None:
    # "per started hour of downtime in a month": the month is what the hours are rounded over
    assert problems(_penalty(base, rounding="per started hour", period="month")) == []
    assert problems(_penalty(base, period="month"))[0].startswith(
        "remedies.penalties[0].period: period is the span a threshold (beyond:) or a rounding "
        "is counted over, and this penalty has neither"
    )


def test_limits_say_what_they_expected(base: dict[str, Any]) -> None:
    eur = {"amount": "250", "currency": "EUR"}
    assert problems(_penalty(base, limits=[{"per": "year"}])) == [
        "remedies.penalties[0].limits[0].at_most: missing; a limit is a cap (at_most: "
        "{amount, currency}), a floor (at_least: ...) or both"
    ]
    assert problems(
        _penalty(base, limits=[{"per": "year", "at_most": {"amount": "9", "currency": "USD"}}])
    ) == [
        "remedies.penalties[0].limits[0].at_most.currency: the limit is in USD and what it "
        "limits is in EUR; expected the same currency"
    ]
    twice = [{"per": "year", "at_most": eur}, {"per": "year", "at_least": eur}]
    assert problems(_penalty(base, limits=twice)) == [
        "remedies.penalties[0].limits[1].per: a second limit per year (the first is item 0); "
        "expected one limit per period, with at_most and at_least together"
    ]
    floor_above = [{"per": "month", "at_most": {**eur, "amount": "10"}, "at_least": eur}]
    assert problems(_penalty(base, limits=floor_above)) == [
        "remedies.penalties[0].limits[0].at_least: the floor 250 is above the cap 10"
    ]
    assert problems(_penalty(base, limits=[{"per": "decade", "at_most": eur}])) == [
        "remedies.penalties[0].limits[0].per: unknown value 'decade'; expected one of incident, "
        "week, month, quarter, year"
    ]


def test_limits_across_remedies_limit_what_the_agreement_has(base: dict[str, Any]) -> None:
    base["remedies"]["limits"] = [
        {"per": "year", "of": "penalties", "at_most": {"amount": "250", "currency": "EUR"}},
        {"per": "month", "of": "credits", "at_most": {"amount": "9", "currency": "USD"}},
    ]
    assert problems(base) == [
        "remedies.limits[0].of: limits penalties, but the agreement has none",
        "remedies.limits[1].at_most.currency: the limit is in USD and what it limits is in EUR; "
        "expected the same currency",
    ]


def test_incident_rounding_and_limits_need_a_penalty_per_hour(base: dict[str, Any]) -> None:
    eur = {"amount": "100", "currency": "EUR"}
    assert problems(_penalty(base, per="hour", rounding_of="incident")) == [
        "remedies.penalties[0].rounding_of: rounding_of: incident rounds each incident's hours "
        "on its own, and this penalty has no rounding; expected rounding: per started hour or "
        "per full hour on a penalty per hour, or no rounding_of"
    ]
    assert problems(_penalty(base, per="miss", limits=[{"per": "incident", "at_most": eur}])) == [
        "remedies.penalties[0].limits[0].per: a limit per incident bounds what each incident's "
        "hours cost, and this penalty is per miss (a fixed amount each); expected a penalty per "
        "hour or day, or a limit per week, month, quarter or year"
    ]
    _penalty(base, per="hour")
    base["remedies"]["limits"] = [{"per": "incident", "at_most": eur}]
    assert problems(base) == [
        "remedies.limits[0].per: a limit across remedies is per week, month, quarter or year; a "
        "limit per incident goes on a penalty per hour (remedies.penalties[].limits)"
    ]
