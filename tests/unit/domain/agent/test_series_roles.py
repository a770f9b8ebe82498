"""Filters of SPEC §2.2 and the keys of §2.4, decided per series."""

from __future__ import annotations

import pytest
from tests.unit.domain.agent.samples import series

from domain.agent.roles import (
    BackendLatency,
    BackendRequests,
    Dropped,
    EdgeLatency,
    EdgeRequests,
    FilterOptions,
    Part,
    ProbeRequests,
    Reason,
    SeriesClassifier,
    WorkloadLatency,
    WorkloadRequests,
)

OPTIONS = FilterOptions(exclude_namespaces=frozenset({"linkerd", "kube-system"}), admin_port="4191")
IN = {"namespace": "shop", "deployment": "checkout", "pod": "checkout-1", "direction": "inbound"}
OUT = {"namespace": "shop", "deployment": "frontend", "pod": "frontend-1", "direction": "outbound"}


def role(family: str, **labels: str) -> object:
    return SeriesClassifier(OPTIONS).classify(series(family, **labels))


def test_inbound_response_feeds_its_workload() -> None:
    assert role("response_total", status_code="503", classification="failure", tls="true", **IN) == (
        WorkloadRequests(("shop", "checkout"), "503", "failure", True)
    )
    assert role("response_total", status_code="200", classification="success", tls="no_identity", **IN) == (
        WorkloadRequests(("shop", "checkout"), "200", "success", False)
    )


def test_missing_classification_is_derived_from_the_status_code() -> None:
    assert role("response_total", status_code="502", **IN) == WorkloadRequests(
        ("shop", "checkout"), "502", "failure", False
    )
    assert role("response_total", status_code="404", **IN) == WorkloadRequests(
        ("shop", "checkout"), "404", "success", False
    )


def test_inbound_latency_bucket_key_is_canonical_and_compensable_without_route_name() -> None:
    got = role("response_latency_ms_bucket", le="10.0", **IN)
    pod = ("shop", "checkout", "checkout-1")
    assert got == WorkloadLatency(("shop", "checkout"), pod, Part.BUCKET, "10", True)
    with_route = role("response_latency_ms_count", route_name="GET /api", **IN)
    assert isinstance(with_route, WorkloadLatency) and not with_route.compensable


def test_probe_requests_are_kept_aside_and_other_probe_series_dropped() -> None:
    assert role("response_total", route_name="probe", status_code="200", **IN) == ProbeRequests(
        ("shop", "checkout", "checkout-1")
    )
    assert role("response_latency_ms_count", route_name="probe", **IN) == Dropped(Reason.PROBE)
    assert role("response_total", route_name="probe", **OUT) == Dropped(Reason.PROBE)
    assert role(
        "traefik_service_requests_total", route_name="probe", service="a-b-80@x", code="200"
    ) == Dropped(Reason.PROBE)


@pytest.mark.parametrize(
    "family", ["response_total", "response_latency_ms_bucket", "response_latency_ms_sum"]
)
def test_admin_port_and_excluded_namespace_are_filtered(family: str) -> None:
    assert role(family, srv_port="4191", le="1", **IN) == Dropped(Reason.ADMIN_PORT)
    assert role(family, le="1", **{**IN, "namespace": "linkerd"}) == Dropped(Reason.EXCLUDED_NAMESPACE)
    assert isinstance(role(family, srv_port="8080", le="1", **IN), WorkloadRequests | WorkloadLatency)


def test_probe_on_the_admin_port_does_not_compensate() -> None:
    assert role("response_total", route_name="probe", srv_port="4191", **IN) == Dropped(Reason.ADMIN_PORT)


def test_series_that_cannot_be_placed_are_skipped_with_their_reason() -> None:
    assert role("response_total", namespace="shop", direction="inbound") == Dropped(Reason.NO_WORKLOAD)
    assert role("response_total", deployment="x", direction="inbound") == Dropped(Reason.NO_NAMESPACE)
    assert role("response_total", namespace="shop", deployment="x") == Dropped(Reason.NO_DIRECTION)
    assert role("response_total", dst_namespace="shop", **OUT) == Dropped(Reason.NO_DST_WORKLOAD)
    assert role("response_total", dst_deployment="api", **OUT) == Dropped(Reason.NO_DST_WORKLOAD)
    assert role("response_latency_ms_bucket", le="fast", **IN) == Dropped(Reason.BAD_BUCKET)
    assert role("response_total", status_code="x" * 17, **IN) == Dropped(Reason.LABEL_TOO_LONG)
    assert role("response_total", **{**IN, "deployment": "x" * 254}) == Dropped(Reason.LABEL_TOO_LONG)
    assert role("process_cpu_seconds_total", **IN) == Dropped(Reason.UNRELATED_FAMILY)
    assert not Dropped(Reason.NO_WORKLOAD).filtered
    assert Dropped(Reason.PROBE).filtered


