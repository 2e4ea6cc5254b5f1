"""``/metrics`` as a Prometheus server scrapes it, on SQLite and PostgreSQL: off without a
token, refused with a wrong one, several tokens, an organisation's key for its own figures;
parsed by prometheus_client's own parser, its names, types and labels follow Prometheus's
conventions and never name a ticket; the SLA figures are the standing's (the portal's Home);
requests, ingest, group commits, worker queues and deliveries are counted as they happen.
Several processes: tests/cli/test_metrics_serve.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import select

from accord import metrics
from accord.api import create_app
from accord.api import metrics as exposition
from accord.service import standing, tenants
from accord.settings import Settings
from accord.store import Database
from accord.store.schema import Delivery
from accord.worker import Worker
from tests.service.conftest import Clock, Tenant, service_clock
from tests.service.receiver import Receiver
from tests.service.test_api import ticket, upload
from tests.service.test_standing import NOW, _load
from tests.service.test_worker import LOCAL_RECEIVERS, drain, hook, late_ticket, receiver

__all__ = ["hook", "receiver"]  # the webhook tests' fixtures, used here too
DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
TOKEN = "a-scrape-token-of-the-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The service's settings with /metrics on (the token), the figures computed afresh at
    each scrape, and webhooks to this machine's receivers allowed."""
    return settings.model_copy(
        update={
            "metrics_token": SecretStr(TOKEN),
            "metrics_cache_seconds": 0,
            "webhook_allow_hosts": LOCAL_RECEIVERS,
        }
    )


@pytest.fixture
def deferred(settings: Settings, database: Database) -> Iterator[TestClient]:
    """A client of a service that leaves recomputation to the workers (the default)."""
    fast = settings.model_copy(update={"refresh_inline_limit": 0})
    with TestClient(create_app(fast, database)) as found:
        yield found


def scrape(client: TestClient) -> dict[str, Metric]:
    answer = client.get("/metrics", headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in text_string_to_metric_families(answer.text)}


def value(families: dict[str, Metric], sample: str, **labels: str) -> float | None:
    """The value of the sample named ``sample`` with ``labels`` (among others), or None."""
    family = families.get(re.sub(r"_(total|count|sum|bucket|info)$", "", sample))
    family = family or families.get(sample)
    if family is None:
        return None
    found = [
        s.value
        for s in family.samples
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) <= 1, (sample, labels, found)
    return found[0] if found else None


def counted(families: dict[str, Metric], sample: str, **labels: str) -> float:
    """A counter's value; 0 before its first increment (its series not made yet)."""
    return value(families, sample, **labels) or 0.0


def test_metrics_is_off_without_a_token_and_refused_with_a_wrong_one(
    settings: Settings, database: Database
) -> None:
    off = settings.model_copy(update={"metrics_token": None})
    with TestClient(create_app(off, database)) as client:
        answer = client.get("/metrics", headers=AUTH)
        assert answer.status_code == 404
        assert "ACCORD_METRICS_TOKEN" in answer.json()["detail"]
        # not part of the REST API's contract: Prometheus is no generated client
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]
    with TestClient(create_app(settings, database)) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            refused = client.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == "Bearer"
            assert "accord_" not in refused.text
        assert client.get("/metrics", headers=AUTH).status_code == 200
    public = off.model_copy(update={"metrics_public": True})
    with TestClient(create_app(public, database)) as client:
        assert "accord_build_info" in client.get("/metrics").text


def test_several_tokens_each_scrape_everything(settings: Settings, database: Database) -> None:
    """One token per Prometheus server, or the old and the new one while rotating."""
    several = settings.model_copy(update={"metrics_token": SecretStr("old-one, new-one")})
    with TestClient(create_app(several, database)) as client:
        for token in ("old-one", "new-one"):
            answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
            assert "accord_build_info" in answer.text
        for token in ("old-one, new-one", "old-one,", "", "new"):
            refused = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            assert refused.status_code == 401, token


