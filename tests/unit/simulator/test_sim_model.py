"""The simulated cluster: determinism, churn, and truth that an agent can recover exactly."""

from __future__ import annotations

import itertools
import random

import pytest
from sim_reference import ReferenceAgent, parse

from adapters.simulator.model import ClusterModel, ms_key
from adapters.simulator.scenario import backend_key, compact_scenario, default_scenario
from domain.contract import Route


def churning(seed: int, restart: int, rollout: int, controller_restart: int) -> ClusterModel:
    """The compact cluster with frequent restarts and rollouts."""
    return ClusterModel(seed=seed, restart_every=restart, rollout_every=rollout,
                        controller_restart_every=controller_restart, scenario=compact_scenario())


def run(model: ClusterModel, steps: int, fail: set[int] = frozenset(), garbage: set[int] = frozenset(),
        agent: ReferenceAgent | None = None) -> list[str]:
    """Scrape ``steps`` times; failed steps are never received (nor seen by the agent)."""
    bodies = []
    for _ in range(steps):
        step = model.advance()
        body = model.render(garbage=step in garbage)
        bodies.append(body)
        if step in fail:
            continue
        if agent is not None:
            agent.scrape(body)
        model.observed(step)
    return bodies


def assert_agent_matches_truth(agent: ReferenceAgent, model: ClusterModel) -> None:
    truth = model.truth()
    assert truth.workloads and truth.edges and truth.backends
    for wid, item in truth.workloads.items():
        assert agent.totals[("w", wid, "total")] == item["total"], wid
        assert agent.totals[("w", wid, "errors")] == item["errors"], wid
        assert agent.totals[("w", wid, "tls")] == item["tls"], wid
        for le, count in item["latency_buckets"].items():
            assert agent.totals[("w", wid, "bucket", le)] == count, (wid, le)
        assert agent.totals[("w", wid, "sum")] == pytest.approx(item["latency_sum"], rel=1e-9, abs=1e-6)
    for eid, item in truth.edges.items():
        assert agent.totals[("e", eid, "requests")] == item["requests"], eid
        assert agent.totals[("e", eid, "failures")] == item["failures"], eid
        assert agent.totals[("e", eid, "count")] == item["latency_count"], eid
    for key, item in truth.backends.items():
        assert agent.totals[("b", key, "total")] == item["total"], key
        assert agent.totals[("b", key, "errors")] == item["errors"], key
        for le, count in item["latency_buckets"].items():
            assert agent.totals[("b", key, "bucket", le)] == count, (key, le)
    # Nothing counted by the agent is missing from the truth either.
    for kind, ident, *_ in list(agent.totals):
        table = {"w": truth.workloads, "e": truth.edges, "b": truth.backends}[kind]
        if agent.totals.get((kind, ident, "total")) or agent.totals.get((kind, ident, "requests")):
            assert ident in table, ident


def test_same_seed_gives_the_same_cluster_and_another_seed_a_different_one() -> None:
    first = run(ClusterModel(seed=7, scenario=compact_scenario()), 12)
    assert run(ClusterModel(seed=7, scenario=compact_scenario()), 12) == first
    assert run(ClusterModel(seed=8, scenario=compact_scenario()), 12) != first


