"""The collect use case: one scrape turned into one interval of SLO data (SPEC §2.1–§2.4).

``scrape → filter → per-series delta → aggregate → routes → SLOSnapshot``

The counters' state moves forward only when a whole interval has been built:
a failed scrape, or a second scrape within the same second, leaves it as it
was, so the next good scrape's deltas cover the gap and nothing is lost.

Snapshot timestamps are whole seconds, so a scrape in the same second as the
previous one could not be reported. Rather than scrape and discard (a counter
restart right after such a scrape would then go unseen), a cycle that starts
in that second first waits for the next one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from application.agent.gc_pause import cyclic_gc_paused
from application.ports.agent import MetricsSource, RouteSource
from domain.agent.aggregate import IntervalAggregator, infer_nginx_routes
from domain.agent.aligned import Layout
from domain.agent.deltas import CounterDeltas
from domain.agent.keys import RouteIndex
from domain.agent.roles import (
    Backend,
    BackendLatency,
    BackendRequests,
    Dropped,
    FilterOptions,
    ProbeRequests,
    Reason,
    SeriesClassifier,
)
from domain.agent.stats import CollectStats
from domain.contract import Route, SLOData, SLOSnapshot
from domain.series import Scrape, Series

log = logging.getLogger(__name__)

# 2: counters as aligned "series" and "values" columns; 1 (still read): a "counters" mapping.
STATE_VERSION = 2
DEFAULT_EXCLUDED_NAMESPACES = frozenset({"linkerd", "linkerd-viz", "kube-system", "otel"})


@dataclass(frozen=True)
class CollectOptions:
    cluster_id: str  # the identity every snapshot carries
    agent_version: str = ""
    exclude_namespaces: frozenset[str] = DEFAULT_EXCLUDED_NAMESPACES
    admin_port: str = "4191"
    probe_compensation: bool = True


@dataclass
class CollectResult:
    snapshot: SLOSnapshot | None  # None when there is no interval to report yet
    stats: CollectStats

    @property
    def data(self) -> SLOData | None:
        return self.snapshot.slo_data if self.snapshot is not None else None


class CollectUseCase:
    def __init__(
        self,
        source: MetricsSource,
        route_source: RouteSource,
        options: CollectOptions,
        deltas: CounterDeltas | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._source = source
        self._clock = clock
        self._sleep = sleep
        self._route_source = route_source
        self._options = options
        self._deltas = deltas if deltas is not None else CounterDeltas()
        self._classifier = SeriesClassifier(
            FilterOptions(exclude_namespaces=options.exclude_namespaces, admin_port=options.admin_port)
        )
        self._last_timestamp: int | None = None
        self._layout: Layout | None = None
        self._routes: list[Route] = []
        # Refuse an identity the master would refuse at start, not once per cycle.
        self._snapshot(SLOData(timestamp=1, window_start=0))

    def run(self) -> CollectResult:
        """One cycle. Raises ScrapeError (state unchanged) when the scrape fails."""
        self._wait_for_a_new_second()
        scrape = self._source.scrape()
        stats = CollectStats()
        stats.add(scrape.stats)  # a copy: the cycle's figures are added to the scrape's
        timestamp = int(scrape.timestamp)
        window_start = self._last_timestamp
        if window_start is not None and timestamp <= window_start:
            # No interval to report yet: keeping the state lets the next scrape cover this one.
            stats.no_data_reason = f"scrape at {timestamp} does not follow the previous one at {window_start}"
            return CollectResult(None, stats)

        with cyclic_gc_paused():
            return self._advance(scrape, stats, timestamp, window_start)

    def _wait_for_a_new_second(self) -> None:
        if self._last_timestamp is None:
            return
        wait = self._last_timestamp + 1 - self._clock()
        # More than a second means the clock went back: the timestamp check below handles that.
        if 0 < wait <= 1:
            self._sleep(wait)

    def _advance(
        self, scrape: Scrape, stats: CollectStats, timestamp: int, window_start: int | None
    ) -> CollectResult:
        layout = self._layout
        if layout is not None and scrape.layout is layout.token and self._deltas.aligned_with(layout):
            # The same series as last time, in the same order: everything by position.
            layout.count_into(stats)
            batch: Any = self._deltas.compute_aligned(scrape.samples, stats)
            per_slot, backends = batch.per_slot, layout.backends
        else:
            kept, positions, backends = self._classify(scrape, stats)
            batch = self._deltas.compute(kept, stats)
            per_slot = self._sum_per_slot(batch.deltas)
            layout = self._new_layout(scrape, stats, kept, positions, backends)

        snapshot = None
        if window_start is None:
            stats.no_data_reason = "first scrape: counters remembered"
        else:
            snapshot = self._snapshot(self._build(per_slot, backends, timestamp, window_start, stats))
        # Only now, with the interval built, does the state move on.
        self._deltas.commit(batch, layout)
        self._last_timestamp = timestamp
        self._layout = layout
        if self._classifier.prune(len(scrape.samples)):
            self._layout = None  # its role slots are gone with the classifier's cache
        return CollectResult(snapshot, stats)

    def _new_layout(
        self,
        scrape: Scrape,
        stats: CollectStats,
        kept: list[tuple[Series, float]],
        positions: list[int],
        backends: set[Backend],
    ) -> Layout | None:
        """What the next scrapes of this layout will classify to; None when they cannot be done by
        position (no layout, or a series given twice: only its first sample counts)."""
        if scrape.layout is None:
            return None
        keys = tuple(series.key for series, _ in kept)
        if len(set(keys)) != len(keys):
            return None
        role_of = self._classifier.known_roles().__getitem__
        return Layout(
            token=scrape.layout,
            positions=positions,
            slots=[role_of(key).slot for key in keys],  # type: ignore[union-attr]
            keys=keys,
            series_kept=stats.series_kept,
            filtered=dict(stats.filtered),
            skipped=dict(stats.skipped),
            backends=frozenset(backends),
        )

    def _sum_per_slot(self, deltas: list[tuple[Series, float]]) -> dict[int, float]:
        """Deltas summed per role (equal roles share a slot), in exposition order. Every series
        with a delta was classified by this cycle."""
        role_of = self._classifier.known_roles().__getitem__
        per_slot: dict[int, float] = {}
        slot_total = per_slot.get
        for series, delta in deltas:
            slot = role_of(series.key).slot  # type: ignore[union-attr]
            per_slot[slot] = slot_total(slot, 0.0) + delta
        return per_slot

    def _snapshot(self, data: SLOData) -> SLOSnapshot:
        options = self._options
        return SLOSnapshot(cluster_id=options.cluster_id, agent_version=options.agent_version, slo_data=data)

    def _classify(
        self, scrape: Scrape, stats: CollectStats
    ) -> tuple[list[tuple[Series, float]], list[int], set[Backend]]:
        """Samples that go to the delta stage (probe counters included: they compensate latency),
        their positions in the scrape, and the ingress-nginx backends that name a host
        (candidates for an inferred route)."""
        known = self._classifier.known_roles()
        classify = self._classifier.role
        kept: list[tuple[Series, float]] = []
        positions: list[int] = []
        dropped: dict[Dropped, int] = {}
        backends: set[Backend] = set()
        probes = 0
        for position, sample in enumerate(scrape.samples):
            role = known.get(sample[0].key) or classify(sample[0])
            kind = role.__class__  # exact class tests: this loop runs for every sample
            if kind is Dropped:
                dropped[role] = dropped.get(role, 0) + 1  # type: ignore[index]
                continue
            kept.append(sample)
            positions.append(position)
            if kind is ProbeRequests:
                probes += 1  # filtered out of the SLO, yet its deltas compensate the latency
            elif (kind is BackendRequests or kind is BackendLatency) and role.backend.host:  # type: ignore[union-attr]
                backends.add(role.backend)  # type: ignore[union-attr]
        stats.series_kept = len(kept) - probes
        if probes:
            stats.filtered[Reason.PROBE.value] = probes
        for role, count in dropped.items():
            bucket = stats.filtered if role.filtered else stats.skipped
            bucket[role.reason.value] = bucket.get(role.reason.value, 0) + count
        return kept, positions, backends

    def _build(
        self,
        per_slot: dict[int, float],
        backends: Iterable[Backend],
        timestamp: int,
        window_start: int,
        stats: CollectStats,
    ) -> SLOData:
        routes = self._current_routes(stats)
        index = RouteIndex(routes)
        aggregator = IntervalAggregator(index, probe_compensation=self._options.probe_compensation)
        # Summed per role already (one dict update per delta): aggregate once per role.
        role_of_slot = self._classifier.role_of_slot
        for slot, total in per_slot.items():
            aggregator.add(role_of_slot(slot), total)
        aggregate = aggregator.build()
        inferred = infer_nginx_routes(backends, aggregator, index)
        stats.routes = len(routes)
        stats.inferred_routes = len(inferred)
        return SLOData(
            timestamp=timestamp,
            window_start=window_start,
            services=aggregate.services,
            edges=aggregate.edges,
            ingress=aggregate.ingress,
            routes=[*routes, *inferred],
        )

    def _current_routes(self, stats: CollectStats) -> list[Route]:
        """The route source's answer, or the last good one: routes never fail a cycle (§1.3)."""
        try:
            self._routes = list(self._route_source.routes())
        except Exception as error:  # any failure of the source, by design
            stats.routes_error = f"{type(error).__name__}: {error}"
            log.warning("routes unavailable, keeping the last %d: %s", len(self._routes), stats.routes_error)
        return self._routes

    # -- state -------------------------------------------------------------

    def export_state(self) -> dict[str, Any]:
        """Counter values and the last scrape's timestamp, JSON-serialisable (NaN included).

        ``series`` and ``values`` are aligned columns, NaN where a series has no value; the
        ``series`` object stays the same while the scrapes keep their layout, so a store can
        write the series once and only the values every cycle."""
        columns = self._deltas.columns()
        return {
            "version": STATE_VERSION,
            "last_timestamp": self._last_timestamp,
            "series": columns.keys,
            "values": columns.values,
        }

    @property
    def last_scrape_time(self) -> float | None:
        return float(self._last_timestamp) if self._last_timestamp is not None else None

    def restore_state(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`export_state` (or version 1's ``counters`` mapping); raises
        ValueError for a state this version cannot read."""
        version = state.get("version")
        last = state.get("last_timestamp")
        if last is not None and (isinstance(last, bool) or not isinstance(last, int) or last < 0):
            raise ValueError(f"collect state has a bad last_timestamp {last!r}")
        if version == 1:
            counters = state.get("counters")
            if not isinstance(counters, dict):
                raise ValueError("collect state has no counters mapping")
        elif version == STATE_VERSION:
            series, values = state.get("series"), state.get("values")
            if not isinstance(series, list | tuple) or not isinstance(values, list | tuple):
                raise ValueError("collect state has no series and values columns")
            if len(series) != len(values):
                raise ValueError(f"collect state has {len(series)} series but {len(values)} values")
            # NaN (no value) and anything else unusable is dropped by from_state.
            counters = dict(zip(series, values, strict=True))
        else:
            raise ValueError(f"unknown collect state version {version!r}")
        self._deltas = CounterDeltas.from_state(counters)
        self._layout = None
        self._last_timestamp = last