@pytest.mark.parametrize("operator", ["off", "token"])
def test_an_organisation_key_scrapes_its_own_figures_and_nothing_else(
    settings: Settings, database: Database, acme: Tenant, globex: Tenant, operator: str
) -> None:
    """A tenant's Prometheus scrapes its own SLA figures with its API key, whether or not the
    operator turned /metrics on: no other organisation, none of the service's own health; a
    customer's key sees its customer's agreements only."""
    if operator == "off":
        settings = settings.model_copy(update={"metrics_token": None})
    with TestClient(create_app(settings, database)) as client:
        assert upload(client, acme).status_code == 201
        assert upload(client, globex).status_code == 201
        for headers in (acme.headers, {"X-API-Key": acme.key}, acme.key_for("read")):
            answer = client.get("/metrics", headers=headers)
            assert answer.status_code == 200, answer.text
            families = {f.name: f for f in text_string_to_metric_families(answer.text)}
            assert value(families, "accord_agreement_info", organisation="acme") == 1
            assert value(families, "accord_objective_target_ratio", objective="resolution") == 0.9
            organisations = {
                s.labels["organisation"]
                for f in families.values()
                for s in f.samples
                if "organisation" in s.labels
            }
            assert organisations == {"acme"}
            assert "accord_http_requests" not in families  # the operator's
            assert "accord_worker_queue_depth" not in families
            assert "accord_schema" not in families
        answer = client.get("/metrics", headers=acme.key_for("read", customer="other-corp"))
        assert answer.status_code == 200
        assert "accord_agreement_info{" not in answer.text
        assert 'accord_sla_computation_failed{organisation="acme"} 0.0' in answer.text
        refused = client.get("/metrics", headers={"Authorization": "Bearer acc_nope_nope"})
        assert refused.status_code == 401
        assert "accord_" not in refused.text
        anonymous = client.get("/metrics")
        assert anonymous.status_code == (404 if operator == "off" else 401)
        if operator == "token":  # the operator's token still gets everyone's
            families = scrape(client)
            assert value(families, "accord_agreement_info", organisation="globex") == 1


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return service_clock(monkeypatch, datetime(2026, 1, 1, tzinfo=UTC), standing, exposition)


def test_the_sla_figures_are_the_standings_figures(
    database: Database, acme: Tenant, clock: Clock, client: TestClient
) -> None:
    _load(database, acme, clock)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        found = standing.standing(session, principal, NOW, uptime=False)
    families = scrape(client)
    cloud = next(a for a in found.agreements if a.key == "cloud")
    mine = {"organisation": "acme", "agreement": "cloud"}
    assert value(families, "accord_agreement_info", **mine, customer="acme-corp") == 1
    assert value(families, "accord_agreement_info", **mine, period="2026-12") == 1
    by_id = {o.objective: o for o in cloud.objectives}
    availability = {**mine, "objective": "availability"}
    resolution = {**mine, "objective": "resolution"}
    for labels, figures in (
        (availability, by_id["availability"]),
        (resolution, by_id["resolution"]),
    ):
        assert figures.attained is not None
        attained = value(families, "accord_objective_attainment_ratio", **labels)
        assert attained == pytest.approx(float(figures.attained / 100))
        assert value(families, "accord_objective_met", **labels) == (1 if figures.met else 0)
    # the targets as ratios: 99.9% and 90%
    assert value(families, "accord_objective_target_ratio", **availability) == 0.999
    assert value(families, "accord_objective_target_ratio", **resolution) == 0.9
    # the month's budget (99.9% of 31 days: 44 min 38.4 s) less this month's 20 minutes down
    budget = value(families, "accord_objective_error_budget_seconds", **availability)
    assert budget == pytest.approx(44 * 60 + 38.4)
    left = value(families, "accord_objective_error_budget_remaining_seconds", **availability)
    assert left == pytest.approx(24 * 60 + 38.4)
    share = value(families, "accord_objective_error_budget_remaining_ratio", **availability)
    assert share == pytest.approx((24 * 60 + 38.4) / (44 * 60 + 38.4))
    period = by_id["availability"].burn_rate
    assert period is not None
    burn = value(families, "accord_objective_burn_rate", **availability, window="period")
    assert burn == pytest.approx(float(period))
    # each alert window once (6h is one alert's long window and another's short)
    windows = [
        s.labels["window"]
        for s in families["accord_objective_burn_rate"].samples
        if s.labels["agreement"] == "cloud"
    ]
    assert windows == ["period", "5m", "30m", "1h", "6h", "3d"]
    firing = [
        (s.labels["long_window"], s.labels["short_window"], s.labels["threshold"])
        for s in families["accord_objective_burn_alert_firing"].samples
        if s.labels["agreement"] == "cloud"
    ]
    assert firing == [("1h", "5m", "14.4"), ("6h", "30m", "6"), ("3d", "6h", "1")]
    # A4 open for 3.5 of its 4 hours: at risk; none breached open
    assert value(families, "accord_objective_open_clocks", **resolution, state="at_risk") == 1
    assert value(families, "accord_objective_open_clocks", **resolution, state="breached") == 0
    assert cloud.credit_now is not None
    owed = value(families, "accord_agreement_credits_owed", **mine, currency="EUR")
    assert owed == float(cloud.credit_now.amount)
    # 20 minutes down of December's 44 min 38.4 s: met so far, no credit owed yet (the
    # least the month ends at, 99.955%, not the 99.854% of the days elapsed)
    assert value(families, "accord_objective_met", **availability) == 1
    assert owed == 0
    month = 31 * 1440
    attained = value(families, "accord_objective_attainment_ratio", **availability)
    assert attained == pytest.approx((month - 20) / month)
    assert value(families, "accord_sla_computation_failed", organisation="acme") == 0


