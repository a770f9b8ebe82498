"""Alert state on SQLite and PostgreSQL: rounds, listing, retention, and the evaluator on stored snapshots."""

from __future__ import annotations

import threading
from dataclasses import replace

from sqlalchemy import Engine
from tests.storage.snapshot_builders import ingress, route, service, snapshot
from tests.storage.test_status_repository import store

from adapters.storage.alert_repository import SqlAlertRepository
from adapters.storage.retention_repository import SqlRetentionRepository
from adapters.storage.stats_reader import SqlStatsReader
from adapters.storage.status_repository import SqlStatusRepository
from adapters.storage.target_repository import SqlTargetRepository
from application.master.alert_evaluator import AlertEvaluator, AlertSettings
from application.master.cleaner import Cleaner, Retention
from application.master.key_traffic import StitchedKeyTraffic
from domain.alerts import FIRING, RESOLVED, Alert, AlertKey
from domain.targets import TargetRecord

TS = 1_764_316_800
KEY = AlertKey("c1", "service", "shop/checkout", "30d", "availability", 1)


def alert(key: AlertKey = KEY, started: int = TS, **changes: object) -> Alert:
    fired = Alert(key, FIRING, "page", 3600, 300, started_at=started, resolved_at=None, burn_rate_long=20.0,
                  burn_rate_short=21.5, budget_remaining=-12.5)
    return replace(fired, **changes)  # type: ignore[arg-type]


def test_a_round_is_taken_once_and_saves_its_alerts(engine: Engine) -> None:
    repository = SqlAlertRepository(engine, clock=lambda: TS)
    with repository.round("c1", 10) as held:
        assert held.taken and held.alerts() == {}
        held.save([alert()])
    with repository.round("c1", 10) as again:
        assert not again.taken and again.alerts() == {KEY: alert()}
    with repository.round("c1", 11) as nxt:
        assert nxt.taken
        nxt.save([alert(state=RESOLVED, resolved_at=TS + 60, last_sent_at=TS + 60)])
    with repository.round("c2", 1) as other:
        assert other.taken and other.alerts() == {}
    assert repository.listing() == [alert(state=RESOLVED, resolved_at=TS + 60, last_sent_at=TS + 60)]


def test_listing_is_newest_first_and_filtered(engine: Engine) -> None:
    repository = SqlAlertRepository(engine)
    older = alert(replace(KEY, tier=3), started=TS - 600, severity="ticket")
    ingress_alert = alert(AlertKey("c1", "ingress", "shop.example.com", "7d", "latency", 2), started=TS + 5)
    resolved = alert(replace(KEY, key="shop/cart"), started=TS - 60, state=RESOLVED, resolved_at=TS)
    with repository.round("c1", 1) as held:
        held.save([older, alert(), ingress_alert, resolved])
    assert repository.listing() == [ingress_alert, alert(), resolved, older]
    assert repository.listing(state=FIRING, target_type="service") == [alert(), older]
    assert repository.listing(state=RESOLVED) == [resolved]
    assert repository.listing(key="shop.example.com", cluster_id="c1") == [ingress_alert]
    assert repository.listing(cluster_id="c2") == []


def test_resolved_alerts_expire_like_status_history_and_firing_ones_stay(engine: Engine) -> None:
    repository = SqlAlertRepository(engine)
    old = alert(replace(KEY, tier=2), started=TS - 200 * 86400, state=RESOLVED, resolved_at=TS - 190 * 86400)
    recent = alert(replace(KEY, tier=3), started=TS - 10 * 86400, state=RESOLVED, resolved_at=TS - 86400)
    firing = alert(started=TS - 365 * 86400)
    with repository.round("c1", 1) as held:
        held.save([old, recent, firing])
    # The cleaner cleans per cluster; a cluster with alerts has reported, so it is in ``clusters``.
    store(engine, snapshot(cluster_id="c1", timestamp=TS - 30))
    report = Cleaner(SqlRetentionRepository(engine), Retention()).run(TS)
    assert report.deleted["alert_state"] == 1
    assert {a.id.tier for a in repository.listing()} == {1, 3}
    assert repository.delete_resolved_before(TS) == 1


def test_a_round_held_by_one_postgres_master_is_skipped_by_the_other(postgres_engine: Engine) -> None:
    # PostgreSQL only: SQLite has a single master, so its rounds need no lock.
    first, second = SqlAlertRepository(postgres_engine), SqlAlertRepository(postgres_engine)
    holding, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def hold() -> None:
        with first.round("pg-race", 100) as held:
            seen.append(held.taken)
            holding.set()
            release.wait(10)
            held.save([alert(replace(KEY, cluster_id="pg-race"))])

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10)
    with second.round("pg-race", 100) as other:
        seen.append(other.taken)
    with second.round("pg-race", 101) as later:  # another round: still locked by the first master
        seen.append(later.taken)
    release.set()
    thread.join(10)
    with second.round("pg-race", 101) as free:
        seen.append(free.taken)
    assert seen == [True, False, False, True]


def test_the_evaluator_on_stored_snapshots_fires_and_resolves(engine: Engine) -> None:
    failing = service(name="checkout", requests=[
        {"status_code": "200", "classification": "success", "delta": 80},
        {"status_code": "503", "classification": "failure", "delta": 20},
    ], latency_buckets={"5": 40, "10": 90, "50": 100, "+Inf": 100}, latency_count=100)
    for i in range(12):
        store(engine, snapshot(cluster_id="c1", timestamp=TS - 3600 + 300 * (i + 1), services=[failing],
                               edges=[], ingresses=[ingress("shop-frontend-80")],
                               routes=[route("shop.example.com", "shop-frontend-80")]))
    targets = SqlTargetRepository(engine)
    targets.upsert(TargetRecord("c1", "service", "shop/checkout", "30d", 99.0, None, updated_at=1))
    targets.upsert(TargetRecord("c1", "ingress", "shop.example.com", "30d", 99.9, None, updated_at=1))
    alerts = SqlAlertRepository(engine)
    evaluator = AlertEvaluator(
        StitchedKeyTraffic(SqlStatsReader(engine), SqlStatusRepository(engine).domains), targets, alerts, [],
        AlertSettings(interval_seconds=60),
    )
    report = evaluator.run(TS)
    fired = {(a.id.target_type, a.id.tier) for a in alerts.listing(state=FIRING)}
    # 20 % errors at 99 % burn 20x in every window that has requests: the pages and tier 3 and 4
    # (their long windows hold the hour of traffic). The domain's backend fails 4 of 310 requests:
    # 12.9x of 99.9 %, below tier 1's 14.4.
    assert fired == {("service", t) for t in (1, 2, 3, 4)} | {("ingress", t) for t in (2, 3, 4)}
    assert report.objectives == 2
    # Seven hours later without new snapshots even the longest short window (6 h) holds no
    # requests: every tier resolves.
    evaluator.run(TS + 7 * 3600)
    assert {a.state for a in alerts.listing()} == {RESOLVED}
