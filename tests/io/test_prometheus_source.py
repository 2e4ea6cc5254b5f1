"""The ``prometheus:`` source of an availability objective: what the agreement must state
(checked when it is loaded, at its place), and how a step's values become records."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from httpx import MockTransport
from hypothesis import given
from hypothesis import strategies as st

from accord.core.errors import AccordError
from accord.core.promql import prometheus_duration
from accord.io.agreements import load_agreement
from accord.io.prometheus import (
    MAX_POINTS,
    Prometheus,
    PrometheusError,
    _by_service,
    _chunks,
    _counts,
    read_evidence,
)
from tests.test_cli import run

ROOT = Path(__file__).resolve().parents[2]
HEAD = (
    'id: a\nversion: "1"\noverview: {title: A}\n'
    "services: [{id: api, name: API}, {id: web, name: Web}]\nobjectives:\n"
)


def _problems(tmp_path: Path, objective: str) -> str:
    path = tmp_path / "a.yaml"
    path.write_text(HEAD + objective)
    code, out = run("validate", str(path))
    assert code == 1
    return out


def test_a_query_without_window_is_refused_at_its_line(tmp_path: Path) -> None:
    out = _problems(
        tmp_path,
        "  - id: up\n    metric: availability\n    target: 99%\n    method: slices\n"
        "    prometheus:\n      up: min_over_time(probe_success[1m])\n",
    )
    assert "a.yaml:11:7: objectives[0].prometheus.up: the query has no $window" in out


def test_good_needs_total_and_the_method_must_fit_the_series(tmp_path: Path) -> None:
    out = _problems(
        tmp_path,
        "  - id: r\n    metric: availability\n    target: 99%\n    method: occurrences\n"
        "    prometheus:\n      good: sum(increase(ok_total[$window]))\n",
    )
    assert "objectives[0].prometheus: good and total go together" not in out
    assert "total: missing; good and total go together" in out
    out = _problems(
        tmp_path,
        "  - id: r\n    metric: availability\n    target: 99%\n    method: occurrences\n"
        "    prometheus:\n      up: min_over_time(probe_success[$window])\n",
    )
    assert "an up/down series is read as probes: method: slices, not occurrences" in out
    out = _problems(
        tmp_path,
        "  - id: r\n    metric: availability\n    target: 99%\n    method: slices\n"
        "    prometheus:\n      good: sum(increase(ok_total[$window]))\n"
        "      total: sum(increase(all_total[$window]))\n",
    )
    assert "event counts are read as requests: method: occurrences or ratio_slices" in out
    out = _problems(
        tmp_path,
        "  - id: t\n    metric: resolution\n    within: 4h\n    target: 90%\n"
        "    prometheus:\n      up: min_over_time(probe_success[$window])\n",
    )
    assert "evidence from Prometheus is for availability, not resolution" in out
    out = _problems(
        tmp_path,
        "  - id: up\n    metric: availability\n    target: 99%\n    method: slices\n"
        "    prometheus:\n      up: min_over_time(probe_success[$window])\n      step: 1.5s\n",
    )
    assert "prometheus.step: expected whole seconds of time such as 30s or 1m, got 1.5s" in out


def test_a_single_series_is_the_scopes_one_service_and_several_need_a_label(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        HEAD + "  - id: up\n    metric: availability\n    target: 99%\n    method: slices\n"
        "    scope: {service: [api, web]}\n"
        "    prometheus:\n      up: min by (service) (probe_success[$window])\n"
    )
    agreement = load_agreement(path)
    objective = agreement.objectives[0]
    values = [(60.0, 1.0)]
    found = _by_service(
        agreement,
        objective,
        "up",
        [({"service": "api"}, values), ({"service": "web"}, values), ({"service": "db"}, values)],
    )
    assert sorted(found) == ["api", "web"]  # db is not measured by this objective
    # no series at all: with one service in scope, its every step is unknown
    one = objective.model_copy(update={"scope": {"service": ("api",)}})
    assert _by_service(agreement, one, "up", []) == {"api": []}
    with pytest.raises(PrometheusError, match="without a 'service' label"):
        _by_service(agreement, objective, "up", [({"job": "x"}, values)])
    with pytest.raises(PrometheusError, match="several series for service 'api'"):
        _by_service(
            agreement,
            objective,
            "up",
            [({"service": "api", "i": "1"}, values), ({"service": "api", "i": "2"}, values)],
        )


@given(
    st.floats(min_value=0, max_value=1e9, allow_nan=False),
    st.floats(min_value=0, max_value=1e9, allow_nan=False),
)
def test_counts_are_whole_and_never_more_good_than_all(good: float, total: float) -> None:
    counts = _counts(good, total)
    if counts is None:
        assert round(good) > round(total)
        return
    assert counts == (round(good), round(total))
    assert 0 <= counts[0] <= counts[1]


def test_a_step_missing_a_number_is_unknown() -> None:
    for good, total in ((math.nan, 10.0), (10.0, math.nan), (math.inf, 10.0), (-1.0, 10.0)):
        assert _counts(good, total) is None
    assert _counts(59.97, 60.02) == (60, 60)


def test_prometheus_durations() -> None:
    assert prometheus_duration(timedelta(days=3)) == "3d"
    assert prometheus_duration(timedelta(hours=1, minutes=30)) == "1h30m"
    assert prometheus_duration(timedelta(seconds=90)) == "1m30s"
    with pytest.raises(AccordError, match="whole seconds"):
        prometheus_duration(timedelta(milliseconds=1500))


@given(
    st.integers(min_value=0, max_value=3 * MAX_POINTS),
    st.sampled_from([timedelta(seconds=15), timedelta(minutes=1), timedelta(minutes=5)]),
)
def test_calls_ask_for_every_step_once_and_at_most_max_points(count: int, step: timedelta) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = start + step * count
    asked = []
    for first, last in _chunks(start, end, step):
        points = (last - first) // step + 1
        assert 1 <= points <= MAX_POINTS
        asked.extend(first + step * k for k in range(points))
    assert asked == [start + step * k for k in range(count + 1)]


def test_a_month_of_minutes_is_five_calls() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = datetime(2026, 12, 1, tzinfo=UTC)
    assert len(list(_chunks(start + timedelta(minutes=1), end, timedelta(minutes=1)))) == 5


def test_an_answer_prometheus_warns_may_be_partial_is_not_read(tmp_path: Path) -> None:
    """A query over several stores (remote read, Thanos, Mimir) answers with ``warnings`` when
    one failed: its series may be missing, and the ones there may say up where a missing one
    was down. Nothing is read, nothing written."""
    agreement = ROOT / "examples" / "prometheus" / "api-availability.yaml"
    asked = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        values = [[1764547200 + 60 * k, "1"] for k in range(5)]
        return httpx.Response(
            200,
            json={
                "status": "success",
                "warnings": ["remote_read: store eu-2 unavailable"],
                "data": {"resultType": "matrix", "result": [{"metric": {}, "values": values}]},
            },
        )

    server = Prometheus("http://prometheus", client=httpx.Client(transport=MockTransport(answer)))
    start = datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(PrometheusError, match="may be partial, Prometheus warns: remote_read"):
        read_evidence(load_agreement(agreement), server, start, start + timedelta(minutes=5))
    assert asked
