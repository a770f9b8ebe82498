"""The start-up warm-up of the read cache never serves a stale answer.

A master warms its cache once at start; snapshots keep arriving after that
(and the aggregator rolls hours up). Every answer of the warmed service must
equal the answer of a service with an empty cache, read after each change.
"""

from __future__ import annotations

import random
import threading
from typing import Any

from sqlalchemy import Engine
from tests.storage.query_dataset import aggregate, assert_close, ingest, plain, random_snapshot, service_of

from application.master.readiness import ReadinessCheck
from application.master.warm_up import ReadCacheWarmUp
from application.query.service import SloQueryService

H0 = 1_764_306_000
CLUSTER = "prod-eu-1"
STEP = 300
LATE_TS = H0 + 2 * 3600 + 1200  # an interval held back (in an agent's spool) until after the warm-up


def _answers(service: SloQueryService, now: int) -> dict[str, Any]:
    return plain({
        f"{name} {seconds}": call(CLUSTER, now - seconds, now)
        for seconds in (3600, 24 * 3600, 7 * 24 * 3600)
        for name, call in (("topology", service.topology), ("domains", service.domains))
    } | {"detail": service.service_detail(CLUSTER, now - 3600, now, "shop", "cart")})


def _fresh_agrees(engine: Engine, warmed: SloQueryService, now: int) -> None:
    assert_close(_answers(warmed, now), _answers(service_of(engine), now), f"at {now}")


def test_posts_after_the_warm_up_show_in_the_next_read(engine: Engine) -> None:
    rng = random.Random(5)
    now = H0 + 5 * 3600 + 1200
    for ts in range(H0 + STEP, now + 1, STEP):
        if ts != LATE_TS:
            ingest(engine, random_snapshot(rng, CLUSTER, ts, STEP))
    aggregate(engine, now + 1)

    warmed = service_of(engine)
    warm_up = ReadCacheWarmUp(warmed, clock=lambda: now)
    readiness = ReadinessCheck(_Reachable(), read_cache=warm_up)
    assert readiness.problem() == "warming the read cache"
    warm_up.run()
    assert warm_up.ready and readiness.problem() is None

    # Read, post, read: the warmed parts are extended by the new snapshot, never reused as they were.
    _fresh_agrees(engine, warmed, now)
    for _ in range(2):
        now += STEP
        ingest(engine, random_snapshot(rng, CLUSTER, now, STEP))
        _fresh_agrees(engine, warmed, now)

    # A late snapshot into a warmed, rolled-up hour, before and after the aggregator catches up.
    ingest(engine, random_snapshot(rng, CLUSTER, LATE_TS, STEP))
    _fresh_agrees(engine, warmed, now)
    aggregate(engine, now + 1)
    _fresh_agrees(engine, warmed, now)

    # Into the next hour: the warmed hourly run is slid, the new hour's prefix starts empty.
    now = (now // 3600 + 1) * 3600 + STEP
    ingest(engine, random_snapshot(rng, CLUSTER, now, STEP))
    _fresh_agrees(engine, warmed, now)


def test_a_stopped_start_up_still_reports_the_warm_up_done(engine: Engine) -> None:
    stop = threading.Event()
    stop.set()
    warm_up = ReadCacheWarmUp(service_of(engine), clock=lambda: H0)
    warm_up.run(stop)
    assert warm_up.ready


class _Reachable:
    def ping(self) -> None:
        return None
