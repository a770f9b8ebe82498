"""Builders of parsed series for the agent pipeline's tests (what the exposition parser produces)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from domain.contract import Route
from domain.series import Scrape, Series


def series(family: str, **labels: str) -> Series:
    """A series keyed like the parser keys it: ``family{sorted labels}``."""
    body = ",".join(f'{name}="{value}"' for name, value in sorted(labels.items()))
    return Series(key=f"{family}{{{body}}}", family=family, labels=dict(labels))


def scrape(timestamp: float, samples: Iterable[tuple[Series, float]]) -> Scrape:
    return Scrape(timestamp=timestamp, samples=list(samples))


def histogram(
    family: str, buckets: Mapping[str, float], total: float, count: float, **labels: str
) -> list[tuple[Series, float]]:
    """The ``_bucket``/``_sum``/``_count`` samples of one histogram series."""
    samples = [(series(f"{family}_bucket", le=le, **labels), value) for le, value in buckets.items()]
    samples.append((series(f"{family}_sum", **labels), total))
    samples.append((series(f"{family}_count", **labels), count))
    return samples


class FakeMetricsSource:
    """Hands out prepared scrapes (or raises prepared errors) in order."""

    def __init__(self, *results: Scrape | Exception) -> None:
        self._results = list(results)
        self.calls = 0

    def push(self, result: Scrape | Exception) -> None:
        self._results.append(result)

    def scrape(self) -> Scrape:
        self.calls += 1
        result = self._results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    def healthy(self) -> bool:
        return True


class FixedRoutes:
    """A route source that always answers the same routes."""

    def __init__(self, routes: list[Route] | None = None) -> None:
        self._routes = list(routes or [])

    def routes(self) -> list[Route]:
        return list(self._routes)
