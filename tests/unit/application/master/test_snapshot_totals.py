"""Snapshot → domain totals per key (the columns they are stored in: tests/storage/test_ingest_rows.py)."""

from __future__ import annotations

from tests.storage.snapshot_builders import edge, ingress, route, service, snapshot

from application.master.snapshot_totals import snapshot_totals
from domain.contract import SLOSnapshot


def totals_of(document: dict):  # type: ignore[no-untyped-def]
    return snapshot_totals(SLOSnapshot.model_validate(document), received_at=7)


def test_items_of_one_key_are_summed_into_one_totals_object() -> None:
    result = totals_of(snapshot(services=[service(), service(name="payments"), service()],
                                edges=[edge(), edge()], ingresses=[ingress("k"), ingress("k")]))
    assert list(result.services) == [("shop", "checkout"), ("shop", "payments")]
    workload = result.services[("shop", "checkout")]
    single = totals_of(snapshot(services=[service()])).services[("shop", "checkout")]
    assert workload.requests == 2 * single.requests
    assert workload.buckets == {le: 2 * count for le, count in single.buckets.items()}
    [edge_key] = result.edges
    assert edge_key == ("shop", "frontend", "shop", "checkout")
    backend = result.ingress["k"]
    assert backend.methods == {"GET": [600, 0], "POST": [8, 8], "OTHER": [12, 0]}
    assert backend.status_classes == {"2xx": 600, "3xx": 0, "4xx": 12, "5xx": 8}
    assert result.received_at == 7


def test_backend_routes_are_the_snapshots_first_by_domain_then_path() -> None:
    routes = [route(domain="www.example.com", service_key="k"),
              route(domain="api.example.com", service_key="k")]
    result = totals_of(snapshot(ingresses=[ingress("k"), ingress("unrouted")], routes=routes))
    assert result.backend_routes["k"].domain == "api.example.com"
    assert result.needs_stored_routes() is True
    assert totals_of(snapshot(ingresses=[ingress("k")], routes=routes)).needs_stored_routes() is False