def test_exposition_looks_like_the_collector_exporter() -> None:
    model = ClusterModel(seed=1)
    body = run(model, 2)[-1]
    assert "# TYPE otel_response_total counter" in body
    assert "# TYPE otel_response_latency_ms histogram" in body
    assert "# TYPE otel_traefik_service_request_duration_seconds histogram" in body
    assert "# TYPE otel_nginx_ingress_controller_requests_total counter" in body
    samples = parse(body)
    families = {family for family, _, _ in samples.values()}
    assert {"response_total", "response_latency_ms_bucket", "traefik_service_requests_total",
            "nginx_ingress_controller_request_duration_seconds_sum", "route_response_total"} <= families
    labels = [labels for _, labels, _ in samples.values()]
    assert all("job" in item and "instance" in item for item in labels)
    linkerd = [item for family, item, _ in samples.values() if family == "response_total"]
    assert {item["tls"] for item in linkerd} >= {"true", "false", "no_identity"}
    assert any(item.get("route_name") == "probe" for item in linkerd)
    assert any(item.get("srv_port") == "4191" for item in linkerd)
    assert any(item["namespace"] == "linkerd" for item in linkerd)
    assert any("dst_statefulset" in item for item in linkerd)
    assert any("dst_daemonset" in item for item in linkerd)
    assert any(item["direction"] == "outbound" and "dst_namespace" not in item for item in linkerd)
    assert any(item["classification"] == "failure" and item["status_code"] == "" for item in linkerd)
    latency = [item for family, item, _ in samples.values() if family == "response_latency_ms_bucket"]
    assert not any("route_name" in item or "status_code" in item for item in latency)
    assert {item["le"] for item in latency} >= {"1", "5", "30000", "+Inf"}
    nginx = [item for family, item, _ in samples.values()
             if family == "nginx_ingress_controller_requests_total"]
    assert any("service_port" not in item for item in nginx)
    assert len({item["controller_pod"] for item in nginx}) == 2
    traefik = [item for family, item, _ in samples.values() if family == "traefik_service_requests_total"]
    assert len({item["instance"] for item in traefik}) == 2


def test_new_series_appear_at_zero() -> None:
    model = ClusterModel(seed=2, rollout_every=3, scenario=compact_scenario())
    previous: dict[str, float] = {}
    appeared = 0
    for body in run(model, 15):
        current = {k: v for k, (f, _, v) in parse(body).items()
                   if f in ("response_total", "traefik_service_requests_total")}
        for identity, value in current.items():
            if previous and identity not in previous:
                appeared += 1
                assert value == 0, identity
        previous = current
    assert appeared > 0


def test_restarts_and_rollouts_happen() -> None:
    model = churning(3, 2, 3, 4)
    names_before = {s.name for s in model.sources}
    bodies = run(model, 14)
    assert sum(s.restarts for s in model.sources) >= 3
    assert any(s.kind in ("traefik", "nginx") and s.restarts for s in model.sources)
    names_after = {s.name for s in model.sources}
    assert names_before - names_after and names_after - names_before
    decreases = 0
    for before, after in itertools.pairwise(bodies):
        old, new = parse(before), parse(after)
        decreases += sum(1 for k, (_, _, v) in new.items() if k in old and v < old[k][2])
    assert decreases > 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reference_agent_recovers_the_truth_exactly_through_restarts_and_churn(seed: int) -> None:
    model = churning(seed, 2, 3, 3)
    agent = ReferenceAgent(model.routes())
    run(model, 16, agent=agent)
    assert sum(s.restarts for s in model.sources) >= 4
    assert_agent_matches_truth(agent, model)


def test_truth_stays_exact_when_scrapes_fail_or_carry_garbage() -> None:
    model = churning(4, 2, 3, 3)
    agent = ReferenceAgent(model.routes())
    fail = {1, 4, 5, 9, 10, 11, 15}
    run(model, 18, fail=fail, garbage={3, 7, 13}, agent=agent)
    assert model.first_observed == 2 and model.last_observed == 18
    assert_agent_matches_truth(agent, model)


def test_random_failures_never_break_exactness() -> None:
    rng = random.Random(99)
    model = churning(5, 1, 2, 2)
    agent = ReferenceAgent(model.routes())
    run(model, 25, fail={s for s in range(1, 26) if rng.random() < 0.4} - {25}, agent=agent)
    assert_agent_matches_truth(agent, model)


