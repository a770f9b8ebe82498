"""The query service refuses what would silently mislead: targets for keys never reported,
and it finds domains the way host names are compared (case, trailing dot)."""

from __future__ import annotations

import pytest
from tests.unit.application.query.test_query_service import (
    FakeHistory,
    FakeStore,
    FakeTargets,
    _ingress,
    _route,
    _service,
    _workload,
)

from application.query.base import stored_domain
from application.query.errors import InvalidInput, NotFound
from domain.totals import EdgeTotals


def _store() -> FakeStore:
    return FakeStore(
        route_list=[_route("Shop.example.com", "/", "ns-web-80", "ns", "web")],
        workloads={("ns", "web"): _workload(10, 0, {"+Inf": 10})},
        edges={("ns", "web", "ns", "db"): EdgeTotals(requests=3)},
        ingress={(0, 100): {"ns-old-80": _ingress(1, 0)}},
    )


def test_targets_only_for_keys_the_cluster_reported() -> None:
    targets = FakeTargets()
    service = _service(_store(), targets)
    for target_type, key in (("service", "ns/web"), ("service", "ns/db"),  # traffic; a call edge only
                             ("ingress", "ns-web-80"), ("ingress", "ns-old-80")):  # routed; traffic only
        assert service.upsert_target("c1", target_type, key, "1d", 99.0, 100.0).key == key
    for target_type, key in (("service", "ns/ghost"), ("ingress", "ghost.example.com"),
                             ("ingress", "ns-ghost-80")):
        with pytest.raises(InvalidInput, match=f"key '{key}': cluster 'c1' has never reported|"
                                               f"key '{key}': cluster 'c1' has no route") as refused:
            service.upsert_target("c1", target_type, key, "1d", 99.0, 100.0)
        assert "never reported" in str(refused.value)
    assert len(targets.records) == 4
    # A malformed key is told as malformed, not as unknown.
    with pytest.raises(InvalidInput, match="'namespace/name'"):
        service.upsert_target("c1", "service", "web", "1d", 99.0, 100.0)


def test_domain_targets_are_stored_in_the_routes_spelling() -> None:
    stored = _service(_store()).upsert_target("c1", "ingress", "SHOP.EXAMPLE.COM.", "1d", 99.0, 100.0)
    assert stored.key == "Shop.example.com"


def test_domain_lookups_ignore_case_and_a_trailing_dot() -> None:
    service = _service(_store(), history=FakeHistory())
    for asked in ("shop.example.com", "SHOP.example.com", "shop.example.com."):
        assert service.domain_detail("c1", 0, 100, asked).domain.domain == "Shop.example.com"
        assert service.domain_history("c1", 0, 100, asked).domain == "Shop.example.com"
    with pytest.raises(NotFound):
        service.domain_detail("c1", 0, 100, "shop.example.org")
    assert stored_domain(["a.example", "A.example"], "A.EXAMPLE") == "A.example"  # first spelling
    assert stored_domain(["a.example", "A.example"], "a.example") == "a.example"  # exact wins


def test_status_history_passes_its_window_on() -> None:
    asked: list[int | None] = []

    class History(FakeHistory):
        def changes(self, *args, until=None, **kwargs):  # type: ignore[no-untyped-def]
            asked.append(until)
            return super().changes(*args, **kwargs)

    _service(_store(), history=History()).status_history("c1", None, None, 10, 5, until=20)
    assert asked == [20]
