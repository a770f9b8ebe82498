"""The agent's Prometheus metrics, read from the run loop's counters at scrape time.

A custom collector on a registry of its own (never prometheus-client's global
one) so the figures are always the loop's current ones and several agents in
one process (tests) never share counters.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from application.agent.send import SendUseCase
from application.agent.status import AgentStatus
from domain.agent.scrape_checks import ScrapeFailure

PREFIX = "meshslo_agent_"


class AgentMetricsCollector(Collector):
    def __init__(self, status: AgentStatus, sender: SendUseCase) -> None:
        self._status = status
        self._sender = sender

    def collect(self) -> Iterator[Metric]:
        status = self._status
        counters = status.collect
        delivery = self._sender.counters
        spool = self._sender.spool

        yield _counter("cycles", "Collection cycles started", status.cycles)
        yield _counter("scrape_failures", "Scrapes that failed (no state changed)", status.scrape_failures)
        by_reason = CounterMetricFamily(
            PREFIX + "scrape_failures_by_reason", "Scrapes that failed, by reason (no state changed)",
            labels=["reason"],
        )
        reasons = status.scrape_failure_reasons
        for reason in ScrapeFailure:  # every reason from the start, so rate() sees the first failure
            by_reason.add_metric([reason.value], reasons.get(reason.value, 0))
        yield by_reason
        yield _counter("cycle_errors", "Cycles that failed for another reason", status.cycle_errors)
        yield SummaryMetricFamily(
            PREFIX + "scrape_duration_seconds",
            "Time to scrape, parse and turn one exposition into increments",
            count_value=status.scrape_seconds_count,
            sum_value=status.scrape_seconds_sum,
        )
        yield _gauge("last_scrape_duration_seconds", "Duration of the last successful scrape",
                     status.last_scrape_seconds)
        yield _gauge("last_scrape_size_bytes", "Body size of the last successful scrape",
                     status.last_scrape_bytes)
        yield _counter("scrape_bytes", "Bytes read from the metrics endpoint", counters.bytes_read)
        yield _counter("scrape_lines", "Exposition lines read", counters.lines)
        yield _counter("series_seen", "Samples of relevant families parsed", counters.samples)
        yield _counter("unrelated_lines", "Lines of unrelated families skipped", counters.unrelated_lines)
        yield _counter("series_malformed", "Malformed lines skipped", counters.malformed_lines)
        yield _counter("series_dropped", "Series filtered out or without a usable key",
                       counters.series_dropped)
        yield _counter("deltas_emitted", "Per-series increments computed", counters.deltas_emitted)
        yield _counter("counter_resets", "Counter resets seen (a process behind a series restarted)",
                       counters.resets)

        snapshots = CounterMetricFamily(
            PREFIX + "snapshots", "Snapshots by delivery result", labels=["result"]
        )
        snapshots.add_metric(["sent"], delivery.sent)
        snapshots.add_metric(["failed"], delivery.failed)
        snapshots.add_metric(["spooled"], delivery.spooled)
        snapshots.add_metric(["rejected"], delivery.rejected)
        snapshots.add_metric(["too_large"], delivery.too_large)
        # 409: the master has the window's seconds already (a restart from an old state).
        snapshots.add_metric(["already_stored"], delivery.already_stored)
        snapshots.add_metric(["dropped"], spool.dropped)
        yield snapshots
        yield _counter("spool_corrupt", "Unreadable spool files moved aside", spool.corrupt)
        yield _counter("spool_write_errors", "Failed writes to the spool", delivery.spool_errors)
        yield _gauge("spool_depth", "Snapshots waiting for the master", self._sender.backlog)
        yield _counter("state_save_failures", "Failed writes of the state file", status.state_save_failures)
        yield _gauge("last_state_save_seconds", "Time the last state file write took",
                     status.last_state_save_seconds)
        if status.last_success_at is not None:
            yield _gauge("last_success_timestamp_seconds", "Unix time of the last successful cycle",
                         status.last_success_at)
        if delivery.last_sent_at is not None:
            yield _gauge("last_sent_timestamp_seconds", "Unix time the master last took a snapshot",
                         delivery.last_sent_at)
        if status.collector_healthy is not None:
            yield _gauge("collector_healthy", "1 when the collector's health endpoint answered at start",
                         1.0 if status.collector_healthy else 0.0)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(PREFIX + name, documentation, value=value)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, documentation, value=value)


def agent_registry(status: AgentStatus, sender: SendUseCase) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AgentMetricsCollector(status, sender))
    return registry
