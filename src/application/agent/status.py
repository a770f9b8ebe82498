"""What the agent has been doing, for its /healthz and /metrics.

Plain counters written by the run loop's thread and read by the HTTP
server's; each field is replaced whole, so a reader sees either the old or the
new value of a field, which is all a metrics scrape needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.agent.scrape_checks import ScrapeFailure
from domain.agent.stats import CollectStats


@dataclass(slots=True)
class AgentStatus:
    started_at: float = 0.0
    cycles: int = 0
    scrape_failures: int = 0
    cycle_errors: int = 0  # unexpected failures inside a cycle (bugs, bad data)
    state_save_failures: int = 0
    last_state_save_seconds: float = 0.0
    last_cycle_ok: bool | None = None
    last_success_at: float | None = None  # wall clock of the last cycle that scraped and handed off
    last_error: str | None = None
    collector_healthy: bool | None = None
    scrape_seconds_sum: float = 0.0
    scrape_seconds_count: int = 0
    last_scrape_seconds: float = 0.0
    last_scrape_bytes: int = 0
    collect: CollectStats = field(default_factory=CollectStats)  # summed over every successful collection
    # Failed scrapes by reason (ScrapeFailure values); their sum is scrape_failures.
    scrape_failure_reasons: dict[str, int] = field(default_factory=dict)

    def record_scrape_failure(self, reason: ScrapeFailure) -> None:
        # A new dict, not an update in place: the /metrics server may be iterating the old one.
        reasons = dict(self.scrape_failure_reasons)
        reasons[reason.value] = reasons.get(reason.value, 0) + 1
        self.scrape_failure_reasons = reasons
        self.scrape_failures += 1

    def health(
        self, now: float, stale_after: float, stranded: str | None = None
    ) -> tuple[bool, dict[str, Any]]:
        """Healthy until a cycle has run, then while the last success (or the start,
        before any) is at most ``stale_after`` seconds old: one failed scrape is a
        blip, a run of them is an agent that needs a look.

        ``stranded`` (the sender's reason why snapshots can be neither delivered nor
        spooled) fails it at once, whatever the age: every interval from then on
        lives in memory only, and a restart would lose them all.
        """
        reason: str | None = stranded
        if self.last_cycle_ok is not None and reason is None:
            reference = self.last_success_at if self.last_success_at is not None else self.started_at
            if now - reference > stale_after:
                reason = f"no successful cycle for {now - reference:.0f}s (more than {stale_after:.0f}s)"
        ok = reason is None
        return ok, {
            "ok": ok,
            "reason": reason,
            "cycles": self.cycles,
            "last_cycle_ok": self.last_cycle_ok,
            "last_success": self.last_success_at,
            "last_error": self.last_error,
            "collector_healthy": self.collector_healthy,
        }
