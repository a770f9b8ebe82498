"""A hostile answer between two good scrapes is a failed scrape with its reason, and nothing moves:
the counters' state and the parser's memory stay as they were, so the next good scrape's deltas
cover the gap exactly. Real HTTP server, real source, parser, collect use case and run loop."""

from __future__ import annotations

import gzip
import random
import threading
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from tests.unit.adapters.scrape.exporter_stub import LINKERD, Answer, Exporter, exposition, gzip_of
from tests.unit.application.agent.delivery_fakes import FakeMasterClient

from adapters.agent_http.metrics import agent_registry
from adapters.exposition.parser import ExpositionParser
from adapters.master_client.spool import DiskSpool
from adapters.scrape.http_source import HttpMetricsSource
from application.agent.collect import CollectOptions, CollectUseCase
from application.agent.cycle import AgentLoop, LoopOptions
from application.agent.send import SendUseCase
from application.ports.agent import ScrapeError
from domain.agent.scrape_checks import ScrapeFailure
from domain.series import Scrape

PODS = 120
BEFORE, AFTER = 10, 25


class NoRoutes:
    def routes(self) -> list[Any]:
        return []


class ThirtySecondsApart:
    """The real source, its scrapes stamped 30 s apart (the test runs them back to back);
    keeps every scrape it returned."""

    def __init__(self, source: HttpMetricsSource) -> None:
        self.source = source
        self.scrapes: list[Scrape] = []

    def scrape(self) -> Scrape:
        scrape = self.source.scrape()
        scrape.timestamp = 1_700_000_000 + 30 * len(self.scrapes)
        self.scrapes.append(scrape)
        return scrape

    def healthy(self) -> bool:
        return True


def junk(seed: int, size: int, alphabet: range = range(256)) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.choice(alphabet) for _ in range(size))


MALFORMED = "".join(
    LINKERD.format(pod=pod, value=7).replace('srv_port="8080"}', 'srv_port="8080"') for pod in range(PODS)
).encode()
HOSTILE: dict[str, tuple[Answer, ScrapeFailure, dict[str, int]]] = {
    "gzip bomb": (Answer(gzip_of(b" " * (1 << 20), 64), {"Content-Encoding": "gzip"}),
                  ScrapeFailure.TOO_LARGE, {"max_bytes": 1 << 20}),
    "gzip, gzip": (Answer(gzip.compress(gzip.compress(exposition(1))), {"Content-Encoding": "gzip, gzip"}),
                   ScrapeFailure.ENCODING, {}),
    "binary junk": (Answer(junk(1, 50_000)), ScrapeFailure.NOT_TEXT, {}),
    "invalid UTF-8 without NUL": (Answer(junk(2, 50_000, range(0x80, 0x100))), ScrapeFailure.NOT_TEXT, {}),
    "all lines malformed": (Answer(MALFORMED), ScrapeFailure.MALFORMED, {}),
    "empty after many": (Answer(b"<html><body>Service Unavailable</body></html>\n"), ScrapeFailure.EMPTY, {}),
    "too many series": (Answer(exposition(1, pods=PODS + 1)), ScrapeFailure.TOO_MANY_SERIES,
                        {"max_series": PODS}),
    "slower than the timeout": (Answer(exposition(1), pause=0.1, piece=2000), ScrapeFailure.TIMEOUT, {}),
}  # fmt: skip


def total(data: Any) -> int:
    return sum(service.total_request_delta for service in data.services)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_answer_fails_and_the_next_good_scrape_covers_the_gap(case: str) -> None:
    hostile, reason, limits = HOSTILE[case]
    answers = (Answer(exposition(BEFORE)), hostile, Answer(exposition(AFTER)))
    parser_limits = {"max_series": limits["max_series"]} if "max_series" in limits else {}
    source_limits = {"max_bytes": limits["max_bytes"]} if "max_bytes" in limits else {}
    parser = ExpositionParser("otel_", **parser_limits)
    with Exporter(*answers) as exporter, HttpMetricsSource(
        exporter.url, None, 0.5, parser, **source_limits
    ) as http_source:
        source = ThirtySecondsApart(http_source)
        collect = CollectUseCase(source, NoRoutes(), CollectOptions(cluster_id="c1"), clock=lambda: 0.0)
        assert collect.run().snapshot is None  # the first scrape remembers the counters
        state = collect.export_state()
        with pytest.raises(ScrapeError) as failed:
            collect.run()
        assert failed.value.reason is reason, failed.value
        assert collect.export_state() == state
        assert parser.remembered_series == PODS
        after = collect.run().data

    assert after is not None
    assert (after.window_start, after.timestamp) == (1_700_000_000, 1_700_000_030)
    assert total(after) == (AFTER - BEFORE) * PODS
    # The parser matched the good scrape against the same memory: same series, same layout.
    first, last = source.scrapes
    assert last.layout is first.layout
    assert all(a is b for (a, _), (b, _) in zip(first.samples, last.samples, strict=True))


def test_an_empty_answer_is_taken_as_real_after_three_refusals_in_a_row() -> None:
    empty = Answer(b"# no series any more\n")
    with Exporter(Answer(exposition(BEFORE)), empty) as exporter, HttpMetricsSource(
        exporter.url, None, 2.0, ExpositionParser("otel_")
    ) as http_source:
        source = ThirtySecondsApart(http_source)
        collect = CollectUseCase(source, NoRoutes(), CollectOptions(cluster_id="c1"), clock=lambda: 0.0)
        collect.run()
        for refusal in (1, 2, 3):
            with pytest.raises(ScrapeError, match=f"refusal {refusal} of 3"):
                collect.run()
        result = collect.run()  # a cluster scaled to zero does not fail every scrape for ever
    assert result.snapshot is not None and total(result.data) == 0
    assert len(collect.export_state()["series"]) == 0


def test_the_run_loop_counts_each_failure_by_reason_in_metrics(tmp_path: Path) -> None:
    answers = (Answer(exposition(BEFORE)), Answer(MALFORMED), Answer(junk(3, 20_000)), Answer(MALFORMED),
               Answer(exposition(AFTER)))
    master = FakeMasterClient()
    sender = SendUseCase(master, DiskSpool(tmp_path, max_items=10))
    with Exporter(*answers) as exporter, HttpMetricsSource(
        exporter.url, None, 2.0, ExpositionParser("otel_")
    ) as http_source:
        collect = CollectUseCase(ThirtySecondsApart(http_source), NoRoutes(), CollectOptions(cluster_id="c1"),
                                 clock=lambda: 0.0)
        loop = AgentLoop(collect, sender, LoopOptions(cluster_id="c1", interval=30.0), threading.Event())
        for _ in answers:
            loop.run_cycle()

    assert loop.status.scrape_failures == 3
    assert loop.status.scrape_failure_reasons == {"malformed": 2, "not_text": 1}
    [snapshot] = master.taken
    assert total(snapshot.slo_data) == (AFTER - BEFORE) * PODS
    text = generate_latest(agent_registry(loop.status, sender)).decode()
    assert "meshslo_agent_scrape_failures_total 3.0" in text  # the series that was there before
    assert 'meshslo_agent_scrape_failures_by_reason_total{reason="malformed"} 2.0' in text
    assert 'meshslo_agent_scrape_failures_by_reason_total{reason="not_text"} 1.0' in text
    assert 'meshslo_agent_scrape_failures_by_reason_total{reason="too_many_series"} 0.0' in text
