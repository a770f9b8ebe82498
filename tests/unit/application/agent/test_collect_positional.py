"""The positional path (a scrape in the previous order) and the general path give the same intervals.

Two collect use cases read the same expositions through their own parsers; one
of them never sees a layout, so it always takes the general (by key) path. Over
random scrape sequences — orders that change, series that vanish and return,
counter resets, invalid values, duplicates — their snapshots and figures match.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.domain.agent.samples import FixedRoutes

from adapters.exposition.parser import ExpositionParser
from application.agent.collect import CollectOptions, CollectResult, CollectUseCase
from domain.series import Scrape


def _pod(n: int) -> str:
    return f'deployment="web",direction="inbound",namespace="shop",pod="web-{n}",srv_port="8080",tls="true"'


def _out(n: int) -> str:
    return (f'deployment="web",direction="outbound",dst_deployment="db",dst_namespace="data",'
            f'namespace="shop",pod="web-{n}"')


# Written as the OpenTelemetry Collector writes them: names sorted, a bucket's le last.
SERIES = [
    *(f'otel_response_total{{classification="success",{_pod(n)},status_code="200"}}' for n in range(3)),
    *(f'otel_response_total{{classification="failure",{_pod(n)},status_code="503"}}' for n in range(2)),
    *(f'otel_response_latency_ms_bucket{{{_pod(n)},le="{le}"}}' for n in range(2) for le in ("10", "+Inf")),
    *(f"otel_response_latency_ms_{part}{{{_pod(n)}}}" for n in range(2) for part in ("sum", "count")),
    *(f'otel_response_total{{classification="success",{_out(n)},status_code="200"}}' for n in range(2)),
    f"otel_response_latency_ms_sum{{{_out(0)}}}",
    'otel_response_total{direction="inbound",namespace="kube-system",deployment="dns",pod="dns-1"}',
    'otel_traefik_service_requests_total{code="200",method="GET",service="shop-web-80@kubernetescrd"}',
    'otel_traefik_service_request_duration_seconds_bucket{code="200",service="shop-web-80@k",le="0.1"}',
    'otel_tcp_open_total{pod="web-1"}',
]


class _Source:
    def __init__(self, strip_layout: bool) -> None:
        self.parser = ExpositionParser("otel_")
        self.strip_layout = strip_layout
        self.body = b""
        self.timestamp = 0.0

    def scrape(self) -> Scrape:
        scrape = self.parser.parse([self.body], timestamp=self.timestamp)
        if self.strip_layout:
            scrape.layout = None
        return scrape


def _use_case(source: _Source) -> CollectUseCase:
    return CollectUseCase(source, FixedRoutes(), CollectOptions(cluster_id="c1"), clock=lambda: 0.0,
                          sleep=lambda _: None)


def _step() -> st.SearchStrategy[tuple[str, list[int], list[float]]]:
    kind = st.sampled_from(["same", "same", "same", "shuffle", "subset", "duplicate"])
    events = st.lists(st.sampled_from([0.0, 0.0, 1.0, 7.0, 250.0, -1.0, math.nan, "reset"]),
                      min_size=len(SERIES), max_size=len(SERIES))
    return st.tuples(kind, st.permutations(range(len(SERIES))), events)  # type: ignore[arg-type]


def _summary(result: CollectResult) -> tuple[object, object]:
    snapshot = result.snapshot.model_dump() if result.snapshot is not None else None
    return snapshot, result.stats


@settings(max_examples=60, deadline=None)
@given(st.lists(_step(), min_size=2, max_size=9), st.data())
def test_positional_and_general_paths_give_identical_intervals(steps: list, data: st.DataObject) -> None:
    fast, general = _Source(strip_layout=False), _Source(strip_layout=True)
    fast_collect, general_collect = _use_case(fast), _use_case(general)
    counters = [100.0 * (n + 1) for n in range(len(SERIES))]
    order = list(range(len(SERIES)))
    for cycle, (kind, permutation, events) in enumerate(steps):
        if kind == "shuffle":
            order = list(permutation)
        elif kind == "subset":
            order = [n for n in permutation if data.draw(st.booleans())] or order
        elif kind == "duplicate" and order:
            order = [*order, order[0]]
        lines = []
        for n in order:
            event = events[n]
            if event == "reset":
                counters[n] = 1.0
                value = counters[n]
            elif isinstance(event, float) and (math.isnan(event) or event < 0):
                value = event
            else:
                counters[n] += event
                value = counters[n]
            lines.append(f"{SERIES[n]} {value!r}\n")
        body = "".join(lines).replace("nan", "NaN").encode()
        for source in (fast, general):
            source.body, source.timestamp = body, 1_700_000_000.0 + 30 * cycle
        assert _summary(fast_collect.run()) == _summary(general_collect.run())
        fast_state, general_state = fast_collect.export_state(), general_collect.export_state()
        assert _counters(fast_state) == _counters(general_state)


def _counters(state: dict) -> dict[str, float]:
    return {key: value for key, value in zip(state["series"], state["values"], strict=True) if value == value}


def test_a_repeated_order_is_taken_by_position() -> None:
    source = _Source(strip_layout=False)
    collect = _use_case(source)
    for cycle in range(3):
        source.body = "".join(f"{series} {10 * (cycle + 1)}\n" for series in SERIES).encode()
        source.timestamp = 1_700_000_000.0 + 30 * cycle
        collect.run()
        if cycle == 1:
            first_layout = collect._layout  # built by the general pass of the first scrape
            assert first_layout is not None
    assert collect._layout is first_layout  # the third scrape reused it: the positional path
    assert collect._deltas.aligned_with(first_layout)


def test_a_version_1_state_is_resumed() -> None:
    source = _Source(strip_layout=False)
    collect = _use_case(source)
    key = SERIES[0].removeprefix("otel_")
    canonical = ExpositionParser("otel_").parse([f"{SERIES[0]} 1\n".encode()]).samples[0][0].key
    assert key  # the collector's text; the state holds the canonical key
    collect.restore_state({"version": 1, "last_timestamp": 100, "counters": {canonical: 10.0}})
    source.body, source.timestamp = f"{SERIES[0]} 15\n".encode(), 130.0
    data = collect.run().data
    assert data is not None
    assert sum(s.total_request_delta for s in data.services) == 5
