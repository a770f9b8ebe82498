"""Alert state outlives a master (SPEC §11): a restart keeps firing alerts firing, and two
masters on one PostgreSQL database notify each round once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.e2e.alerting_rig import CLUSTER, SCENARIO, Master, Webhook, load_scenario, wait_until
from tests.e2e.alertmanager_process import active_alerts, running_alertmanager

pytestmark = pytest.mark.e2e

INTERVAL = 2
EXPECTED = {(t, k, tier) for (t, k), tiers in SCENARIO.items() for tier in tiers}


def _starts(url: str) -> dict[tuple[str, str, int], str]:
    return {(a["labels"]["target_type"], a["labels"]["key"], int(a["labels"]["burn_tier"])): a["startsAt"]
            for a in active_alerts(url) if a["labels"].get("cluster") == CLUSTER}


def _api_firing(master: Master) -> dict[str, int]:
    return {a["labels"]["key"] + a["labels"]["burn_tier"]: a["started_at"]
            for a in master.get("/api/v2/slo/alerts", state="firing")["alerts"]}


def _round(ends_at: str) -> int:
    """The round a firing alert was sent in: endsAt is the evaluation time plus 4 intervals."""
    ends = int(datetime.fromisoformat(ends_at.replace("Z", "+00:00")).timestamp())
    return (ends - 4 * INTERVAL) // INTERVAL


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    """The session's PostgreSQL database, left empty for the next test."""
    yield postgres_url
    cleanup = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with cleanup.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
    cleanup.dispose()


def test_restart_keeps_alerts_firing_and_two_masters_notify_each_round_once(
    tmp_path: Path, database_url: str
) -> None:
    webhook = Webhook()
    flags = ("--alert-interval", f"{INTERVAL}s", "--alert-webhook-url", webhook.url)
    with running_alertmanager(tmp_path) as alertmanager:
        first = Master(tmp_path, database_url, *flags, "--alertmanager-url", alertmanager, name="first")
        second = None
        try:
            load_scenario(first, int(time.time()))
            before = wait_until(lambda: (s := _starts(alertmanager)) and set(s) == EXPECTED and s, 30,
                                "the alerts in Alertmanager", first.log)
            # The round posts to the receivers before it commits its state: wait for the store too.
            api_before = wait_until(lambda: (a := _api_firing(first)) and len(a) == len(EXPECTED) and a, 30,
                                    "the alerts in the master's store", first.log)

            first.stop()
            first = Master(tmp_path, database_url, *flags, "--alertmanager-url", alertmanager, name="first")
            seen = len(webhook.posts)
            wait_until(lambda: len(webhook.posts) >= seen + 2, 20, "two rounds after the restart", first.log)
            assert _starts(alertmanager) == before  # never resolved, never re-fired
            api_after = _api_firing(first)
            assert api_after == api_before

            second = Master(tmp_path, database_url, *flags, "--alertmanager-url", alertmanager, name="second")
            seen = len(webhook.posts)
            wait_until(lambda: len(webhook.posts) >= seen + 5, 30, "five rounds with two masters", second.log)
            rounds = Counter(_round(post["alerts"][0]["endsAt"]) for post in webhook.posts[seen:])
            assert rounds and max(rounds.values()) == 1, rounds
            for post in webhook.posts[seen:]:
                assert {a["status"] for a in post["alerts"]} == {"firing"}
                assert len(post["alerts"]) == len(EXPECTED)
            assert _starts(alertmanager) == before
            for master in (first, second):
                assert 'meshslo_alerts_firing{severity="page"} 4.0' in master.metrics()
        finally:
            first.stop()
            if second is not None:
                second.stop()
            webhook.close()