def test_outbound_series_feed_the_edge_of_their_destination() -> None:
    dst = {"dst_namespace": "shop", "dst_statefulset": "cart"}
    edge = ("shop", "frontend", "shop", "cart")
    assert role("response_total", classification="failure", status_code="503", **OUT, **dst) == EdgeRequests(
        edge, True
    )
    assert role("response_latency_ms_sum", **OUT, **dst) == EdgeLatency(edge, Part.SUM)
    assert role("response_latency_ms_count", **OUT, **dst) == EdgeLatency(edge, Part.COUNT)
    # Edges carry no buckets: keeping them would only cost memory.
    assert role("response_latency_ms_bucket", le="5", **OUT, **dst) == Dropped(Reason.UNUSED)


def test_traefik_backend_and_seconds_buckets() -> None:
    family = "traefik_service_request_duration_seconds_bucket"
    got = role(family, service="shop-web-80@kubernetescrd", le="1.2")
    assert isinstance(got, BackendLatency)
    assert (got.backend.key, got.part, got.le) == ("shop-web-80", Part.BUCKET, "1200")
    requests = role("traefik_service_requests_total", service="shop-web-80@k8s", code="502", method="POST")
    assert isinstance(requests, BackendRequests)
    assert (requests.backend.key, requests.code, requests.method) == ("shop-web-80", "502", "POST")
    assert role("traefik_service_requests_total", service="@internal") == Dropped(Reason.NO_BACKEND_KEY)
    # The controller's own namespace says nothing about the backend.
    kept = role("traefik_service_requests_total", service="shop-web-80@k8s", namespace="kube-system")
    assert isinstance(kept, BackendRequests)


@pytest.mark.parametrize(
    "family", ["nginx_ingress_controller_requests", "nginx_ingress_controller_requests_total"]
)
def test_nginx_backend_with_and_without_port(family: str) -> None:
    with_port = role(family, namespace="shop", service="api", service_port="8080", status="200", method="GET")
    assert isinstance(with_port, BackendRequests) and with_port.backend.key == "shop-api-8080"
    without = role(family, namespace="shop", service="api", host="api.example.com", path="/v1", ingress="api")
    assert isinstance(without, BackendRequests)
    assert (without.backend.key, without.backend.namespace, without.backend.service) == ("", "shop", "api")
    backend = without.backend
    assert (backend.host, backend.path, backend.ingress) == ("api.example.com", "/v1", "api")
    assert role(family, namespace="", service="", status="404") == Dropped(Reason.NO_BACKEND_KEY)
    assert role(family, namespace="kube-system", service="dash") == Dropped(Reason.EXCLUDED_NAMESPACE)


def test_classifier_caches_roles_and_prunes_when_series_churn() -> None:
    classifier = SeriesClassifier(OPTIONS)
    first = classifier.role(series("response_total", status_code="200", **IN))
    assert classifier.role(series("response_total", status_code="200", **IN)) is first
    for index in range(3000):
        classifier.role(series("response_total", status_code=str(index), **IN))
    classifier.prune(live_series=10)
    assert classifier.role(series("response_total", status_code="200", **IN)) is not first


def test_equal_roles_of_different_series_share_one_slot() -> None:
    classifier = SeriesClassifier(OPTIONS)
    a = classifier.role(series("response_total", status_code="200", client_id="a", **IN))
    b = classifier.role(series("response_total", status_code="200", client_id="b", **IN))
    c = classifier.role(series("response_total", status_code="500", **IN))
    assert a is b
    assert isinstance(a, WorkloadRequests) and isinstance(c, WorkloadRequests)
    assert a.slot != c.slot
    assert classifier.role_of_slot(a.slot) is a and classifier.role_of_slot(c.slot) is c
    # The slot is bookkeeping, not part of the role's value.
    assert a == WorkloadRequests(("shop", "checkout"), "200", "success", False)