def test_names_types_and_labels_follow_prometheus_conventions_and_name_no_ticket(
    database: Database, acme: Tenant, clock: Clock, client: TestClient
) -> None:
    _load(database, acme, clock)
    secret = "TICKET-NEVER-A-LABEL-4711"
    templated = {"method": "GET", "route": "/v1/tickets/{ticket}", "status": "200"}
    asked = counted(scrape(client), "accord_http_requests_total", **templated)
    posted = client.post("/v1/events", json=ticket(secret, NOW), headers=acme.headers)
    assert posted.status_code == 200
    assert client.get(f"/v1/tickets/{secret}", headers=acme.headers).status_code == 200
    client.get(f"/v1/made-up/{secret}")
    answer = client.get("/metrics", headers=AUTH)
    assert secret not in answer.text
    families = scrape(client)
    label_values = {v for f in families.values() for s in f.samples for v in s.labels.values()}
    # No part of the ticket's key either (a number in a sample's value is not a label).
    assert not [v for v in label_values if "4711" in v or "NEVER-A-LABEL" in v]
    assert len(families) >= 25
    for name, family in families.items():
        assert re.fullmatch(r"accord_[a-z][a-z0-9_]*", name), name
        assert family.documentation, f"{name} has no help text"
        assert not re.search(r"_(ms|milliseconds|minutes|hours|days|percent|bytes_total)$", name)
        for sample in family.samples:
            for label in sample.labels:
                assert re.fullmatch(r"[a-z][a-z0-9_]*", label), (name, label)
                assert label not in {"ticket", "ticket_id", "event", "id", "key", "path"}
        if family.type == "counter":
            assert not name.endswith("_total")
            assert all(s.name == f"{name}_total" for s in family.samples), name
        elif family.type == "histogram":
            suffixes = {"_bucket", "_count", "_sum"}
            assert all(s.name[len(name) :] in suffixes for s in family.samples), name
        else:
            assert family.type == "gauge", (name, family.type)
        if name.endswith("_info"):
            assert all(s.value == 1 for s in family.samples), name
        if name.endswith("_ratio") and "remaining" not in name:
            assert all(0 <= s.value <= 1 for s in family.samples), name
        if "duration" in name or "lag" in name:
            assert name.endswith("_seconds") or name.endswith("_seconds_total"), name
    assert value(families, "accord_http_requests_total", **templated) == asked + 1
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert counted(families, "accord_http_requests_total", **unmatched) >= 1


