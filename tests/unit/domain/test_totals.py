import pytest

from domain.totals import IngressTotals, WorkloadTotals, method_bucket


def test_workload_totals_add_and_derive() -> None:
    a = WorkloadTotals(requests=100, errors=5, tls_requests=50, total_requests=100,
                       latency_sum=1000.0, latency_count=100, buckets={"10": 60, "100": 100, "+Inf": 100})
    a.status_classes["2xx"] = 95
    b = WorkloadTotals(requests=100, errors=15, tls_requests=100, total_requests=100,
                       latency_sum=3000.0, latency_count=100, buckets={"10": 20, "100": 90, "+Inf": 100})
    b.status_classes["5xx"] = 15
    a.add(b)
    assert (a.requests, a.errors) == (200, 20)
    assert a.availability == pytest.approx(90.0)
    assert a.error_rate == pytest.approx(10.0)
    assert a.mtls_percent == pytest.approx(75.0)
    assert a.avg_latency == pytest.approx(20.0)
    assert a.buckets == {"10": 80, "100": 190, "+Inf": 200}
    assert a.status_classes == {"2xx": 95, "3xx": 0, "4xx": 0, "5xx": 15}
    # p50: rank 100 falls in (10, 100] holding 110 observations after the first 80.
    assert a.p50 == pytest.approx(10 + 90 * (20 / 110))


def test_empty_totals_have_no_values() -> None:
    empty = WorkloadTotals()
    assert empty.availability is None and empty.p95 is None and empty.mtls_percent is None


def test_ingress_methods_sum_per_method() -> None:
    a = IngressTotals(methods={"GET": [10, 1]})
    a.add(IngressTotals(methods={"GET": [5, 0], "POST": [3, 3]}))
    assert a.methods == {"GET": [15, 1], "POST": [3, 3]}


@pytest.mark.parametrize(("method", "bucket"), [("get", "GET"), ("PATCH", "PATCH"), ("PROPFIND", "OTHER")])
def test_method_bucket(method: str, bucket: str) -> None:
    assert method_bucket(method) == bucket
