"""Every exposition sample in ``tests/fixtures/real-metrics`` parses, and yields what a plain reading finds.

The expected figures are counted here with a line-by-line regular expression
over the file, independently of the parser.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from tests.fixtures.paths import PROMETHEUS_TESTS, REAL_METRICS, real_metrics_files

from adapters.exposition.parser import ExpositionParser
from domain.families import SAMPLE_NAMES
from domain.series import Scrape

# Prometheus' PromQL test files are not expositions, but a parser must still get through them.
FILES = real_metrics_files() + sorted(PROMETHEUS_TESTS.glob("*.test"))
_SAMPLE_LINE = re.compile(r"^[ \t]*([a-zA-Z_:][a-zA-Z0-9_:]*)[ \t]*[{ \t]")


def read(name: str | Path) -> tuple[str, Scrape]:
    body = (REAL_METRICS / name).read_bytes()  # an absolute path replaces the directory
    return body.decode(), ExpositionParser("").parse([body[i : i + 4096] for i in range(0, len(body), 4096)])


def families_found_by_hand(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in text.split("\n"):
        match = _SAMPLE_LINE.match(line)
        if match and match.group(1) in SAMPLE_NAMES:
            found[match.group(1)] += 1
    return found


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_each_file_parses_and_keeps_exactly_the_relevant_lines(path: Path) -> None:
    text, scrape = read(path)
    assert scrape.stats.bytes_read == path.stat().st_size
    assert scrape.stats.lines == len(text.split("\n")) - (1 if text.endswith("\n") else 0)
    kept = Counter(series.family for series, _ in scrape.samples)
    assert kept == families_found_by_hand(text)
    assert scrape.stats.malformed_lines == 0 or path.suffix == ".test"


@pytest.mark.parametrize(
    ("name", "family", "count"),
    [
        ("linkerd2_proxy_stable-2.3_datadog_fixture.txt", "response_total", 4),
        ("linkerd2_proxy_stable-2.3_datadog_fixture.txt", "response_latency_ms_bucket", 312),
        ("linkerd2_proxy_stable-2.3_datadog_fixture.txt", "response_latency_ms_count", 12),
        ("written_linkerd2_proxy_truncated_histogram.txt", "response_latency_ms_bucket", 8),
        ("written_linkerd2_proxy_modern_labels.txt", "response_total", 3),
        ("written_linkerd2_inbound_srv_labels.txt", "response_latency_ms_bucket", 4),
        ("written_traefik_v2_service.txt", "traefik_service_requests_total", 3),
        ("traefik_v2_proxy_datadog_traefik_mesh_fixture.txt", "traefik_service_requests_total", 1),
        ("traefik_v3_proxy_datadog_traefik_mesh_fixture.txt", "traefik_service_requests_total", 1),
        ("ingress_nginx_controller_datadog_fixture.txt", "nginx_ingress_controller_requests", 3),
        ("written_ingress_nginx_v1.15_one_request.txt", "nginx_ingress_controller_requests", 1),
        ("written_ingress_nginx_v1.2_idle.txt", "nginx_ingress_controller_requests", 0),
    ],
)
def test_known_series_counts(name: str, family: str, count: int) -> None:
    _, scrape = read(name)
    assert sum(1 for series, _ in scrape.samples if series.family == family) == count


def test_linkerd_series_keep_every_label_and_their_value() -> None:
    text, scrape = read("linkerd2_proxy_stable-2.3_datadog_fixture.txt")
    responses = [(series, value) for series, value in scrape.samples if series.family == "response_total"]
    # Distinct counters for the same status code (they differ by client_id / authority / tls).
    assert len({series.key for series, _ in responses}) == 4
    lines = [line for line in text.split("\n") if line.startswith("response_total{")]
    assert sorted(value for _, value in responses) == sorted(float(line.rsplit(" ", 1)[1]) for line in lines)
    outbound = [
        (series.labels.get("dst_deployment"), value)
        for series, value in responses
        if series.labels["direction"] == "outbound"
    ]
    assert ("linkerd-prometheus", 16275.0) in outbound


def test_traefik_service_label_and_values() -> None:
    _, scrape = read("written_traefik_v2_service.txt")
    requests = {
        (series.labels["service"], series.labels["code"]): value
        for series, value in scrape.samples
        if series.family == "traefik_service_requests_total"
    }
    assert requests == {
        ("readiness@http", "200"): 300162.0,
        ("test-server-80@http", "200"): 34311.0,
        ("readiness@http", "499"): 3.0,
    }


def test_nginx_request_labels() -> None:
    _, scrape = read("written_ingress_nginx_v1.15_one_request.txt")
    ((series, value),) = [s for s in scrape.samples if s[0].family == "nginx_ingress_controller_requests"]
    assert value == 1.0
    assert series.labels["service"] == "prometheus-stack-kube-prom-prometheus"
    assert series.labels["canary"] == ""
    assert "service_port" not in series.labels


def test_the_indented_modern_linkerd_lines_keep_their_labels() -> None:
    _, scrape = read("written_linkerd2_proxy_modern_labels.txt")
    assert [value for _, value in scrape.samples] == [65.0, 7.0, 1.0]
    assert scrape.samples[2][0].labels["srv_port"] == "4191"


def test_a_second_reading_of_every_file_gives_the_same_series_objects() -> None:
    for path in FILES:
        # One parser per file: an exposition without relevant series after one with many is refused.
        parser = ExpositionParser("")
        body = path.read_bytes()
        first = parser.parse([body])
        second = parser.parse([body])
        assert [s for s, _ in first.samples] == [s for s, _ in second.samples]
        assert all(a is b for (a, _), (b, _) in zip(first.samples, second.samples, strict=True))


@pytest.mark.parametrize(
    "name",
    [
        "otel_go_exporter_golden_counter_utf8.txt",
        "prometheus_federate_openshift_docs_example.txt",
        "jmx_exporter_kafka_msk_datadog_fixture_excerpt.txt",
        "written_kube_state_metrics_escaped_json_line.txt",
        "prometheus_textparse_alltypes.5mfs.om.txt",
    ],
)
def test_files_of_unrelated_families_are_read_as_unrelated_without_errors(name: str) -> None:
    text, scrape = read(name)
    sample_lines = sum(1 for line in text.split("\n") if line.strip() and not line.lstrip().startswith("#"))
    assert scrape.samples == []
    assert scrape.stats.unrelated_lines == sample_lines
    assert scrape.stats.malformed_lines == 0
