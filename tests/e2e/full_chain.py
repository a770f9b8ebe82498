"""The full-chain tests' processes (simulator, master and agents, run as tests/e2e/processes.py
runs any ``meshslo`` process) and the checks against the simulator's truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tests.e2e.processes import Proc, clean_env, free_port, local_url, meshslo, wait_until

__all__ = ["Chain", "Proc", "assert_matches_truth", "clean_env", "free_port", "wait_until"]

# Scrape timestamps are whole seconds: with a 1.2 s interval two scrapes never share one,
# so the agent never has to hold a scrape back (which would shift its baseline off the simulator's).
INTERVAL = "1.2"
CLUSTER = "sim-e2e"


@dataclass
class Chain:
    """A simulator and a master; agents are run on demand."""

    workdir: Path
    database_url: str
    sim_args: list[str] = field(default_factory=list)
    procs: list[Proc] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.master_port = free_port()
        self.sim_port = free_port()
        self.master_url = local_url(self.master_port)
        self.sim_url = local_url(self.sim_port)
        self.routes = self.workdir / "routes.json"
        self.state = self.workdir / "agent-state.json"
        self.spool = self.workdir / "spool"

    def _proc(self, name: str, args: list[str]) -> Proc:
        proc = meshslo(name, args, self.workdir / f"{name}.log")
        self.procs.append(proc)
        return proc

    def start_simulator(self) -> Proc:
        proc = self._proc("simulator", ["simulate", "--listen", f"127.0.0.1:{self.sim_port}",
                                        "--routes-out", str(self.routes), *self.sim_args]).start()
        return proc.wait_ready(f"{self.sim_url}/healthz", 20)

    def start_master(self, port: int | None = None, name: str = "master") -> Proc:
        port = port or self.master_port
        proc = self._proc(name, ["master", "--database-url", self.database_url,
                                 "--listen", f"127.0.0.1:{port}",
                                 "--aggregate-interval", "1h", "--status-interval", "1h"]).start()
        return proc.wait_ready(f"{local_url(port)}/readyz", 40)

    def agent(self, cycles: int, name: str = "agent", master_url: str | None = None) -> Proc:
        return self._proc(name, [
            "agent", "--cluster-id", CLUSTER, "--master-url", master_url or self.master_url,
            "--metrics-url", f"{self.sim_url}/metrics", "--health-url", "",
            "--routes", f"file:{self.routes}", "--interval", INTERVAL, "--scrape-timeout", "5s",
            "--cycles", str(cycles), "--flush-timeout", "20s", "--spool-dir", str(self.spool),
            "--state-file", str(self.state), "--listen", "",
        ]).start()

    def proc(self, name: str) -> Proc:
        """The latest process started under ``name``."""
        return next(proc for proc in reversed(self.procs) if proc.name == name)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()

    def logs(self) -> str:
        return "\n".join(f"----- {p.name} ({p.log})\n{p.output()[-3000:]}" for p in self.procs)

    def truth(self) -> dict[str, Any]:
        return httpx.get(f"{self.sim_url}/truth", timeout=10).json()

    def api(self, path: str, base_url: str | None = None, **params: str) -> dict[str, Any]:
        response = httpx.get(f"{base_url or self.master_url}{path}",
                             params={"cluster_id": CLUSTER, "time_range": "1h", **params}, timeout=20)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()


def true_quantile_bucket(buckets: dict[str, int], q: float) -> tuple[float, float]:
    """(lower, upper] of the bucket holding the q-quantile of cumulative ``buckets``."""
    ordered = sorted(((float(k), v) for k, v in buckets.items()), key=lambda kv: kv[0])
    rank = q * ordered[-1][1]
    lower = 0.0
    for bound, cumulative in ordered:
        if cumulative >= rank:
            return lower, bound
        lower = bound
    return lower, ordered[-1][0]


def per_bucket(cumulative: dict[str, int]) -> dict[str, int]:
    """Cumulative buckets (ascending) → counts per bucket, as distributions are shown."""
    out, previous = {}, 0
    for le, count in cumulative.items():
        out[le] = count - previous
        previous = count
    return out


def status_classes(requests: dict[str, int]) -> dict[str, int]:
    """``{"503|failure": 4, …}`` → ``{"2xx": …, "5xx": 4}``; non-HTTP outcomes count in no class."""
    classes = dict.fromkeys(("2xx", "3xx", "4xx", "5xx"), 0)
    for label, count in requests.items():
        code = label.split("|")[0]
        if code and code[0] in "2345":
            classes[f"{code[0]}xx"] += count
    return classes


def assert_matches_truth(chain: Chain, truth: dict[str, Any], base_url: str | None = None) -> None:
    """Every workload, edge and backend the master shows equals the simulator's truth exactly."""
    topology = chain.api("/api/v2/slo/mesh/topology", base_url)
    nodes = {node["id"]: node for node in topology["nodes"]}
    expected = {wid: item for wid, item in truth["workloads"].items() if item["total"]}
    assert expected, "the simulator produced no traffic"
    assert {n for n, node in nodes.items() if node["total_requests"]} == set(expected)
    for wid, item in expected.items():
        node = nodes[wid]
        assert node["total_requests"] == item["total"], wid
        assert node["errors"] == item["errors"], wid
        assert round(node["mtls_percent"] * item["total"] / 100) == item["tls"], wid
        lower, upper = true_quantile_bucket(item["latency_buckets"], 0.95)
        if upper == float("inf"):
            upper = lower  # a rank in +Inf reads as the highest finite bound
        assert lower - 1e-9 <= node["p95_latency"] <= upper + 1e-9, (wid, node["p95_latency"], lower, upper)
        namespace, name = wid.split("/")
        detail = chain.api("/api/v2/slo/mesh/service/detail", base_url, namespace=namespace, name=name)
        shown = {c["code"]: c["count"] for c in detail["status_codes"]}
        assert shown == status_classes(item["requests"]), wid
        # Per-bucket counts: probes compensated exactly, restarts and failed scrapes included.
        distribution = {b["le"]: b["count"] for b in detail["latency_buckets"]}
        assert distribution == per_bucket(item["latency_buckets"]), wid

    edges = {(e["source"], e["target"]): e for e in topology["edges"]}
    expected_edges = {tuple(eid.split("->")): item
                      for eid, item in truth["edges"].items() if item["requests"]}
    assert set(edges) == set(expected_edges)
    for key, item in expected_edges.items():
        assert edges[key]["total_requests"] == item["requests"], key
        assert edges[key]["failures"] == item["failures"], key

    domains = chain.api("/api/v2/slo/domains/v2", base_url)
    services = {s["service_key"]: s for d in domains["domains"] for s in d["services"]}
    expected_backends = {k: item for k, item in truth["backends"].items() if item["total"]}
    assert set(expected_backends) <= set(services)
    for key, item in expected_backends.items():
        current = services[key]["current"]
        assert current["total_requests"] == item["total"], key
        assert current["errors"] == item["errors"], key
        lower, upper = true_quantile_bucket(item["latency_buckets"], 0.95)
        upper = lower if upper == float("inf") else upper
        assert lower - 1e-9 <= current["p95_latency"] <= upper + 1e-9, (key, current["p95_latency"])
        shown_classes = {c["code"]: c["count"] for c in services[key]["status_codes"]}
        assert shown_classes == status_classes(item["requests"]), key
        shown = {b["le"]: b["count"] for b in services[key]["latency_distribution"]}
        assert shown == per_bucket(item["latency_buckets"]), key
        methods: dict[str, int] = {}
        for label, count in item["requests"].items():
            method = label.split("|")[1]
            method = method if method in ("GET", "POST", "PUT", "DELETE", "PATCH") else "OTHER"
            methods[method] = methods.get(method, 0) + count
        assert {m["method"]: m["requests"] for m in services[key]["methods"] if m["requests"]} == methods, key
