"""SLO maths of SPEC §5: one implementation for every path (raw, hourly, stitched)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    HEALTHY = "healthy"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Target:
    availability: float  # percent, e.g. 99.9
    p95_ms: float


# What a key without a target of its own is judged by, unless configured otherwise (SPEC §5).
DEFAULT_TARGET = Target(availability=95.0, p95_ms=300.0)


def availability(total: float, errors: float) -> float | None:
    """Percent of requests that did not fail; ``None`` without requests."""
    if total <= 0:
        return None
    return (total - errors) / total * 100


def error_rate(total: float, errors: float) -> float | None:
    if total <= 0:
        return None
    return errors / total * 100


def rate_per_second(count: float, covered_seconds: float) -> float:
    """Requests over the seconds the snapshots actually covered, not the nominal range."""
    if covered_seconds <= 0:
        return 0.0
    return count / covered_seconds


def average(total: float, count: float) -> float | None:
    if count <= 0:
        return None
    return total / count


def mtls_percent(tls_requests: float, total_requests: float) -> float | None:
    if total_requests <= 0:
        return None
    return tls_requests / total_requests * 100


def error_budget_remaining(availability_percent: float | None, target_percent: float) -> float | None:
    """Share of the allowed unavailability still unspent, in percent.

    100 means nothing spent; below 0 means overspent. Targets are below 100 %
    (a 100 % target has no budget to spend; target validation refuses it).
    """
    if availability_percent is None:
        return None
    allowed = 100 - target_percent
    if allowed <= 0:
        raise ValueError(f"availability target {target_percent} leaves no error budget")
    spent = 100 - availability_percent
    return min(100.0, (allowed - spent) / allowed * 100)


def status_class(code: str) -> str | None:
    """``"503"`` → ``"5xx"``; codes outside 200–599 (or not numbers) have no class."""
    if len(code) == 3 and code.isdigit() and code[0] in "2345":
        return f"{code[0]}xx"
    return None


def is_server_error(code: str) -> bool:
    """Ingress errors are codes >= 500 (SPEC §5)."""
    return code.isdigit() and int(code) >= 500
