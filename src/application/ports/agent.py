"""Ports of the agent's use cases."""

from __future__ import annotations

from typing import Any, Protocol

from domain.agent.scrape_checks import ScrapeFailure
from domain.agent.stats import CollectStats
from domain.contract import Route, SLOSnapshot
from domain.series import Scrape


class ScrapeError(Exception):
    """The metrics endpoint could not be read, or what it said is not taken; the cycle changes
    no state. ``reason`` says which, for the agent's failure counter."""

    def __init__(self, message: str, reason: ScrapeFailure = ScrapeFailure.OTHER) -> None:
        super().__init__(message)
        self.reason = reason


class DeliveryError(Exception):
    """The master did not take a snapshot. ``retryable`` is False for 4xx answers
    (other than 408/429), which re-sending cannot fix."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class SnapshotTooLarge(DeliveryError):
    """A snapshot over a size limit: the agent's own, or the master's (HTTP 413).

    Never retried nor spooled: the same snapshot would be refused again. The interval it
    covers is lost, and the counters move on so that the next snapshot is normal again.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)
class AlreadyStored(Exception):
    """The master already holds the seconds of this snapshot's window (HTTP 409: it overlaps
    windows stored for the cluster, as after a restart from an old state file). Nothing to
    re-send: the snapshot is done with, like a delivered one; the message is the master's."""


class MetricsSource(Protocol):
    """The OpenTelemetry Collector's Prometheus endpoint (or any exposition)."""

    def scrape(self) -> Scrape:
        """Read and parse one exposition; raise ScrapeError when it cannot be had."""
        ...

    def healthy(self) -> bool:
        """Whether the collector's health endpoint answers (True when none is configured)."""
        ...


class RouteSource(Protocol):
    def routes(self) -> list[Route]:
        """Current ingress routes; may raise, the collect use case carries on without them."""
        ...


class MasterClient(Protocol):
    def send(self, snapshot: SLOSnapshot) -> None:
        """Deliver one snapshot (with retries); raise DeliveryError when it was not taken,
        AlreadyStored when the master has its window already (not worth sending again)."""
        ...

    def check_size(self, snapshot: SLOSnapshot) -> None:
        """Raise SnapshotTooLarge when the snapshot is over the size this client sends; checked
        before a snapshot is sent or spooled, so one that can never go out never waits in the spool."""
        ...


class CollectOutput(Protocol):
    @property
    def snapshot(self) -> SLOSnapshot | None:
        """The interval to deliver, or None when there is none yet."""
        ...

    @property
    def stats(self) -> CollectStats: ...


class Collector(Protocol):
    """The collect use case as the run loop sees it."""

    def run(self) -> CollectOutput:
        """One scrape turned into increments; raise ScrapeError (state unchanged) when it fails."""
        ...

    def export_state(self) -> dict[str, Any]: ...

    @property
    def last_scrape_time(self) -> float | None:
        """When the scrape the exported state belongs to was taken (None before the first)."""
        ...

    def restore_state(self, state: dict[str, Any]) -> None: ...


class StopSignal(Protocol):
    """``threading.Event`` in production; tests pass one that advances a fake clock."""

    def wait(self, timeout: float | None = None) -> bool: ...

    def is_set(self) -> bool: ...
