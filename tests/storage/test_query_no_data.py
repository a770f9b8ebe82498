"""History tells "no data" from zero (SQLite and PostgreSQL, raw rows and hourly rollups).

A point whose interval holds no snapshot at all is ``None`` throughout (the
charts draw a gap); a point with snapshots but no requests of the key keeps
rps 0 and has no ratios. Uses the hand-built data set of ``test_query_exact``:
cluster ``c1`` sent snapshots ending at TS1 (with ``shop/idle`` idle) and TS2
(without ``shop/idle``).
"""

from __future__ import annotations

from pytest import approx
from tests.storage.test_query_exact import TS1, TS2, H
from tests.storage.test_query_exact import service as service  # the same store, raw and rolled up

from application.query.service import SloQueryService

RATIOS = ("p95", "error_rate", "availability", "mtls_percent")


def test_service_points_without_snapshots_are_none(service: SloQueryService) -> None:
    view = service.service_detail("c1", H - 600, TS2 + 300, "shop", "idle")  # 30 s steps, raw rows
    points = {p.timestamp: p for p in view.history}
    for timestamp in (TS1, TS2):  # snapshots, but no requests of shop/idle: zero traffic, no ratios
        assert points[timestamp].rps == 0.0
        assert all(getattr(points[timestamp], name) is None for name in RATIOS)
    empty = [p for t, p in points.items() if t not in (TS1, TS2)]
    assert len(empty) == len(points) - 2
    assert all(p.rps is None and all(getattr(p, name) is None for name in RATIOS) for p in empty)


def test_long_ranges_too(service: SloQueryService) -> None:
    view = service.service_detail("c1", H - 6 * 3600, H + 3600, "shop", "frontend")  # 7 h: hourly steps
    assert view.step_seconds == 3600
    rps = {p.timestamp: p.rps for p in view.history}
    assert rps.pop(H + 3600) == approx(200 / 60)  # the hour with both snapshots
    assert list(rps.values()) == [None] * 6


def test_domain_points_without_snapshots_are_none(service: SloQueryService) -> None:
    view = service.domain_history("c1", H - 600, TS2 + 300, "shop.example.com")
    points = {p.timestamp: p for p in view.points}
    assert points[TS1].rps == approx(150 / 30) and points[TS2].rps == approx(90 / 30)
    empty = [p for t, p in points.items() if t not in (TS1, TS2)]
    assert empty and all(
        p.rps is None and p.p95 is None and p.availability is None and p.error_rate is None for p in empty
    )