def test_no_restart_after_a_scrape_the_client_did_not_receive() -> None:
    model = ClusterModel(seed=6, restart_every=1, rollout_every=0, controller_restart_every=0,
                         scenario=compact_scenario())
    model.observed(model.advance())
    model.advance()  # not received
    restarts = sum(s.restarts for s in model.sources)
    model.advance()  # a restart is due, but the client lacks the pre-restart values
    assert sum(s.restarts for s in model.sources) == restarts
    model.observed(model.step)
    model.advance()
    assert sum(s.restarts for s in model.sources) > restarts


def test_truth_windows_add_up() -> None:
    model = ClusterModel(seed=8, scenario=compact_scenario())
    run(model, 10)
    whole, first, second = model.truth(2, 10), model.truth(2, 6), model.truth(6, 10)
    for wid, item in whole.workloads.items():
        assert item["total"] == first.workloads[wid]["total"] + second.workloads[wid]["total"]
        assert item["latency_buckets"]["+Inf"] == (first.workloads[wid]["latency_buckets"]["+Inf"]
                                                   + second.workloads[wid]["latency_buckets"]["+Inf"])
    for key, item in whole.backends.items():
        assert item["total"] == first.backends[key]["total"] + second.backends[key]["total"]
    assert model.truth(5, 5).workloads == {}


def test_truth_excludes_what_the_agent_must_drop() -> None:
    model = ClusterModel(seed=9)
    run(model, 6)
    truth = model.truth()
    assert not any(wid.startswith("linkerd/") for wid in truth.workloads)
    assert not any("api.stripe.com" in eid for eid in truth.edges)
    assert "shop/debug-shell" not in truth.workloads
    assert {"shop-frontend-80", "identity-auth-8080", "payments-webhooks"} <= set(truth.backends)
    frontend = truth.workloads["shop/frontend"]
    assert 0 < frontend["tls"] < frontend["total"]
    assert frontend["latency_count"] == frontend["total"]  # probes are not requests


def test_truth_rejects_windows_it_cannot_answer() -> None:
    model = ClusterModel(seed=1)
    run(model, 3)
    with pytest.raises(ValueError):
        model.truth(3, 2)
    with pytest.raises(ValueError):
        model.truth(1, 4)


def test_bounds_in_seconds_become_exact_milliseconds() -> None:
    assert [ms_key(t) for t in ("0.005", "0.3", "1.2", "2.5", "10", "0.0001")] == [
        "5", "300", "1200", "2500", "10000", "0.1"]


def test_routes_are_valid_contract_routes_and_keys_follow_the_spec() -> None:
    scenario = default_scenario()
    routes = [Route.model_validate(r, strict=False) for r in ClusterModel(seed=1).routes()]
    assert len(routes) == len(scenario.routes)
    assert any(r.tls for r in routes) and any(not r.tls for r in routes)
    shop = [r for r in routes if r.domain == "shop.example.com"]
    assert len({r.service_key for r in shop}) == 2 and len({r.path_prefix for r in shop}) == 2
    keys = {b.service: backend_key(b, scenario.routes) for b in scenario.backends}
    assert keys["auth"] == "identity-auth-8080"  # nginx without service_port: port from the route
    assert keys["webhooks"] == "payments-webhooks"  # no port anywhere
    assert keys["gateway"] == "payments-gateway-8443"


def test_truth_is_kept_for_the_configured_number_of_steps() -> None:
    model = ClusterModel(seed=2, scenario=compact_scenario(), history=5)
    run(model, 9)
    assert model.truth(4, 9).to_step == 9
    with pytest.raises(ValueError, match="no longer kept"):
        model.truth(2, 9)
    default = model.truth()  # the window shrinks to what is kept, and says so
    assert (default.from_step, default.to_step) == (4, 9)
    assert default.workloads == model.truth(4, 9).workloads


def test_without_prefix_the_nginx_counter_has_no_total_suffix() -> None:
    model = ClusterModel(seed=2, scenario=compact_scenario(), prefix="")
    body = run(model, 2)[-1]
    assert "\nnginx_ingress_controller_requests{" in body
    assert "\nresponse_total{" in body and "otel_" not in body
