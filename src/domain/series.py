"""Parsed series: what the exposition parser hands to the collect use case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.agent.stats import CollectStats


@dataclass(frozen=True, slots=True)
class Series:
    """One counter: the identity of SPEC §2.3.

    ``key`` is the canonical identity (family name without prefix plus the
    complete, sorted label set) and is what per-series deltas are keyed by.
    ``family`` is the sample's name without prefix (``response_latency_ms_bucket``,
    ``traefik_service_requests_total``, …). The parser caches these objects:
    the same raw series text maps to the same ``Series`` from one scrape to the next.
    """

    key: str
    family: str
    labels: Mapping[str, str]


@dataclass(slots=True)
class Scrape:
    """A successful scrape: relevant samples with their values, and what was skipped."""

    timestamp: float
    samples: list[tuple[Series, float]] = field(default_factory=list)
    stats: CollectStats = field(default_factory=CollectStats)  # the exposition's figures
    # Scrapes with the same layout object (never None ones) hold the same series in the same
    # order, so per-series state can be kept by position instead of by key.
    layout: object | None = None
