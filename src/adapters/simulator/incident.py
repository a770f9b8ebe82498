"""A scheduled incident: for a run of steps, one workload fails far more often than usual.

The schedule is in steps (one step per scrape), so a seed gives the same incident
every run. The model only swaps the workload's outcome weights in those steps:
``random.choices`` draws once per pick whatever the weights, so the random
stream, and with it every other workload's traffic, is the same as without the
incident, and ground truth stays exact because it records the outcomes drawn.

The default workload is ``identity/auth``: its example objective (99.9 % over
``1d``) scales the page tiers' short windows down to one minute, so the page
fires within a round or two of the start and resolves about a minute after the
end, where a 28- or 30-day objective would keep paging for half an hour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from adapters.simulator.scenario import Outcome

INCIDENT_WORKLOAD = "identity/auth"
INCIDENT_FAILURE_SHARE = 0.25  # a quarter of sign-ins fail: burn 250 against a 0.1 % budget


@dataclass(frozen=True)
class Incident:
    workload: str  # workload id (namespace/name)
    first_step: int
    last_step: int
    failure_share: float = INCIDENT_FAILURE_SHARE

    def active(self, workload: str, step: int) -> bool:
        return workload == self.workload and self.first_step <= step <= self.last_step


def schedule_incident(after_s: float, duration_s: float, step_s: float,
                      workload: str = INCIDENT_WORKLOAD) -> Incident | None:
    """The steps of an incident starting ``after_s`` seconds after the first scrape (step 1) and
    lasting ``duration_s``, with one scrape every ``step_s``; None when either is 0 (no incident)."""
    if after_s <= 0 or duration_s <= 0:
        return None
    if step_s <= 0:
        raise ValueError("the scrape interval must be positive to schedule an incident")
    first = 1 + math.ceil(after_s / step_s)
    return Incident(workload, first, first + max(1, math.ceil(duration_s / step_s)) - 1)


def incident_outcomes(outcomes: tuple[Outcome, ...], failure_share: float) -> tuple[Outcome, ...]:
    """The usual successes, scaled down to ``1 - failure_share`` of the weight; the rest is 503s
    (the backend is overloaded), plus the usual failures in their usual proportion."""
    successes = [o for o in outcomes if o.classification != "failure"]
    failures = [o for o in outcomes if o.classification == "failure"]
    success_weight = sum(o.weight for o in successes)
    failure_weight = sum(o.weight for o in failures)
    usual = 1 - failure_share if success_weight else 0.0
    scaled = [Outcome(o.status_code, o.classification, o.weight / success_weight * usual,
                      o.grpc_status, o.error) for o in successes]
    # The usual failures keep at most half of the incident's share: most of it is the outage.
    kept = min(failure_weight / (success_weight + failure_weight), failure_share / 2) if outcomes else 0.0
    usual_failures = [Outcome(o.status_code, o.classification, o.weight / failure_weight * kept,
                              o.grpc_status, o.error) for o in failures] if failure_weight else []
    return (*scaled, *usual_failures, Outcome("503", "failure", failure_share - kept))
