"""Kept reports are JSON read back through the report's own types (accord.store.codec): what
is read back equals what was kept, for every example agreement's report, and JSON that does not
fit the types is refused, never half-read."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord import load_agreement
from accord.cli import parse_period
from accord.core.report import Report, evaluate
from accord.io.data import read_data
from accord.render.report import report_json
from accord.store import codec
from tests.core.test_examples import AGREEMENTS, DATA, EXAMPLES


def _reports() -> list[Report]:
    found = []
    for example in EXAMPLES:
        agreement = load_agreement(AGREEMENTS / example.agreement)
        data = read_data(DATA / example.data)
        for period in ("2026-10", "2026-Q4", "2026"):
            found.append(
                evaluate(agreement, data, *parse_period(period, example.zone), example.tier)
            )
    return found


REPORTS = _reports()


@pytest.mark.parametrize(
    "report", REPORTS, ids=lambda r: f"{r.agreement}-{r.start:%Y%m}-{r.end:%Y%m}"
)
def test_a_kept_report_reads_back_equal_and_renders_the_same(report: Report) -> None:
    text = codec.dumps(report)
    assert "pickle" not in text
    found = codec.loads(text, Report)
    assert found == report
    assert report_json(found) == report_json(report)
    # the zone of every instant comes back, not only its offset
    assert found.start.tzinfo == report.start.tzinfo
    assert codec.dumps(found) == text


def test_the_examples_cover_what_a_report_holds() -> None:
    """The round trip above is worth something only if the reports hold the nested kinds."""
    assert any(r.settlement is not None and r.settlement.credits for r in REPORTS)
    assert any(r.penalties for r in REPORTS)
    assert any(r.claim is not None for r in REPORTS)
    assert any(r.termination for r in REPORTS)
    assert any(o.burn_alerts for r in REPORTS for o in r.objectives)
    assert any(o.tickets is not None for r in REPORTS for o in r.objectives)
    assert any(b.business is not None for r in REPORTS for o in r.objectives for b in o.breaches)
    assert any(r.clocks is not None for r in REPORTS)
    assert any(r.pool is not None and r.pool.fates and r.pool.capped for r in REPORTS)


@dataclass(frozen=True)
class Sample:
    at: datetime
    span: timedelta
    amount: Decimal
    note: str | None = None
    parts: tuple[int, ...] = ()


zones = st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"])


@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1)),
    zones,
    st.timedeltas(min_value=timedelta(days=-9999), max_value=timedelta(days=9999)),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.none() | st.text(),
    st.lists(st.integers(), max_size=4).map(tuple),
)
def test_instants_durations_and_decimals_are_exact(
    wall: datetime,
    zone: str,
    span: timedelta,
    amount: Decimal,
    note: str | None,
    parts: tuple[int, ...],
) -> None:
    moment = wall.replace(tzinfo=ZoneInfo(zone))
    value = Sample(moment, span, amount, note, parts)
    found = codec.loads(codec.dumps(value), Sample)
    assert found == value
    assert found.at.utcoffset() == moment.utcoffset()
    assert str(found.amount) == str(amount)  # 1.10 stays 1.10, not 1.1
    # arithmetic in the zone goes on as on the original: a day later in local time
    assert (found.at + timedelta(days=1)).utcoffset() == (moment + timedelta(days=1)).utcoffset()


@pytest.mark.parametrize(
    "change",
    [
        lambda d: {**d, "amount": 1.5},  # a float where exact text is kept
        lambda d: {**d, "at": "2026-10-01T00:00:00"},  # no offset
        lambda d: {**d, "span": "1:00:00"},
        lambda d: {**d, "parts": [1, "2"]},
        lambda d: {**d, "extra": 1},
        lambda d: {k: v for k, v in d.items() if k != "at"},
        lambda d: {**d, "at": "2026-10-01T00:00:00+00:00[Mars/Olympus]"},
    ],
)
def test_json_that_does_not_fit_the_types_is_refused(change: object) -> None:
    good = json.loads(
        codec.dumps(Sample(datetime(2026, 10, 1, tzinfo=UTC), timedelta(1), Decimal(1)))
    )
    assert callable(change)
    with pytest.raises(codec.CodecError):
        codec.loads(json.dumps(change(good)), Sample)


def test_a_pickle_or_garbage_is_refused() -> None:
    import pickle

    with pytest.raises(codec.CodecError):
        codec.loads(pickle.dumps(REPORTS[0]), Report)
    with pytest.raises(codec.CodecError):
        codec.loads("[]", Report)


def test_a_value_of_a_type_it_cannot_keep_is_an_error_when_written() -> None:
    with pytest.raises(codec.CodecError, match=r"\$\.at"):
        codec.dumps(Sample(datetime(2026, 10, 1), timedelta(1), Decimal(1)))  # naive
    with pytest.raises(codec.CodecError, match=r"\$\.note"):
        codec.dumps(
            replace(Sample(datetime(2026, 10, 1, tzinfo=UTC), timedelta(1), Decimal(1)), note=3)
        )  # type: ignore[arg-type]


@pytest.mark.parametrize("report", REPORTS[:6], ids=lambda r: f"{r.agreement}-{r.start:%Y-%m}")
def test_fields_read_alone_equal_those_of_the_whole_report(report: Report) -> None:
    text = codec.dumps(report)
    names = ("start", "settlement", "claim_deadline", "observed_until", "objectives")
    found = codec.loads_fields(text, Report, names)
    assert found == {name: getattr(report, name) for name in names}


def test_a_field_not_written_reads_as_its_default_and_an_unknown_one_is_refused() -> None:
    data = json.loads(codec.dumps(REPORTS[0]))
    del data["observed_until"]
    found = codec.loads_fields(json.dumps(data), Report, ["observed_until", "title"])
    assert found == {"observed_until": None, "title": REPORTS[0].title}
    del data["title"]  # no default: the text does not fit
    with pytest.raises(codec.CodecError, match="title"):
        codec.loads_fields(json.dumps(data), Report, ["title"])
    data["end"] = "not an instant"
    with pytest.raises(codec.CodecError, match=r"\$\.end"):
        codec.loads_fields(json.dumps(data), Report, ["end"])
    with pytest.raises(codec.CodecError):
        codec.loads_fields("[1, 2]", Report, ["end"])
