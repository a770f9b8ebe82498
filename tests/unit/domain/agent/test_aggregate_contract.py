"""The agent builds only snapshots the master's contract takes (issue #12: limits on the master).

A refused model would fail the cycle, and with the state kept for the next
one, every later cycle too; a refused snapshot would lose its interval.
"""

from __future__ import annotations

from domain.agent.aggregate import IntervalAggregator
from domain.agent.keys import RouteIndex
from domain.agent.roles import EdgeRequests, Part, WorkloadLatency, WorkloadRequests
from domain.contract import INF_KEY, MAX_BUCKETS, MAX_COUNT, SLOData, SLOSnapshot, bucket_bound

WORKLOAD = ("shop", "checkout")
EDGE = ("shop", "frontend", "shop", "checkout")


def _aggregator() -> IntervalAggregator:
    return IntervalAggregator(RouteIndex([]), probe_compensation=False)


def _latency(aggregator: IntervalAggregator, part: Part, delta: float, le: str = "") -> None:
    aggregator.add(WorkloadLatency(WORKLOAD, (*WORKLOAD, "pod-1"), part, le, compensable=False), delta)


def _as_sent(aggregator: IntervalAggregator) -> SLOSnapshot:
    built = aggregator.build()
    data = SLOData(timestamp=60, window_start=30, services=built.services, edges=built.edges)
    # Through JSON, as the master parses it: every rule of the contract applies.
    return SLOSnapshot.model_validate_json(SLOSnapshot(cluster_id="c", slo_data=data).model_dump_json())


def test_more_bounds_than_the_limit_are_thinned_evenly_keeping_the_ends() -> None:
    aggregator = _aggregator()
    bounds = [str(bound) for bound in range(1, 101)]
    for rank, le in enumerate(bounds, start=1):
        _latency(aggregator, Part.BUCKET, float(rank), le)
    _latency(aggregator, Part.BUCKET, 100.0, INF_KEY)
    _latency(aggregator, Part.COUNT, 100.0)
    [service] = _as_sent(aggregator).slo_data.services
    keys = list(service.latency_buckets)
    assert len(keys) == MAX_BUCKETS
    assert (keys[0], keys[-2], keys[-1]) == ("1", "100", INF_KEY)
    # Each kept bound keeps its own cumulative count: the histogram is coarser, not wrong.
    assert all(service.latency_buckets[key] == int(key) for key in keys[:-1])
    assert sorted(keys, key=bucket_bound) == keys


def test_a_histogram_without_plus_inf_gets_one_holding_every_observation() -> None:
    aggregator = _aggregator()
    _latency(aggregator, Part.BUCKET, 3.0, "5")
    _latency(aggregator, Part.BUCKET, 7.0, "10")
    _latency(aggregator, Part.COUNT, 9.0)
    [service] = _as_sent(aggregator).slo_data.services
    assert service.latency_buckets == {"5": 3, "10": 7, INF_KEY: 9}


def test_counts_beyond_the_limit_are_sent_as_the_limit_instead_of_failing_every_cycle() -> None:
    aggregator = _aggregator()
    aggregator.add(WorkloadRequests(WORKLOAD, "200", "success", tls=True), 5e12)
    _latency(aggregator, Part.BUCKET, 5e12, INF_KEY)
    _latency(aggregator, Part.SUM, 1e300)
    aggregator.add(EdgeRequests(EDGE, failure=True), 5e12)
    sent = _as_sent(aggregator).slo_data
    [service], [edge] = sent.services, sent.edges
    counts = (service.requests[0].delta, service.total_request_delta, service.tls_request_delta)
    assert counts == (MAX_COUNT,) * 3
    assert service.latency_buckets == {INF_KEY: MAX_COUNT}
    assert service.latency_sum == 1e18
    assert (edge.request_delta, edge.failure_delta) == (MAX_COUNT, MAX_COUNT)


def test_tls_requests_never_exceed_the_total_through_float_rounding() -> None:
    # Summed in arrival order the tls deltas make 2.5000000000000004 (rounded to 3); summed per
    # status code the total makes 2.5 (rounded to 2). The master refuses tls above total.
    aggregator = _aggregator()
    for code, delta in [("200", 1.5), ("201", 0.7), ("200", 0.2), ("201", 0.1)]:
        aggregator.add(WorkloadRequests(WORKLOAD, code, "success", tls=True), delta)
    [service] = _as_sent(aggregator).slo_data.services
    assert service.tls_request_delta <= service.total_request_delta == 2


def test_request_entries_adding_up_beyond_the_limit_are_scaled_down_keeping_their_shares() -> None:
    # Each entry is within the limit, their sum (what the master stores as the workload's
    # requests) is not: the master would refuse the whole snapshot, every cycle.
    aggregator = _aggregator()
    aggregator.add(WorkloadRequests(WORKLOAD, "200", "success", tls=False), 9e11)
    aggregator.add(WorkloadRequests(WORKLOAD, "500", "failure", tls=False), 3e11)
    [service] = _as_sent(aggregator).slo_data.services
    deltas = {entry.status_code: entry.delta for entry in service.requests}
    assert sum(deltas.values()) <= MAX_COUNT
    assert deltas == {"200": 9 * MAX_COUNT // 12, "500": 3 * MAX_COUNT // 12}
    assert service.total_request_delta == MAX_COUNT


def test_request_entries_within_the_limit_are_sent_exactly() -> None:
    aggregator = _aggregator()
    aggregator.add(WorkloadRequests(WORKLOAD, "200", "success", tls=False), 6e11)
    aggregator.add(WorkloadRequests(WORKLOAD, "500", "failure", tls=False), 4e11)
    [service] = _as_sent(aggregator).slo_data.services
    deltas = {entry.status_code: entry.delta for entry in service.requests}
    assert deltas == {"200": 6 * 10**11, "500": 4 * 10**11}
