"""What the alert and budget queries answer (SPEC §11), shaped like the API's JSON."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AlertView:
    labels: dict[str, str]
    annotations: dict[str, str]
    state: str
    started_at: int
    resolved_at: int | None
    burn_rate_long: float | None
    burn_rate_short: float | None


@dataclass(frozen=True, slots=True)
class BudgetPointView:
    timestamp: int
    budget_remaining: float | None


@dataclass(frozen=True, slots=True)
class ObjectiveBudgetView:
    sli: str
    window: str
    target: float
    threshold_ms: float | None
    points: list[BudgetPointView]
