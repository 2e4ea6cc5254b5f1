"""Composed services: all must be up, or a weighted blend of the components' availability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accord import BusinessCalendar
from accord.core.agreement.model import Exclusions, Service
from accord.core.agreement.validate import check_agreement
from accord.core.availability import MaintenanceWindow, Outage
from accord.core.composition import service_availability

ALWAYS = BusinessCalendar.always_open()
APRIL = (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))  # 720 h
H = timedelta(hours=1)
MINUTE_US = Decimal(60 * 10**6)


def services(*specs: dict[str, Any]) -> dict[str, Service]:
    found = [Service.model_validate({"name": s["id"], **s}) for s in specs]
    return {s.id: s for s in found}


SHOP = services(
    {"id": "storefront"},
    {"id": "checkout", "components": ["storefront"]},
    {"id": "shop", "components": ["storefront", "checkout"]},
    {
        "id": "blend",
        "components": ["storefront", "checkout"],
        "composition": "weighted",
        "weights": {"storefront": "0.25", "checkout": "0.75"},
    },
    {"id": "payments"},
    {
        "id": "flat",
        "components": ["storefront", "payments"],
        "composition": "weighted",
        "weights": {"storefront": "0.25", "payments": "0.75"},
    },
)


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, minute, tzinfo=UTC)


def test_all_must_be_up_counts_the_union_of_the_components_outages_once() -> None:
    outages = [
        Outage("storefront", at(3, 10), at(3, 11), id="A"),
        Outage("checkout", at(3, 10, 30), at(3, 12), id="B"),  # overlaps A by 30 minutes
        Outage("shop", at(9, 8), at(9, 8, 10), id="C"),  # against the shop itself
        Outage("payments", at(9, 9), at(9, 10), id="D"),  # not a component
    ]
    shop = service_availability(SHOP, ["shop"], ALWAYS, *APRIL, outages)
    # 10:00-12:00 once (120 min) + 10 min = 130 minutes of 43,200
    assert shop.downtime == 130 * MINUTE_US
    assert shop.percent == Decimal(43200 - 130) / Decimal(43200) * 100
    assert shop.composition == "all"
    assert shop.services == ("checkout", "shop", "storefront")
    assert [d.reason for d in shop.intervals] == [
        "outage A on storefront (provider)",
        "outage B on checkout (provider)",
        "outage C on shop (provider)",
    ]
    # the checkout needs the storefront: its own 90 minutes and A's first 30
    checkout = service_availability(SHOP, ["checkout"], ALWAYS, *APRIL, outages)
    assert checkout.downtime == 120 * MINUTE_US
    storefront = service_availability(SHOP, ["storefront"], ALWAYS, *APRIL, outages)
    assert (storefront.downtime, storefront.composition) == (60 * MINUTE_US, "single")


def test_weighted_is_the_weighted_blend_of_the_components() -> None:
    outages = [
        Outage("storefront", at(3, 10), at(3, 11), id="A"),  # 60 min
        Outage("payments", at(5, 10), at(5, 14), id="D", impact=Decimal("0.5")),  # 120 min
    ]
    flat = service_availability(SHOP, ["flat"], ALWAYS, *APRIL, outages)
    store = Decimal(43200 - 60) / Decimal(43200) * 100
    pay = Decimal(43200 - 120) / Decimal(43200) * 100
    # 0.25 x 60 + 0.75 x 120 = 105 minutes of the same 43,200
    assert flat.downtime == 105 * MINUTE_US
    assert flat.percent == Decimal(43200 - 105) / Decimal(43200) * 100
    assert abs(flat.percent - (Decimal("0.25") * store + Decimal("0.75") * pay)) < Decimal("1e-20")
    assert flat.how.startswith("weighted: 0.25 x storefront 99.8611% + 0.75 x payments")
    assert [(d.weight, d.reason) for d in flat.intervals] == [
        (Decimal("0.25"), "storefront: outage A on storefront (provider)"),
        (Decimal("0.375"), "payments: outage D on payments (provider)"),
    ]
    # an outage of the weighted service itself counts against every component: fully down
    whole = service_availability(
        SHOP, ["flat"], ALWAYS, *APRIL, [Outage("flat", at(7), at(7, 1), id="W")]
    )
    assert whole.downtime == 60 * MINUTE_US


def test_a_components_excluded_maintenance_leaves_out_only_its_share() -> None:
    plan = Exclusions.model_validate({"maintenance": {"counts_as": "excluded"}})
    works = [MaintenanceWindow("payments", at(6), at(6, 4), id="M")]
    flat = service_availability(SHOP, ["flat"], ALWAYS, *APRIL, [], works, plan)
    # 0.75 of 4 hours left out: 720 h - 3 h
    assert flat.window == Decimal(717 * 3600 * 10**6)
    assert flat.excluded == Decimal(3 * 3600 * 10**6)
    assert flat.percent == 100


# ---------------------------------------------------------------- properties

moments = st.datetimes(
    min_value=datetime(2026, 3, 30), max_value=datetime(2026, 5, 2), timezones=st.just(UTC)
)
records = st.lists(
    st.tuples(
        st.sampled_from(["storefront", "checkout", "shop", "payments", "flat", "blend"]),
        moments,
        st.integers(1, 3000),
        st.integers(0, 4),
        st.sampled_from(["provider", "customer", "third_party"]),
    ),
    max_size=10,
)
works = st.lists(
    st.tuples(
        st.sampled_from(["storefront", "checkout", "payments"]), moments, st.integers(1, 600)
    ),
    max_size=4,
)
COUNTED = Exclusions.model_validate({"maintenance": {"counts_as": "down"}})


def _outages(found: list[tuple[str, datetime, int, int, Any]]) -> list[Outage]:
    return [
        Outage(s, a, a + timedelta(minutes=m), impact=Decimal(w) / 4, cause=c)
        for s, a, m, w, c in found
    ]


def _works(found: list[tuple[str, datetime, int]]) -> list[MaintenanceWindow]:
    return [MaintenanceWindow(s, a, a + timedelta(minutes=m)) for s, a, m in found]


@settings(max_examples=80, deadline=None)
@given(records, works)
def test_all_must_be_up_never_exceeds_any_components_availability(
    found: list[tuple[str, datetime, int, int, Any]], planned: list[tuple[str, datetime, int]]
) -> None:
    """With maintenance counted as down (a component's maintenance left out of the window can
    hide another's outage from the composite: the whole service was in maintenance then)."""
    outages, maintenance = _outages(found), _works(planned)

    def percent(name: str) -> Decimal:
        return service_availability(
            SHOP, [name], ALWAYS, *APRIL, outages, maintenance, COUNTED
        ).percent

    shop = percent("shop")
    assert shop <= percent("storefront")
    assert shop <= percent("checkout")
    assert percent("checkout") <= percent("storefront")


@settings(max_examples=80, deadline=None)
@given(records, works, st.sampled_from(["excluded", "down", "up"]))
def test_weights_adding_up_to_one_give_a_value_between_the_components(
    found: list[tuple[str, datetime, int, int, Any]],
    planned: list[tuple[str, datetime, int]],
    counts_as: str,
) -> None:
    outages, maintenance = _outages(found), _works(planned)
    plan = Exclusions.model_validate({"maintenance": {"counts_as": counts_as}})
    for name, parts in (
        ("blend", ("storefront", "checkout")),
        ("flat", ("storefront", "payments")),
    ):
        # the records against the weighted service itself count against each of its parts
        own = [o for o in outages if o.service == name]
        mine = [
            *outages,
            *(Outage(p, o.start, o.end, o.impact, o.cause) for o in own for p in parts),
        ]

        def percent(service: str, records: list[Outage]) -> Decimal:
            return service_availability(
                SHOP, [service], ALWAYS, *APRIL, records, maintenance, plan
            ).percent

        blended = percent(name, outages)
        figures = [percent(p, mine) for p in parts]
        assert min(figures) <= blended <= max(figures)


# ---------------------------------------------------------------- validation


def _agreement(*specs: dict[str, Any], scope: list[str] | None = None) -> list[str]:
    document = {
        "id": "x",
        "version": "1",
        "overview": {"title": "x"},
        "services": [{"name": s["id"], **s} for s in specs],
        "objectives": [
            {
                "id": "availability",
                "metric": "availability",
                "target": "99.9%",
                "scope": {"service": scope or [specs[-1]["id"]]},
            }
        ],
    }
    _, problems = check_agreement(document)
    return [str(p) for p in problems]


def test_composition_problems_are_named() -> None:
    assert _agreement({"id": "a"}, {"id": "b", "components": ["a", "c"]}) == [
        "services[1].components[1]: unknown service 'c'; defined: a, b"
    ]
    assert _agreement({"id": "a", "components": ["b"]}, {"id": "b", "components": ["a"]}) == [
        "services[0].components[0]: a cycle: a needs b, which needs a",
        "services[1].components[0]: a cycle: b needs a, which needs b",
    ]
    assert _agreement(
        {"id": "a"},
        {"id": "b"},
        {"id": "c", "components": ["a", "b"], "composition": "weighted", "weights": {"a": "0.5"}},
    ) == [
        "services[2].weights: missing a weight for 'b'; weighted composition weighs every component"
    ]
    assert _agreement(
        {"id": "a"},
        {"id": "b"},
        {
            "id": "c",
            "components": ["a", "b"],
            "composition": "weighted",
            "weights": {"a": "0.5", "b": "0.4"},
        },
    ) == ["services[2].weights: the weights add up to 0.9; they must add up to 1"]
    assert _agreement({"id": "a"}, {"id": "b", "components": ["a"], "weights": {"a": "1"}}) == [
        "services[1].weights: weights apply to composition: weighted"
    ]
    assert _agreement(
        {"id": "a"},
        {"id": "w", "components": ["a"], "composition": "weighted", "weights": {"a": "1"}},
        {"id": "s", "components": ["w"]},
    ) == [
        "services[2].components[0]: 'w' is weighted; a weighted service can only be measured "
        "on its own, not as a component that must be up"
    ]


def test_an_unchecked_cycle_ends_instead_of_recursing_forever() -> None:
    loop = services(
        {"id": "a", "components": ["b"], "composition": "weighted", "weights": {"b": "1"}},
        {"id": "b", "components": ["a"], "composition": "weighted", "weights": {"a": "1"}},
    )
    found = service_availability(loop, ["a"], ALWAYS, *APRIL, [Outage("b", at(2), at(2, 1))])
    assert found.downtime == 60 * MINUTE_US
