"""Exact numbers of the aggregation (SPEC §2.2, §2.4): each test chooses increments, builds the two
scrapes around them and checks the snapshot against the chosen increments."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.domain.agent.samples import FakeMetricsSource, FixedRoutes, histogram, scrape, series

from application.agent.collect import CollectOptions, CollectResult, CollectUseCase
from domain.contract import Route, SLOData
from domain.series import Series

Samples = list[tuple[Series, float]]
NO_COMPENSATION = CollectOptions(cluster_id="c1", probe_compensation=False)


def run_interval(
    before: Samples,
    after: Samples,
    options: CollectOptions | None = None,
    routes: list[Route] | None = None,
) -> CollectResult:
    source = FakeMetricsSource(scrape(1000, before), scrape(1030, after))
    collect = CollectUseCase(source, FixedRoutes(routes), options or CollectOptions(cluster_id="c1"))
    assert collect.run().data is None
    return collect.run()


def interval(before: Samples, after: Samples, **kwargs: object) -> SLOData:
    data = run_interval(before, after, **kwargs).data  # type: ignore[arg-type]
    assert data is not None
    return data


def grown(samples: Samples, increments: dict[str, float]) -> Samples:
    """The same series, each grown by its increment (keyed by series key; default 0)."""
    return [(s, value + increments.get(s.key, 0.0)) for s, value in samples]


def pod_labels(pod: str, workload: str = "web", kind: str = "deployment", **extra: str) -> dict[str, str]:
    return {"namespace": "shop", kind: workload, "pod": pod, "direction": "inbound", **extra}


def responses(code: str, classification: str, **labels: str) -> Series:
    return series("response_total", status_code=code, classification=classification, **labels)


# --- workloads ------------------------------------------------------------------------------

def test_requests_by_status_and_classification_and_mtls() -> None:
    a = pod_labels("web-1")
    b = pod_labels("web-2")
    s200_tls = responses("200", "success", tls="true", client_id="front", **a)
    s200_plain = responses("200", "success", tls="no_identity", **a)
    s503_tls = responses("503", "failure", tls="true", **b)
    s200_b = responses("200", "success", tls="true", **b)
    before = [(s200_tls, 100.0), (s200_plain, 7.0), (s503_tls, 2.0), (s200_b, 50.0)]
    after = grown(before, {s200_tls.key: 40, s200_plain.key: 5, s503_tls.key: 3, s200_b.key: 10})
    (service,) = interval(before, after).services
    assert (service.namespace, service.name) == ("shop", "web")
    assert [(r.status_code, r.classification, r.delta) for r in service.requests] == [
        ("200", "success", 55),
        ("503", "failure", 3),
    ]
    assert service.total_request_delta == 58
    assert service.tls_request_delta == 53


@pytest.mark.parametrize("kind", ["deployment", "statefulset", "daemonset"])
def test_workload_name_from_each_kind(kind: str) -> None:
    s = responses("200", "success", **pod_labels("x-0", workload="store", kind=kind))
    (service,) = interval([(s, 1.0)], [(s, 4.0)]).services
    assert (service.name, service.total_request_delta) == ("store", 3)


def test_latency_histogram_is_summed_per_bucket_across_series_and_pods() -> None:
    h1 = histogram("response_latency_ms", {"10": 5, "100.0": 8, "+Inf": 9}, 300.0, 9,
                   **pod_labels("web-1", status_code="200"))
    h2 = histogram("response_latency_ms", {"10": 0, "100": 1, "+Inf": 1}, 80.0, 1,
                   **pod_labels("web-2", status_code="200"))
    before = h1 + h2
    after = [(s, v * 3) for s, v in h1] + [(s, v * 2) for s, v in h2]  # increments: 2×h1, 1×h2
    (service,) = interval(before, after, options=NO_COMPENSATION).services
    assert service.latency_buckets == {"10": 10, "100": 17, "+Inf": 19}
    assert service.latency_sum == pytest.approx(680.0)
    assert service.latency_count == 19


def test_zero_delta_items_are_left_out() -> None:
    busy = responses("200", "success", **pod_labels("a", workload="busy"))
    idle = responses("200", "success", **pod_labels("b", workload="idle"))
    idle_labels = pod_labels("b", workload="idle")
    idle_hist = histogram("response_latency_ms", {"10": 4, "+Inf": 4}, 9.0, 4, **idle_labels)
    before = [(busy, 1.0), (idle, 5.0), *idle_hist]
    after = grown(before, {busy.key: 1})
    assert [s.name for s in interval(before, after).services] == ["busy"]


def test_fractional_increments_are_rounded_only_at_the_end() -> None:
    parts = [responses("200", "success", **pod_labels("a", client_id=f"c{i}")) for i in range(4)]
    before = [(s, 0.0) for s in parts]
    after = [(s, 0.4) for s in parts]  # 4 × 0.4 = 1.6 → 2 (truncating each first would give 0)
    (service,) = interval(before, after).services
    assert service.total_request_delta == 2
    assert service.requests[0].delta == 2


# --- probe compensation -----------------------------------------------------------------------

def _probe_pod(pod: str, probes: float, with_route_name: bool = False) -> tuple[Samples, Samples]:
    labels = pod_labels(pod)
    if with_route_name:
        labels["route_name"] = "GET /"
    hist = histogram("response_latency_ms", {"5": 0, "10": 0, "100": 0, "+Inf": 0}, 0.0, 0, **labels)
    probe = responses("200", "success", route_name="probe", **pod_labels(pod))
    real = responses("200", "success", route_name="GET /", **pod_labels(pod))
    before = [*hist, (probe, 1000.0), (real, 500.0)]
    # Interval: 70 real requests and `probes` probes, all in the latency histogram.
    bucket_increments = {"5": probes + 10, "10": probes + 40, "100": probes + 65, "+Inf": probes + 70}
    increments = {probe.key: probes, real.key: 70.0}
    for s, _ in hist:
        if s.family.endswith("_bucket"):
            increments[s.key] = bucket_increments[s.labels["le"]]
        elif s.family.endswith("_count"):
            increments[s.key] = probes + 70
        else:
            increments[s.key] = 1500.0
    return before, grown(before, increments)


def test_probe_compensation_takes_the_pods_probes_out_of_count_and_buckets() -> None:
    before, after = _probe_pod("web-1", probes=30)
    (service,) = interval(before, after).services
    assert service.latency_buckets == {"5": 10, "10": 40, "100": 65, "+Inf": 70}
    assert service.latency_count == 70
    assert service.latency_sum == pytest.approx(1500.0)  # the sum is left alone
    assert service.total_request_delta == 70  # probe requests are filtered from requests


def test_probe_compensation_is_floored_at_zero() -> None:
    before, after = _probe_pod("web-1", probes=30)
    # A pod whose histogram saw fewer fast requests than probes: the first bucket floors at zero.
    bucket = next(s for s, _ in before if s.family.endswith("_bucket") and s.labels["le"] == "5")
    after = [(s, v - 35 if s.key == bucket.key else v) for s, v in after]  # 5ms bucket grew 5, probes 30
    (service,) = interval(before, after).services
    assert service.latency_buckets["5"] == 0
    assert service.latency_buckets["10"] == 40


def test_probe_compensation_switched_off_leaves_histograms_alone() -> None:
    before, after = _probe_pod("web-1", probes=30)
    (service,) = interval(before, after, options=NO_COMPENSATION).services
    assert service.latency_buckets == {"5": 40, "10": 70, "100": 95, "+Inf": 100}
    assert service.latency_count == 100


def test_probe_compensation_does_not_touch_histograms_that_carry_route_name() -> None:
    before, after = _probe_pod("web-1", probes=30, with_route_name=True)
    (service,) = interval(before, after).services
    assert service.latency_count == 100


def test_probe_compensation_is_per_pod() -> None:
    before1, after1 = _probe_pod("web-1", probes=30)
    before2, after2 = _probe_pod("web-2", probes=0)
    (service,) = interval(before1 + before2, after1 + after2).services
    assert service.latency_buckets == {"5": 20, "10": 80, "100": 130, "+Inf": 140}
    assert service.latency_count == 140


# --- filters ------------------------------------------------------------------------------------

def test_admin_port_and_excluded_namespaces_never_reach_the_snapshot() -> None:
    app = responses("200", "success", srv_port="8080", **pod_labels("a"))
    admin = responses("200", "success", srv_port="4191", **pod_labels("a"))
    admin_labels = pod_labels("a", srv_port="4191")
    admin_hist = histogram("response_latency_ms", {"1": 5, "+Inf": 5}, 5.0, 5, **admin_labels)
    control = responses("200", "success", **{**pod_labels("a"), "namespace": "linkerd"})
    custom = responses("200", "success", **{**pod_labels("a"), "namespace": "batch"})
    before = [(app, 0.0), (admin, 0.0), *admin_hist, (control, 0.0), (custom, 0.0)]
    after = [(s, v + 9) for s, v in before]
    options = CollectOptions(cluster_id="c1", exclude_namespaces=frozenset({"linkerd", "batch"}))
    result = run_interval(before, after, options=options)
    (service,) = result.data.services  # type: ignore[union-attr]
    assert (service.namespace, service.total_request_delta, service.latency_count) == ("shop", 9, 0)
    # admin: one response counter and four histogram series (2 buckets, sum, count).
    assert result.stats.filtered == {"admin_port": 5, "excluded_namespace": 2}
    other_port = run_interval(before, after, options=CollectOptions(cluster_id="c1", admin_port="9999"))
    assert sum(s.total_request_delta for s in other_port.data.services) == 27  # type: ignore[union-attr]


# --- edges --------------------------------------------------------------------------------------

def test_edges_for_each_destination_of_one_pod() -> None:
    src = {"namespace": "shop", "deployment": "front", "pod": "front-1", "direction": "outbound"}
    to_api = {**src, "dst_namespace": "shop", "dst_deployment": "api"}
    to_db = {**src, "dst_namespace": "data", "dst_statefulset": "db"}
    to_nowhere = {**src, "dst_namespace": "shop"}
    api_ok = responses("200", "success", tls="true", **to_api)
    api_err = responses("503", "failure", tls="true", **to_api)
    api_err2 = responses("503", "failure", tls="true", authority="api:80", **to_api)
    db_ok = responses("200", "success", **to_db)
    lost = responses("200", "success", **to_nowhere)
    api_hist = histogram("response_latency_ms", {"10": 0, "+Inf": 0}, 0.0, 0, **to_api)
    db_hist = histogram("response_latency_ms", {"10": 0, "+Inf": 0}, 0.0, 0, **to_db)
    before = [(api_ok, 10.0), (api_err, 1.0), (api_err2, 0.0), (db_ok, 0.0), (lost, 0.0), *api_hist, *db_hist]
    increments = {api_ok.key: 60, api_err.key: 2, api_err2.key: 1, db_ok.key: 12, lost.key: 5}
    for family_suffix, api_value, db_value in (("_sum", 900.5, 48.0), ("_count", 63, 12)):
        increments[series("response_latency_ms" + family_suffix, **to_api).key] = api_value
        increments[series("response_latency_ms" + family_suffix, **to_db).key] = db_value
    result = run_interval(before, grown(before, increments))
    edges = {(e.dst_ns, e.dst_name): e for e in result.data.edges}  # type: ignore[union-attr]
    assert set(edges) == {("shop", "api"), ("data", "db")}
    api = edges[("shop", "api")]
    assert (api.src_ns, api.src_name, api.request_delta, api.failure_delta) == ("shop", "front", 63, 3)
    assert (api.latency_sum, api.latency_count) == (pytest.approx(900.5), 63)
    db = edges[("data", "db")]
    assert (db.request_delta, db.failure_delta, db.latency_sum, db.latency_count) == (12, 0, 48.0, 12)
    assert result.stats.skipped == {"no_dst_workload": 1}
    assert result.data.services == []  # type: ignore[union-attr]


# --- ingress --------------------------------------------------------------------------------------

TRAEFIK_BOUNDS = {"0.1": 0.0, "0.3": 0.0, "1.2": 0.0, "5": 0.0, "+Inf": 0.0}


def test_traefik_providers_are_one_backend_and_seconds_become_exact_milliseconds() -> None:
    crd = {"service": "shop-web-80@kubernetescrd", "code": "200", "method": "GET"}
    ing = {"service": "shop-web-80@kubernetes", "code": "500", "method": "POST"}
    req_crd = series("traefik_service_requests_total", **crd)
    req_ing = series("traefik_service_requests_total", **ing)
    hist_crd = histogram("traefik_service_request_duration_seconds", TRAEFIK_BOUNDS, 0.0, 0, **crd)
    before = [(req_crd, 0.0), (req_ing, 0.0), *hist_crd]
    increments = {req_crd.key: 300, req_ing.key: 4, hist_crd[-2][0].key: 15.25, hist_crd[-1][0].key: 300}
    for (s, _), value in zip(hist_crd, (280, 299, 300, 300, 300), strict=False):
        increments[s.key] = value
    (item,) = interval(before, grown(before, increments)).ingress
    assert item.service_key == "shop-web-80"
    assert [(r.code, r.method, r.delta) for r in item.requests] == [("200", "GET", 300), ("500", "POST", 4)]
    assert item.latency_buckets == {"100": 280, "300": 299, "1200": 300, "5000": 300, "+Inf": 300}
    assert list(item.latency_buckets) == ["100", "300", "1200", "5000", "+Inf"]
    assert item.latency_sum == pytest.approx(15250.0)
    assert item.latency_count == 300


NGINX_BOUNDS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]


def test_nginx_buckets_convert_exactly() -> None:
    labels = {"namespace": "shop", "service": "api", "service_port": "8080", "status": "200", "method": "GET"}
    hist = histogram("nginx_ingress_controller_request_duration_seconds", dict.fromkeys(NGINX_BOUNDS, 0.0),
                     0.0, 0, **labels)
    after = [(s, 1.0 if s.family.endswith("_bucket") else 0.5) for s, _ in hist]
    (item,) = interval(hist, after).ingress
    assert list(item.latency_buckets) == ["5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000",
                                          "10000", "+Inf"]
    assert item.latency_sum == 500.0


def _nginx(pod: str, **labels: str) -> Series:
    family = "nginx_ingress_controller_requests"
    return series(family, controller_pod=pod, method="GET", status="200", **labels)


def test_nginx_key_from_port_label_route_or_neither_and_inferred_routes() -> None:
    with_port = _nginx("c1", namespace="shop", service="api", service_port="8080", host="api.example.com")
    routed = _nginx("c1", namespace="shop", service="web", host="www.example.com", path="/")
    unknown = _nginx("c1", namespace="shop", service="legacy", host="old.example.com", path="/v1",
                     ingress="old")
    no_host = _nginx("c1", namespace="shop", service="nohost")
    broken = _nginx("c1", namespace="", service="", host="x.example.com", path="/")
    routes = [
        Route(name="web", namespace="shop", domain="www.example.com", service_key="shop-web-8443",
              service_name="web", service_port=8443, tls=True),
        Route(name="web", namespace="shop", domain="www.example.com", service_key="shop-web-80",
              service_name="web", service_port=80, tls=True),
        Route(name="other", namespace="other", domain="o.example.com", service_key="other-legacy-81",
              service_name="legacy", service_port=81),
    ]
    before = [(with_port, 0.0), (routed, 0.0), (unknown, 0.0), (no_host, 0.0), (broken, 0.0)]
    result = run_interval(before, [(s, 6.0) for s, _ in before], routes=routes)
    data = result.data
    assert data is not None
    assert {i.service_key: i.requests[0].delta for i in data.ingress} == {
        "shop-api-8080": 6,
        "shop-web-80": 6,  # lowest port of the routes to shop/web
        "shop-legacy": 6,  # no port anywhere (the route to legacy is in another namespace)
        "shop-nohost": 6,
    }
    assert result.stats.skipped == {"no_backend_key": 1}
    inferred = data.routes[len(routes):]
    assert [(r.service_key, r.domain, r.path_prefix, r.name, r.service_port, r.tls) for r in inferred] == [
        ("shop-api-8080", "api.example.com", "/", "", 0, False),
        ("shop-legacy", "old.example.com", "/v1", "old", 0, False),
    ]
    assert result.stats.inferred_routes == 2


def test_several_controller_replicas_are_separate_counters() -> None:
    labels = {"namespace": "shop", "service": "api", "service_port": "80"}
    c1, c2, c3 = (_nginx(pod, **labels) for pod in ("c1", "c2", "c3"))
    # c2 restarted during the interval: it counted 4 since. Summing raw counters first would
    # have seen 1000+500+20 → 1030+4+30 and reported a reset or a negative number.
    before = [(c1, 1000.0), (c2, 500.0), (c3, 20.0)]
    after = [(c1, 1030.0), (c2, 4.0), (c3, 30.0)]
    result = run_interval(before, after)
    (item,) = result.data.ingress  # type: ignore[union-attr]
    assert item.requests[0].delta == 30 + 4 + 10
    assert result.stats.resets == 1


# --- property: resets at different times never lose increments ----------------------------------

@settings(max_examples=60, deadline=None)
@given(st.data())
def test_workload_total_equals_true_increments_whatever_the_resets(data: st.DataObject) -> None:
    n_series = data.draw(st.integers(min_value=1, max_value=6))
    steps = data.draw(st.integers(min_value=2, max_value=8))
    parts = [responses("200", "success", **pod_labels("web-1", client_id=f"c{i}")) for i in range(n_series)]
    values = [data.draw(st.integers(0, 1000)) for _ in parts]
    source = FakeMetricsSource(scrape(1000, [(s, float(v)) for s, v in zip(parts, values, strict=True)]))
    collect = CollectUseCase(source, FixedRoutes(), CollectOptions(cluster_id="c1"))
    collect.run()
    expected = reported = 0
    for step in range(1, steps):
        for i in range(n_series):
            if values[i] > 0 and data.draw(st.booleans()):
                values[i] = data.draw(st.integers(0, values[i] - 1))  # restart: counted this many since
                expected += values[i]
            else:
                increment = data.draw(st.integers(0, 50))
                values[i] += increment
                expected += increment
        source.push(scrape(1000 + 30 * step, [(s, float(v)) for s, v in zip(parts, values, strict=True)]))
        result = collect.run().data
        assert result is not None
        reported += sum(s.total_request_delta for s in result.services)
    assert reported == expected


def test_one_pods_series_for_the_same_status_code_reset_at_different_times() -> None:
    # Three series for 200 on one pod (different clients); two of them restart during the interval.
    a, b, c = (responses("200", "success", **pod_labels("web-1", client_id=name)) for name in "abc")
    before = [(a, 500.0), (b, 80.0), (c, 7.0)]
    after = [(a, 520.0), (b, 6.0), (c, 3.0)]  # true increments: 20, 6 (restarted), 3 (restarted)
    result = run_interval(before, after)
    (service,) = result.data.services  # type: ignore[union-attr]
    assert service.total_request_delta == 29
    assert result.stats.resets == 2
    # Summing the raw counters first (587 → 529) would have reported 529 or nothing at all.


def test_absurd_counter_values_do_not_break_the_snapshot() -> None:
    a, b = (responses("200", "success", **pod_labels("web-1", client_id=name)) for name in "ab")
    before = [(a, 0.0), (b, 0.0)]
    after = [(a, 1e308), (b, 1e308)]  # each finite; their sum is not
    data = interval(before, after)
    assert data.timestamp == 1030  # a valid snapshot, whatever the service's figures


def test_nan_sum_of_an_idle_histogram_is_absent_while_its_buckets_count() -> None:
    labels = {"namespace": "shop", "service": "api", "service_port": "80", "status": "200", "method": "GET"}
    family = "nginx_ingress_controller_request_duration_seconds"
    before = histogram(family, {"0.1": 0.0, "+Inf": 0.0}, float("nan"), 0.0, **labels)
    after = histogram(family, {"0.1": 2.0, "+Inf": 3.0}, float("nan"), 3.0, **labels)
    result = run_interval(before, after)
    (item,) = result.data.ingress  # type: ignore[union-attr]
    assert (item.latency_buckets, item.latency_sum, item.latency_count) == ({"100": 2, "+Inf": 3}, 0.0, 3)
    assert result.stats.invalid_values == 1


def test_nginx_backend_key_follows_the_routes_of_each_cycle() -> None:
    requests = _nginx("c1", namespace="shop", service="api")
    route = Route(name="api", namespace="shop", domain="api.example.com", service_key="shop-api-8080",
                  service_name="api", service_port=8080)

    class ChangingRoutes:
        def __init__(self) -> None:
            self.answers = [[route], []]

        def routes(self) -> list[Route]:
            return self.answers.pop(0)

    source = FakeMetricsSource(*(scrape(1000 + 30 * i, [(requests, 10.0 * i)]) for i in range(3)))
    collect = CollectUseCase(source, ChangingRoutes(), CollectOptions(cluster_id="c1"))
    collect.run()
    first, second = collect.run().data, collect.run().data
    assert [(i.service_key, i.requests[0].delta) for i in first.ingress] == [("shop-api-8080", 10)]  # type: ignore[union-attr]
    assert [(i.service_key, i.requests[0].delta) for i in second.ingress] == [("shop-api", 10)]  # type: ignore[union-attr]
    assert first.routes == [route] and second.routes == []  # type: ignore[union-attr]