def test_requests_ingest_and_group_commits_are_counted(acme: Tenant, deferred: TestClient) -> None:
    assert upload(deferred, acme).status_code == 201
    before = scrape(deferred)
    opened = datetime.now(UTC) - timedelta(hours=1)
    batch = [*ticket("C1", opened), *ticket("C2", opened), *ticket("C3", opened)]
    assert deferred.post("/v1/events", json=batch, headers=acme.headers).status_code == 200
    # the same three again and one more: three duplicates, one stored
    again = [*batch, *ticket("C4", opened)]
    assert deferred.post("/v1/events", json=again, headers=acme.headers).status_code == 200
    refused = deferred.post("/v1/events", json=[{"id": "x"}], headers=acme.headers)
    assert refused.status_code == 422
    after = scrape(deferred)

    def grew(sample: str, **labels: str) -> float:
        return counted(after, sample, **labels) - counted(before, sample, **labels)

    events = {"kind": "ticket_event"}
    assert grew("accord_ingest_events_total", **events, outcome="stored") == 4
    assert grew("accord_ingest_events_total", **events, outcome="duplicate") == 3
    posted = {"method": "POST", "route": "/v1/events"}
    assert grew("accord_http_requests_total", **posted, status="200") == 2
    assert grew("accord_http_requests_total", **posted, status="422") == 1
    assert grew("accord_http_request_duration_seconds_count", **posted) == 3
    # each request alone in its transaction here: two groups of one, of 3 and 4 events
    assert grew("accord_ingest_group_commit_requests_count") == 2
    assert grew("accord_ingest_group_commit_requests_sum") == 2
    assert grew("accord_ingest_group_commit_events_sum") == 7
    assert grew("accord_ingest_group_commit_events_bucket", le="4.0") == 2
    assert grew("accord_ingest_group_commit_events_bucket", le="2.0") == 0


