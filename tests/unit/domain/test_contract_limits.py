"""The contract's limits: counts, buckets, parts of wholes, and the window rules (issue #12)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from tests.storage.snapshot_builders import edge, ingress, service, snapshot

from domain.contract import (
    MAX_BUCKETS,
    MAX_COUNT,
    MAX_FUTURE_SECONDS,
    MAX_WINDOW_SECONDS,
    SLOData,
    SLOSnapshot,
    window_problem,
)


def _errors(document: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        SLOSnapshot.model_validate_json(json.dumps(document))
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in caught.value.errors()]


def _valid(document: dict) -> SLOSnapshot:
    return SLOSnapshot.model_validate_json(json.dumps(document))


@pytest.mark.parametrize(
    ("item", "where"),
    [
        pytest.param({"services": [service(latency_count=MAX_COUNT + 1)]}, "services.0.latency_count",
                     id="count"),
        pytest.param({"services": [service(total_request_delta=2**200)]}, "services.0.total_request_delta",
                     id="total"),
        pytest.param({"services": [service(requests=[{"status_code": "200", "classification": "success",
                                                       "delta": 2**63 - 1}])]}, "services.0.requests.0.delta",
                     id="request-delta"),
        # Bucket counts of 2**200 were stored.
        pytest.param({"services": [service(latency_buckets={"5": 1, "+Inf": 2**200})]},
                     "services.0.latency_buckets.+Inf", id="bucket"),
        pytest.param({"edges": [edge(request_delta=MAX_COUNT + 1)]}, "edges.0.request_delta", id="edge"),
        pytest.param({"ingresses": [ingress(latency_count=10**13)]}, "ingress.0.latency_count", id="ingress"),
    ],
)
def test_counts_above_10_to_the_12_are_refused_naming_the_field(item: dict, where: str) -> None:
    errors = _errors(snapshot(**item))
    assert (f"slo_data.{where}", "Input should be less than or equal to 1000000000000") in errors


def test_counts_of_exactly_10_to_the_12_are_accepted() -> None:
    big = service(latency_count=MAX_COUNT, total_request_delta=MAX_COUNT, tls_request_delta=MAX_COUNT,
                  latency_buckets={"5": MAX_COUNT, "+Inf": MAX_COUNT})
    assert _valid(snapshot(services=[big])).slo_data.services[0].latency_count == MAX_COUNT


def test_latency_sums_are_bounded() -> None:
    [(where, message)] = _errors(snapshot(services=[service(latency_sum=1.5e18)]))
    assert (where, message) == ("slo_data.services.0.latency_sum",
                               "Input should be less than or equal to 1000000000000000000")
    assert _valid(snapshot(services=[service(latency_sum=1e18)])).slo_data.services[0].latency_sum == 1e18


def test_more_than_64_bucket_keys_are_refused() -> None:
    buckets = {str(bound): bound for bound in range(1, MAX_BUCKETS)} | {"+Inf": MAX_BUCKETS}
    assert _valid(snapshot(services=[service(latency_buckets=buckets)]))
    buckets = {str(bound): bound for bound in range(1, MAX_BUCKETS + 1)} | {"+Inf": MAX_BUCKETS}
    [(where, message)] = _errors(snapshot(ingresses=[ingress(latency_buckets=buckets)]))
    assert where == "slo_data.ingress.0.latency_buckets"
    assert "65 bucket keys, more than the limit of 64" in message


@pytest.mark.parametrize(
    ("first", "second"), [("10", "10.0"), ("10", "1e1"), ("10.0", "1E+1"), ("0.5", ".5")]
)
def test_one_bound_given_twice_is_refused(first: str, second: str) -> None:
    buckets = {"5": 1, first: 2, second: 2, "+Inf": 3}
    [(where, message)] = _errors(snapshot(services=[service(latency_buckets=buckets)]))
    assert where == "slo_data.services.0.latency_buckets"
    assert f"bucket keys {first!r} and {second!r} are the same bound, given twice" in message


def test_buckets_without_plus_inf_are_refused() -> None:
    [(where, message)] = _errors(snapshot(services=[service(latency_buckets={"5": 1, "10": 2})]))
    assert where == "slo_data.services.0.latency_buckets"
    assert "no '+Inf' bucket" in message
    assert _valid(snapshot(services=[service(latency_buckets={})])).slo_data.services[0].latency_buckets == {}


def test_buckets_the_agent_can_send_are_accepted() -> None:
    # Probe compensation and counter resets give counts above latency_count and non-cumulative
    # counts; SPEC §5 makes them monotonic when quantiles are computed.
    buckets = {"5": 9, "10": 4, "+Inf": 7}
    odd = service(latency_count=3, latency_buckets=buckets)
    assert _valid(snapshot(services=[odd])).slo_data.services[0].latency_buckets == buckets


def test_edge_failures_above_its_requests_are_refused() -> None:
    [(where, message)] = _errors(snapshot(edges=[edge(request_delta=5, failure_delta=6)]))
    assert where == "slo_data.edges.0"
    assert "failure_delta (6) must not exceed request_delta (5)" in message
    assert _valid(snapshot(edges=[edge(request_delta=5, failure_delta=5)]))


def test_tls_requests_above_the_total_are_refused() -> None:
    [(where, message)] = _errors(snapshot(services=[service(tls_request_delta=121, total_request_delta=120)]))
    assert where == "slo_data.services.0"
    assert "tls_request_delta (121) must not exceed total_request_delta (120)" in message


NOW = 1_764_312_060


def _data(timestamp: int, window: int) -> SLOData:
    return SLOData(timestamp=timestamp, window_start=timestamp - window)


def test_window_problem_accepts_the_limits_and_names_what_is_outside() -> None:
    retention = 48 * 3600.0
    assert window_problem(_data(NOW + MAX_FUTURE_SECONDS, 30), NOW, retention) is None
    assert window_problem(_data(NOW - int(retention), MAX_WINDOW_SECONDS), NOW, retention) is None
    ahead = window_problem(_data(NOW + MAX_FUTURE_SECONDS + 1, 30), NOW, retention)
    assert ahead == ("slo_data.timestamp (1764312661) is 601 s ahead of the master's clock (1764312060); "
                     "the limit is 600 s")
    old = window_problem(_data(NOW - int(retention) - 1, 30), NOW, retention)
    assert old == ("slo_data.timestamp (1764139259) is older than the raw retention of 172800 s "
                   "(master's clock 1764312060)")
    long = window_problem(_data(NOW, MAX_WINDOW_SECONDS + 1), NOW, retention)
    assert long == ("slo_data.window_start (1764225659): the window of 86401 s is longer than the limit of "
                    "86400 s")
