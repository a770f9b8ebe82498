"""A process that exposes counters: a meshed pod's proxy or an ingress controller replica."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.simulator.series import CounterSeries, HistogramSeries, Labels

SeriesKey = tuple[str, Labels]  # (family without prefix, labels)


@dataclass(eq=False)
class Source:
    name: str
    kind: str  # "proxy", "traefik" or "nginx"
    workload: str  # "namespace/name" for proxies, the controller name otherwise
    base_labels: Labels
    draining: bool = False  # stopped counting, about to vanish
    drain_seen: bool = False  # the client has seen its final values
    restarts: int = 0
    counters: dict[SeriesKey, CounterSeries] = field(default_factory=dict)
    histograms: dict[SeriesKey, HistogramSeries] = field(default_factory=dict)

    def counter(self, family: str, labels: Labels) -> CounterSeries:
        key = (family, labels)
        series = self.counters.get(key)
        if series is None:
            series = self.counters[key] = CounterSeries(labels)
        return series

    def histogram(self, family: str, labels: Labels, bounds: tuple[float, ...]) -> HistogramSeries:
        key = (family, labels)
        series = self.histograms.get(key)
        if series is None:
            series = self.histograms[key] = HistogramSeries(labels, bounds)
        return series

    def try_request(
        self,
        counter: CounterSeries,
        histogram: HistogramSeries | None,
        latency: float,
    ) -> bool:
        """Count one request in a counter and (optionally) a histogram, all or nothing."""
        if self.draining or not counter.accepts(1):
            return False
        if histogram is not None and not histogram.accepts(latency):
            return False
        counter.add(1)
        if histogram is not None:
            histogram.observe(latency)
        return True

    @property
    def capped(self) -> bool:
        return any(s.cap is not None for s in self.counters.values()) or any(
            s.cap is not None for s in self.histograms.values()
        )

    def restart(self) -> None:
        self.restarts += 1
        for counter in self.counters.values():
            counter.restart()
        for histogram in self.histograms.values():
            histogram.restart()

    def seen(self) -> None:
        """The client received a scrape showing every current value of this source."""
        for counter in self.counters.values():
            counter.seen()
        for histogram in self.histograms.values():
            histogram.seen()
        if self.draining:
            self.drain_seen = True