def test_worker_queues_show_the_backlog_and_its_age_then_drain(
    acme: Tenant,
    deferred: TestClient,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert upload(deferred, acme).status_code == 201
    started = datetime.now(UTC)
    clock = service_clock(monkeypatch, started, exposition)
    opened = started - timedelta(hours=1)
    for name in ("Q1", "Q2", "Q3"):
        deferred.post("/v1/events", json=ticket(name, opened), headers=acme.headers)
    clock.advance(timedelta(seconds=90))
    before = scrape(deferred)
    assert value(before, "accord_worker_queue_depth", queue="tickets") == 3
    # marked at ingest, 90 seconds ago by the service's clock
    assert value(before, "accord_worker_queue_lag_seconds", queue="tickets") == 90
    drain(Worker(database, settings.model_copy(update={"refresh_inline_limit": 0})))
    after = scrape(deferred)
    assert value(after, "accord_worker_queue_depth", queue="tickets") == 0
    assert value(after, "accord_worker_queue_lag_seconds", queue="tickets") == 0
    recomputed = "accord_worker_tickets_recomputed_total"
    assert counted(after, recomputed) - counted(before, recomputed) == 3


def test_deliveries_are_counted_by_outcome(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,
    hook: str,
) -> None:
    before = scrape(client)
    late_ticket(client, acme, "W1", hours=3)
    receiver.status = 503
    worker = Worker(database, settings)
    worker.run_once()
    failing = scrape(client)
    with database.session() as session:
        due = session.scalars(select(Delivery.next_attempt_at)).one()
    receiver.status = 200
    worker.run_once(due + timedelta(seconds=1))
    after = scrape(client)
    webhook = {"channel": "webhook"}
    retried = counted(failing, "accord_deliveries_total", **webhook, outcome="retry")
    assert retried - counted(before, "accord_deliveries_total", **webhook, outcome="retry") == 1
    sent = counted(after, "accord_deliveries_total", **webhook, outcome="sent")
    assert sent - counted(failing, "accord_deliveries_total", **webhook, outcome="sent") == 1
    fired = "accord_worker_due_items_fired_total"
    assert counted(after, fired) > counted(before, fired)


def test_figures_are_kept_for_the_cache_interval(
    settings: Settings, database: Database, acme: Tenant
) -> None:
    kept = settings.model_copy(update={"metrics_cache_seconds": 3600})
    with TestClient(create_app(kept, database)) as client:
        first = scrape(client)
        assert upload(client, acme).status_code == 201
        again = scrape(client)
        assert value(again, "accord_agreement_info", agreement="desk") is None
        stamp = "accord_sla_computed_timestamp_seconds"
        assert value(again, stamp) == value(first, stamp)
        # once they are older than the interval, a scrape still gets them at once, and a
        # thread computes the next ones
        figures = exposition._FIGURES[client.app.state.accord]
        assert figures.kept is not None
        figures.kept = (figures.kept[0] - 3600, figures.kept[1])
        stale = scrape(client)
        assert value(stale, "accord_agreement_info", agreement="desk") is None
        assert figures.refresher is not None
        figures.refresher.join()
        assert value(scrape(client), "accord_agreement_info", agreement="desk") == 1
    with TestClient(create_app(settings, database)) as client:  # computed afresh
        assert value(scrape(client), "accord_agreement_info", agreement="desk") == 1


def test_one_organisation_failing_does_not_hide_the_others(
    database: Database,
    acme: Tenant,
    globex: Tenant,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert upload(client, acme).status_code == 201
    assert upload(client, globex).status_code == 201
    real = standing.standing

    def failing_for_globex(
        session: Any, principal: tenants.Principal, *args: Any, **kw: Any
    ) -> Any:
        if principal.organisation == "globex":
            raise RuntimeError("a broken agreement")
        return real(session, principal, *args, **kw)

    monkeypatch.setattr(standing, "standing", failing_for_globex)
    families = scrape(client)
    assert value(families, "accord_sla_computation_failed", organisation="globex") == 1
    assert value(families, "accord_sla_computation_failed", organisation="acme") == 0
    assert value(families, "accord_agreement_info", organisation="acme", agreement="desk") == 1
    assert value(families, "accord_agreement_info", organisation="globex", agreement="desk") is None


def test_the_build_and_schema_are_told(client: TestClient) -> None:
    families = scrape(client)
    (build,) = families["accord_build_info"].samples
    assert build.labels["version"]
    (schema,) = families["accord_schema_info"].samples
    assert schema.labels["revision"] == schema.labels["head"]
    cpu = value(families, "accord_sla_computation_cpu_seconds")
    assert cpu is not None
    assert cpu >= 0


SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gauge": ("",),
    "info": ("_info",),
}


def exported(families: dict[str, Metric]) -> dict[str, tuple[str, set[str]]]:
    """Every family the service exports, by the name its documentation gives (a counter's
    with ``_total``, an info's with ``_info``), with its type and label names: those of a
    scrape (``families``, where the figures have samples), and those of each instrument of
    :mod:`accord.metrics` (whose labelled series appear once first counted)."""
    found: dict[str, tuple[str, set[str]]] = {}
    for name, family in families.items():
        (suffix, *_) = SAMPLE_SUFFIXES[family.type]
        named = name if family.type == "histogram" else name + suffix
        labels = {label for s in family.samples for label in s.labels} - {"le"}
        found.setdefault(named, (family.type, set()))[1].update(labels)
    for instrument in vars(metrics).values():
        if isinstance(instrument, MetricWrapperBase):
            kind = instrument._type  # prometheus_client names none of these publicly
            name = instrument._name
            named = name if kind == "histogram" else name + SAMPLE_SUFFIXES[kind][0]
            found.setdefault(named, (kind, set()))[1].update(instrument._labelnames)
    return found


def sample_names(found: dict[str, tuple[str, set[str]]]) -> dict[str, set[str]]:
    """The names samples of the families ``found`` take in a scrape, with their labels."""
    names: dict[str, set[str]] = {}
    for name, (kind, labels) in found.items():
        if kind == "histogram":
            for suffix in SAMPLE_SUFFIXES[kind]:
                names[name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
        else:
            names[name] = labels
    return names


def test_every_metric_is_documented_with_its_labels(
    database: Database, acme: Tenant, clock: Clock, client: TestClient
) -> None:
    _load(database, acme, clock)
    found = exported(scrape(client))
    documented = DOCS.read_text()
    for name, (_kind, labels) in found.items():
        assert f"`{name}`" in documented, f"{name} is not in docs/metrics.md"
        for label in labels:
            assert f"`{label}`" in documented, f"label {label} of {name} is not in docs/metrics.md"
