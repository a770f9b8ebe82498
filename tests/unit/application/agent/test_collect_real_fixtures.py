"""Real expositions (``tests/fixtures/real-metrics``) through the real parser and the collect use case.

Each fixture is one snapshot of counters; a second scrape is made by growing
every counter, and the expected snapshot is computed here, independently of
the agent, with a plain line reader.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

import pytest
from tests.fixtures.paths import real_metrics_text
from tests.unit.domain.agent.samples import FixedRoutes

from adapters.exposition import parser as parser_module
from application.agent.collect import CollectOptions, CollectUseCase
from domain.contract import Route, SLOData
from domain.families import SAMPLE_NAMES
from domain.series import Scrape

_LINE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?P<labels>.*)\}\s+(?P<value>\S+)\s*$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def fixture(name: str) -> str:
    return real_metrics_text(name)


def samples_of(text: str, names: tuple[str, ...]) -> list[tuple[str, dict[str, str], float, str]]:
    """(name, labels, value, raw line) of every labelled sample of the given names."""
    out = []
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match and match.group("name").startswith(names):
            labels = dict(_LABEL.findall(match.group("labels")))
            out.append((match.group("name"), labels, float(match.group("value")), line))
    return out


def grow(text: str, names: tuple[str, ...], factor: float) -> str:
    """The exposition with every sample of ``names`` multiplied by ``factor``."""
    lines = []
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match and match.group("name").startswith(names):
            value = float(match.group("value")) * factor
            line = f"{match.group('name')}{{{match.group('labels')}}} {value!r}"
        lines.append(line)
    return "\n".join(lines) + "\n"


class TextSource:
    def __init__(self, *texts: tuple[float, str]) -> None:
        self._parser = parser_module.ExpositionParser(prefix="")
        self._texts = list(texts)

    def scrape(self) -> Scrape:
        timestamp, text = self._texts.pop(0)
        return self._parser.parse([text.encode()], timestamp=timestamp)

    def healthy(self) -> bool:
        return True


def collect_of(first: str, second: str, routes: list[Route] | None = None) -> CollectUseCase:
    source = TextSource((1000, first), (1030, second))
    return CollectUseCase(source, FixedRoutes(routes), CollectOptions(cluster_id="c1"))


def two_scrapes(first: str, second: str, routes: list[Route] | None = None) -> SLOData:
    collect = collect_of(first, second, routes)
    assert collect.run().data is None
    data = collect.run().data
    assert data is not None
    return data


def ms_key(le: str) -> str:
    return "+Inf" if le == "+Inf" else format(Decimal(le).normalize(), "f")


LINKERD = ("response_total", "response_latency_ms_")


def test_linkerd_2_3_proxy_scrape() -> None:
    raw = fixture("linkerd2_proxy_stable-2.3_datadog_fixture.txt")
    # A direct proxy scrape has no pod identity: Prometheus' relabelling adds it. Add it the same way.
    identity = 'namespace="emojivoto",deployment="web",pod="web-7d6f-abcde",'
    labelled = re.sub(r"^(response_total|response_latency_ms_\w+)\{", lambda m: m.group(0) + identity, raw,
                      flags=re.MULTILINE)
    data = two_scrapes(labelled, grow(labelled, LINKERD, 3.0))
    # Every counter tripled: the interval's increment is twice the fixture's value.
    requests: dict[tuple[str, str], float] = defaultdict(float)
    tls = 0.0
    buckets: dict[str, float] = defaultdict(float)
    latency = {"sum": 0.0, "count": 0.0}
    edges: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for name, labels, value, _ in samples_of(raw, LINKERD):
        increment = 2 * value
        if labels.get("direction") == "inbound":
            if name == "response_total":
                requests[(labels["status_code"], labels["classification"])] += increment
                tls += increment if labels.get("tls") == "true" else 0.0
            elif name == "response_latency_ms_bucket":
                buckets[ms_key(labels["le"])] += increment
            elif name in ("response_latency_ms_sum", "response_latency_ms_count"):
                latency[name.rsplit("_", 1)[1]] += increment
        elif labels.get("direction") == "outbound" and labels.get("dst_deployment"):
            edge = edges[(labels["dst_namespace"], labels["dst_deployment"])]
            if name == "response_total":
                edge["requests"] += increment
                edge["failures"] += increment if labels["classification"] == "failure" else 0.0
            elif name in ("response_latency_ms_sum", "response_latency_ms_count"):
                edge[name.rsplit("_", 1)[1]] += increment
    assert requests and buckets and edges  # the fixture holds all three

    (service,) = data.services
    assert (service.namespace, service.name) == ("emojivoto", "web")
    assert {(r.status_code, r.classification): r.delta for r in service.requests} == {
        key: round(value) for key, value in requests.items()
    }
    assert service.total_request_delta == round(sum(requests.values()))
    assert service.tls_request_delta == round(tls)
    assert service.latency_buckets == {key: round(value) for key, value in buckets.items()}
    assert service.latency_sum == pytest.approx(latency["sum"])
    assert service.latency_count == round(latency["count"])
    # The fixture's quirk: the histogram's count is not the response count.
    assert service.latency_count != service.total_request_delta

    got_edges = {
        (e.dst_ns, e.dst_name): (e.request_delta, e.failure_delta, e.latency_count) for e in data.edges
    }
    assert got_edges == {
        key: (round(e["requests"]), round(e["failures"]), round(e["count"])) for key, e in edges.items()
    }
    for edge in data.edges:
        assert edge.latency_sum == pytest.approx(edges[(edge.dst_ns, edge.dst_name)]["sum"])
        assert (edge.src_ns, edge.src_name) == ("emojivoto", "web")


TRAEFIK = ("traefik_service_",)


def test_traefik_v2_service_families() -> None:
    raw = fixture("written_traefik_v2_service.txt")
    data = two_scrapes(raw, grow(raw, TRAEFIK, 2.0))  # increment = the fixture's value
    expected: dict[str, dict[str, dict[str, float]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(float))
    )
    for name, labels, value, _ in samples_of(raw, TRAEFIK):
        backend = expected[labels["service"].split("@")[0]]
        if name == "traefik_service_requests_total":
            backend["requests"][f"{labels['code']} {labels['method']}"] += value
        elif name.endswith("_bucket"):
            le = labels["le"]
            backend["buckets"][str(Decimal(le) * 1000) if le != "+Inf" else "+Inf"] += value
        elif name.endswith("_sum"):
            backend["sum"]["ms"] += value * 1000
        elif name.endswith("_count"):
            backend["count"]["n"] += value
    assert set(expected) == {"readiness", "test-server-80"}
    got = {item.service_key: item for item in data.ingress}
    assert set(got) == set(expected)
    for key, item in got.items():
        want = expected[key]
        assert {f"{r.code} {r.method}": r.delta for r in item.requests} == {
            k: round(v) for k, v in want["requests"].items()
        }
        assert {Decimal(k) if k != "+Inf" else k: v for k, v in item.latency_buckets.items()} == {
            Decimal(k) if k != "+Inf" else k: round(v) for k, v in want["buckets"].items()
        }
        assert set(item.latency_buckets) >= {"100", "300", "1200", "5000", "+Inf"}
        assert item.latency_sum == pytest.approx(want["sum"]["ms"])
        assert item.latency_count == round(want["count"]["n"])


NGINX = ("nginx_ingress_controller_request",)


def test_ingress_nginx_without_service_port_takes_the_route_port_or_infers_a_route() -> None:
    raw = fixture("written_ingress_nginx_v1.15_one_request.txt")
    grown = grow(raw, NGINX, 5.0)  # increment: four times the fixture's single request
    inferred = two_scrapes(raw, grown)
    (item,) = inferred.ingress
    assert item.service_key == "monitoring-prometheus-stack-kube-prom-prometheus"
    assert [(r.code, r.method, r.delta) for r in item.requests] == [("200", "GET", 4)]
    assert item.latency_buckets == {
        "5": 0, "10": 0, "25": 0, "50": 0, "100": 0, "250": 4, "500": 4, "1000": 4, "2500": 4,
        "5000": 4, "10000": 4, "+Inf": 4,
    }
    assert item.latency_sum == pytest.approx(0.133 * 4 * 1000)
    (route,) = inferred.routes
    assert (route.domain, route.path_prefix, route.name, route.namespace) == (
        "prometheus.example.com", "/", "monitoring-ingress", "monitoring"
    )
    assert (route.service_key, route.service_port, route.tls) == (item.service_key, 0, False)

    known = Route(name="monitoring-ingress", namespace="monitoring", domain="prometheus.example.com",
                  service_key="monitoring-prometheus-stack-kube-prom-prometheus-9090",
                  service_name="prometheus-stack-kube-prom-prometheus", service_port=9090, tls=True)
    routed = two_scrapes(raw, grown, routes=[known])
    assert [i.service_key for i in routed.ingress] == [known.service_key]
    assert routed.routes == [known]


def test_old_ingress_nginx_default_backend_series_are_skipped() -> None:
    raw = fixture("ingress_nginx_controller_datadog_fixture.txt")
    collect = collect_of(raw, grow(raw, NGINX, 2.0))
    collect.run()
    result = collect.run()
    assert result.data is not None
    nginx_lines = [sample for sample in samples_of(raw, NGINX) if sample[0] in SAMPLE_NAMES]
    unplaceable = [
        labels for _, labels, _, _ in nginx_lines if not (labels.get("namespace") and labels.get("service"))
    ]
    assert unplaceable
    assert result.stats.skipped.get("no_backend_key") == len(unplaceable)
    assert result.data.ingress == [] or all(i.service_key for i in result.data.ingress)
