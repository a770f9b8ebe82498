"""The scheduled incident: one workload fails far more often in its steps, nothing else changes,
and ground truth stays exact."""

from __future__ import annotations

import pytest
from sim_reference import ReferenceAgent
from test_sim_model import assert_agent_matches_truth, run

from adapters.simulator.incident import (
    INCIDENT_FAILURE_SHARE,
    INCIDENT_WORKLOAD,
    Incident,
    incident_outcomes,
    schedule_incident,
)
from adapters.simulator.model import ClusterModel
from adapters.simulator.scenario import FLAKY, HEALTHY, RELIABLE
from entrypoints.simulate_cmd import SimulateSettings

INCIDENT = Incident(INCIDENT_WORKLOAD, first_step=11, last_step=30)


def failure_share(model: ClusterModel, first: int, last: int, workload: str = INCIDENT_WORKLOAD) -> float:
    item = model.truth(first - 1, last).workloads[workload]
    return float(item["errors"]) / float(item["total"])


def test_the_schedule_turns_times_into_steps_counted_from_the_first_scrape() -> None:
    assert schedule_incident(240, 360, 5) == Incident(INCIDENT_WORKLOAD, 49, 120)
    assert schedule_incident(10, 30, 2) == Incident(INCIDENT_WORKLOAD, 6, 20)
    assert schedule_incident(1, 0.5, 5) == Incident(INCIDENT_WORKLOAD, 2, 2)  # at least one step
    assert schedule_incident(0, 360, 5) is None
    assert schedule_incident(240, 0, 5) is None


@pytest.mark.parametrize("usual", [HEALTHY, FLAKY, RELIABLE])
def test_the_incident_outcomes_fail_exactly_the_share_asked(usual: tuple) -> None:
    outcomes = incident_outcomes(usual, 0.25)
    total = sum(o.weight for o in outcomes)
    failed = sum(o.weight for o in outcomes if o.classification == "failure")
    assert total == pytest.approx(1.0) and failed == pytest.approx(0.25)
    assert {o.status_code for o in usual} <= {o.status_code for o in outcomes}


def test_the_workload_fails_far_more_in_the_incident_steps_and_as_usual_outside() -> None:
    model = ClusterModel(seed=3, incident=INCIDENT)
    run(model, 45)
    before, during = failure_share(model, 1, 10), failure_share(model, 11, 30)
    after = failure_share(model, 31, 45)
    assert before < 0.005 and after < 0.005  # its objective is 99.9 %: quiet outside the incident
    assert during == pytest.approx(INCIDENT_FAILURE_SHARE, abs=0.05)
    # Callers see it too: the frontend's calls to it fail as often.
    calls = model.truth(10, 30).edges[f"shop/frontend->{INCIDENT_WORKLOAD}"]
    assert calls["failures"] / calls["requests"] == pytest.approx(INCIDENT_FAILURE_SHARE, abs=0.07)


def test_everything_else_is_the_same_as_without_the_incident() -> None:
    quiet, loud = ClusterModel(seed=3), ClusterModel(seed=3, incident=INCIDENT)
    run(quiet, 40)
    run(loud, 40)
    assert quiet.truth(0, 10).workloads == loud.truth(0, 10).workloads
    plain, struck = quiet.truth(0, 40), loud.truth(0, 40)
    assert plain.backends == struck.backends
    # The incident's own workload differs afterwards too, slightly: a pod restarted in the
    # incident holds its 503 series below their old values until seen, as any restart does.
    assert {w: i for w, i in plain.workloads.items() if w != INCIDENT_WORKLOAD} == \
        {w: i for w, i in struck.workloads.items() if w != INCIDENT_WORKLOAD}
    assert plain.edges.keys() == struck.edges.keys()
    for eid, item in plain.edges.items():
        if not eid.endswith(INCIDENT_WORKLOAD):
            assert struck.edges[eid] == item, eid


def test_truth_stays_exact_through_the_incident_and_the_same_seed_repeats_it() -> None:
    model = ClusterModel(seed=5, incident=Incident(INCIDENT_WORKLOAD, 4, 12))
    agent = ReferenceAgent(model.routes())
    bodies = run(model, 16, fail={6, 7}, agent=agent)
    assert_agent_matches_truth(agent, model)
    again = ClusterModel(seed=5, incident=Incident(INCIDENT_WORKLOAD, 4, 12))
    assert run(again, 16, fail={6, 7}) == bodies


def test_simulate_has_no_incident_unless_asked() -> None:
    assert SimulateSettings().sim_incident_after == 0
    settings = SimulateSettings(sim_incident_after="off")
    assert schedule_incident(settings.sim_incident_after, settings.sim_incident_duration,
                             settings.sim_scrape_interval) is None
    asked = SimulateSettings(sim_incident_after="10s", sim_incident_duration="30s", sim_scrape_interval="2s")
    assert schedule_incident(asked.sim_incident_after, asked.sim_incident_duration,
                             asked.sim_scrape_interval) == Incident(INCIDENT_WORKLOAD, 6, 20)
