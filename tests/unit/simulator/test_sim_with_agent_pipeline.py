"""The product's parser and collect use case against the simulator's truth, in process.

The same check the full-chain e2e test makes through real processes, minus
HTTP and the master: every snapshot the agent builds is summed and compared
with the ground truth, exactly.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from tests.unit.domain.agent.samples import FixedRoutes

from adapters.exposition.parser import ExpositionParser
from adapters.simulator.model import ClusterModel
from adapters.simulator.scenario import compact_scenario
from application.agent.collect import CollectOptions, CollectUseCase
from application.ports.agent import ScrapeError
from domain.contract import Route, SLOData
from domain.families import SAMPLE_NAMES
from domain.series import Scrape


class SimulatedSource:
    """MetricsSource over the model; planned failures raise ScrapeError like a failed HTTP GET."""

    def __init__(self, model: ClusterModel, fail: set[int], garbage: set[int]) -> None:
        self.model, self.fail, self.garbage = model, fail, garbage
        self.parser = ExpositionParser(model.prefix)
        self.malformed = 0

    def scrape(self) -> Scrape:
        step = self.model.advance()
        if step in self.fail:
            raise ScrapeError(f"step {step} failed as planned")
        body = self.model.render(garbage=step in self.garbage).encode()
        scrape = self.parser.parse([body[i : i + 65536] for i in range(0, len(body), 65536)],
                                   timestamp=1_764_000_000 + step * 5)
        self.malformed += scrape.stats.malformed_lines
        self.model.observed(step)
        return scrape

    def healthy(self) -> bool:
        return True


def collect(model: ClusterModel, steps: int, fail: set[int], garbage: set[int]) -> tuple[list[SLOData], int]:
    source = SimulatedSource(model, fail, garbage)
    routes = [Route.model_validate(r, strict=False) for r in model.routes()]
    use_case = CollectUseCase(source, FixedRoutes(routes), CollectOptions(cluster_id="c1"))
    snapshots = []
    for _ in range(steps):
        try:
            result = use_case.run()
        except ScrapeError:
            continue
        if result.data is not None:
            snapshots.append(result.data)
    return snapshots, source.malformed


@pytest.mark.parametrize(("seed", "prefix", "fail", "garbage"), [
    (1, "otel_", set(), set()),
    (2, "otel_", {1, 4, 7, 8, 12}, {3, 10}),
    (3, "", {5, 6}, {2}),  # as if scraping /federate and the controllers directly
])
def test_agent_pipeline_reproduces_the_truth_exactly(seed: int, prefix: str, fail: set[int],
                                                     garbage: set[int]) -> None:
    model = ClusterModel(seed=seed, prefix=prefix, restart_every=2, rollout_every=3,
                         controller_restart_every=3, scenario=compact_scenario())
    snapshots, malformed = collect(model, 16, fail, garbage)
    truth = model.truth()
    assert sum(s.restarts for s in model.sources) >= 4
    assert malformed >= 5 * len(garbage)

    services: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    buckets: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for data in snapshots:
        for item in data.services:
            wid = f"{item.namespace}/{item.name}"
            services[wid]["total"] += item.total_request_delta
            services[wid]["tls"] += item.tls_request_delta
            services[wid]["errors"] += sum(r.delta for r in item.requests if r.classification == "failure")
            services[wid]["count"] += item.latency_count
            for le, count in item.latency_buckets.items():
                buckets[wid][le] += count
    assert set(services) == {w for w, item in truth.workloads.items() if item["total"]}
    for wid, item in truth.workloads.items():
        assert services[wid]["total"] == item["total"], wid
        assert services[wid]["tls"] == item["tls"], wid
        assert services[wid]["errors"] == item["errors"], wid
        assert services[wid]["count"] == item["latency_count"], wid
        assert dict(buckets[wid]) == item["latency_buckets"], wid

    edges: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for data in snapshots:
        for edge in data.edges:
            totals = edges[f"{edge.src_ns}/{edge.src_name}->{edge.dst_ns}/{edge.dst_name}"]
            totals[0] += edge.request_delta
            totals[1] += edge.failure_delta
            totals[2] += edge.latency_count
    assert {e: edges[e] for e in truth.edges} == {
        e: [item["requests"], item["failures"], item["latency_count"]] for e, item in truth.edges.items()}
    assert set(edges) == set(truth.edges)

    backends: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for data in snapshots:
        for ingress in data.ingress:
            for request in ingress.requests:
                backends[ingress.service_key][f"{request.code}|{request.method}"] += request.delta
            for le, count in ingress.latency_buckets.items():
                backends[ingress.service_key]["le " + le] += count
    for key, item in truth.backends.items():
        assert {k: v for k, v in backends[key].items() if not k.startswith("le ") and v} == item["requests"]
        assert {k[3:]: v for k, v in backends[key].items() if k.startswith("le ")} == item["latency_buckets"]
    assert set(backends) == set(truth.backends)
    inferred = {r.service_key: r for r in snapshots[-1].routes}
    assert inferred["payments-webhooks"].domain == "hooks.example.com"


def test_a_clean_exposition_parses_without_a_malformed_line() -> None:
    model = ClusterModel(seed=4)
    model.observed(model.advance())
    model.advance()
    body = model.render()
    scrape = ExpositionParser("otel_").parse([body.encode()], timestamp=1.0)
    names = [line.split("{", 1)[0] for line in body.splitlines() if line and not line.startswith("#")]
    relevant = [name for name in names if name.removeprefix("otel_") in SAMPLE_NAMES]
    assert scrape.stats.malformed_lines == 0
    assert len(scrape.samples) == len(relevant) > 5000
    assert len(names) > len(relevant)  # unrelated families are there, and dropped
