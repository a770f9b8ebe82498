"""Master ingest benchmark: a real ``meshslo master`` process, snapshots posted over HTTP.

One cluster with ``--workloads`` workloads (500), ``--edges`` call edges (2,000)
and ``--backends`` ingress backends (200), as an agent would send every 30 s.
For each backend (a temporary SQLite file, then a fresh PostgreSQL database):

- sequential posts of one hour of snapshots (120): p50 / p95 ingest latency
  seen by the client (HTTP + validation + one transaction);
- ``--clients`` concurrent clients posting snapshots of another hour:
  sustained snapshots per second;
- the time to aggregate the first hour (120 snapshots) into hourly rows with
  the aggregator the master runs (``application.master.aggregator``);
- the master process's CPU time per snapshot, which unlike the wall-clock
  figures does not depend on what else the machine is running (the load
  average is printed alongside: client, database and master share its cores).

Targets: p95 <= 150 ms, >= 20 snapshots/s, one hour aggregated <= 5 s.

    .venv/bin/python benchmarks/master_ingest.py [--backends sqlite,postgresql] [--clients 4]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from adapters.storage.engine import make_engine  # noqa: E402
from adapters.storage.rollup_repository import SqlRollupRepository  # noqa: E402
from application.master.aggregator import Aggregator  # noqa: E402

CLUSTER = "bench-1"
TOKEN = "bench-token"
INTERVAL = 30
HOUR = 3600
LINKERD_BOUNDS = ["1", "2", "3", "4", "5", "10", "20", "30", "40", "50", "100", "200", "300", "400", "500",
                  "1000", "2000", "3000", "4000", "5000", "10000", "20000", "30000", "+Inf"]  # fmt: skip
TRAEFIK_BOUNDS = ["100", "300", "1200", "5000", "+Inf"]
POSTGRES_ADMIN_URL = os.environ.get("MESHSLO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

TARGET_P95_MS = 100.0
TARGET_RATE = 40.0
TARGET_HOUR_S = 5.0


# --------------------------------------------------------------------------- snapshot


def _cumulative(bounds: list[str], total: int, rng: random.Random) -> dict[str, int]:
    counts, running = {}, 0
    for bound in bounds[:-1]:
        running = min(total, running + rng.randint(0, max(1, total // 4)))
        counts[bound] = running
    counts[bounds[-1]] = total
    return counts


def build_slo_data(workloads: int, edges: int, backends: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    names = [(f"ns-{i % 25}", f"workload-{i}") for i in range(workloads)]
    services = []
    for namespace, name in names:
        ok, failed = rng.randint(100, 5000), rng.randint(0, 20)
        services.append({
            "namespace": namespace, "name": name,
            "requests": [{"status_code": "200", "classification": "success", "delta": ok},
                         {"status_code": "404", "classification": "success", "delta": rng.randint(0, 9)},
                         {"status_code": "503", "classification": "failure", "delta": failed}],
            "latency_buckets": _cumulative(LINKERD_BOUNDS, ok + failed, rng),
            "latency_sum": float(rng.randint(1000, 90000)), "latency_count": ok + failed,
            "tls_request_delta": ok, "total_request_delta": ok + failed,
        })
    edge_items = []
    for i in range(edges):
        (src_ns, src), (dst_ns, dst) = names[i % workloads], names[(i * 7 + 1) % workloads]
        requests = rng.randint(10, 2000)
        edge_items.append({"src_ns": src_ns, "src_name": src, "dst_ns": dst_ns, "dst_name": f"{dst}-{i}",
                           "request_delta": requests, "failure_delta": rng.randint(0, 5),
                           "latency_sum": float(requests * 12), "latency_count": requests})
    ingress, routes = [], []
    for i in range(backends):
        key = f"ns-{i % 25}-frontend-{i}-80"
        requests = [{"code": code, "method": method, "delta": rng.randint(0, 500)}
                    for code in ("200", "301", "404", "502") for method in ("GET", "POST")]
        total = sum(r["delta"] for r in requests)
        ingress.append({"service_key": key, "requests": requests,
                        "latency_buckets": _cumulative(TRAEFIK_BOUNDS, total, rng),
                        "latency_sum": float(total * 80), "latency_count": total})
        routes.append({"name": f"route-{i}", "namespace": f"ns-{i % 25}",
                       "domain": f"site-{i // 4}.example.com", "path_prefix": f"/p{i % 4}",
                       "service_key": key, "service_name": f"frontend-{i}", "service_port": 80, "tls": True})
    return {"services": services, "edges": edge_items, "ingress": ingress, "routes": routes}


def encode(slo_data: dict, timestamp: int) -> bytes:
    document = {"cluster_id": CLUSTER, "agent_version": "bench",
                "slo_data": {**slo_data, "timestamp": timestamp, "window_start": timestamp - INTERVAL}}
    return json.dumps(document, separators=(",", ":")).encode()


# --------------------------------------------------------------------------- processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (``--workers``) so far (Linux /proc)."""
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent, CPU seconds)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            ticks = int(fields[11]) + int(fields[12])
            stats[int(entry.name)] = (int(fields[1]), ticks / os.sysconf("SC_CLK_TCK"))
    family = {pid}
    grew = True
    while grew:
        grew = False
        for child, (parent, _) in stats.items():
            if parent in family and child not in family:
                family.add(child)
                grew = True
    return sum(stats[p][1] for p in family if p in stats)


@contextmanager
def master_process(database_url: str, log_path: Path, workers: int = 1) -> Iterator[tuple[str, int]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESHSLO_")}
    env["PYTHONPATH"] = str(ROOT / "src")
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "master", "--database-url", database_url,
             "--listen", f"127.0.0.1:{port}", "--ingest-token", TOKEN, "--log-level", "warning",
             "--workers", str(workers)],
            stdout=log_file, stderr=subprocess.STDOUT, env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"master did not start:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def fresh_postgres() -> Iterator[str]:
    import psycopg

    admin_url = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"meshslo_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- measurements


def post(client: httpx.Client, body: bytes) -> float:
    started = time.perf_counter()
    response = client.post("/agent/snapshot", content=body,
                           headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or response.json() != {"status": "stored"}:
        raise RuntimeError(f"ingest failed: {response.status_code} {response.text[:300]}")
    return elapsed


def sequential(url: str, bodies: list[bytes]) -> list[float]:
    with httpx.Client(base_url=url, timeout=60) as client:
        post(client, bodies[0])  # warm-up: connection, first-request imports
        return [post(client, body) for body in bodies[1:]]


def concurrent(url: str, bodies: list[bytes], clients: int) -> tuple[float, list[float]]:
    """Snapshots per second with ``clients`` clients sharing the bodies, and the posts' latencies."""
    shares = [bodies[i::clients] for i in range(clients)]
    errors: list[BaseException] = []
    latencies: list[float] = []

    def run(share: list[bytes]) -> None:
        try:
            with httpx.Client(base_url=url, timeout=120) as client:
                for body in share:
                    latencies.append(post(client, body))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return len(bodies) / elapsed, latencies


def aggregate_hour(database_url: str, hour: int, now: int) -> float:
    engine = make_engine(database_url)
    try:
        aggregator = Aggregator(SqlRollupRepository(engine), raw_retention_seconds=48 * HOUR)
        started = time.perf_counter()
        outcome = aggregator.rebuild_hour(CLUSTER, hour, now)
        elapsed = time.perf_counter() - started
        if outcome is None:
            raise RuntimeError("the master's own aggregator held the hour's lock; rerun")
        return elapsed
    finally:
        engine.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def bench_run(label: str, database_url: str, slo_data: dict, args: argparse.Namespace, work: Path,
              run: int, workers: int) -> dict[str, float]:
    """One run: a new master, its own two hours (run 0 the newest), every figure of the module docstring."""
    now = int(time.time())
    first_hour = (now // HOUR) * HOUR - 2 * HOUR * (run + 1)  # complete, and well inside raw retention
    hour_bodies = [encode(slo_data, first_hour + INTERVAL * (i + 1)) for i in range(HOUR // INTERVAL)]
    other_bodies = [encode(slo_data, first_hour + HOUR + INTERVAL * (i + 1)) for i in range(args.concurrent)]
    load = os.getloadavg()[0]
    with master_process(database_url, work / f"master-{label}-{workers}-{run}.log", workers) as (url, pid):
        cpu_before = cpu_seconds(pid)
        latencies = sequential(url, hour_bodies)
        cpu_per_snapshot = (cpu_seconds(pid) - cpu_before) / len(hour_bodies)
        rate, concurrent_latencies = concurrent(url, other_bodies, args.clients)
    hour_seconds = aggregate_hour(database_url, first_hour, now)
    figures = {
        "load": load,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "cpu_ms": cpu_per_snapshot * 1000,
        "rate": rate,
        "concurrent_p95_ms": percentile(concurrent_latencies, 0.95) * 1000,
        "hour_s": hour_seconds,
    }
    print(f"[{label} --workers {workers}] run {run + 1}: load average {load:.1f}; sequential p50 "
          f"{figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms; "
          f"CPU {figures['cpu_ms']:.1f} ms per snapshot; "
          f"{args.clients} clients {rate:.1f} snapshots/s (p95 {figures['concurrent_p95_ms']:.0f} ms); "
          f"one hour aggregated in {hour_seconds:.2f} s", flush=True)
    return figures


def span(values: list[float], digits: int = 1) -> str:
    low, high = min(values), max(values)
    a, b = f"{low:.{digits}f}", f"{high:.{digits}f}"
    return a if a == b else f"{a}–{b}"


def bench(label: str, database_url: str, slo_data: dict, args: argparse.Namespace, work: Path,
          workers: int) -> dict[str, list[float]]:
    size = len(encode(slo_data, 1)) / 1024
    print(f"\n[{label} --workers {workers}] snapshot body {size:.0f} KiB; {args.runs} runs; "
          f"{os.cpu_count()} cores", flush=True)
    runs = [bench_run(label, database_url, slo_data, args, work, run, workers) for run in range(args.runs)]
    figures = {name: [run[name] for run in runs] for name in runs[0]}
    print(f"[{label} --workers {workers}] over {args.runs} runs (load average {span(figures['load'])}): "
          f"sequential p50 {span(figures['p50_ms'])} ms, p95 {span(figures['p95_ms'])} ms; "
          f"CPU per snapshot {span(figures['cpu_ms'])} ms; "
          f"{args.clients} clients {span(figures['rate'])} snapshots/s "
          f"(p95 {span(figures['concurrent_p95_ms'], 0)} ms); "
          f"one hour aggregated in {span(figures['hour_s'], 2)} s")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workloads", type=int, default=500)
    parser.add_argument("--edges", type=int, default=2000)
    parser.add_argument("--backends-ingress", dest="ingress", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--concurrent", type=int, default=60, help="snapshots the concurrent clients post")
    parser.add_argument("--runs", type=int, default=3, help="runs per database and workers count")
    parser.add_argument("--workers", default="1", help="--workers counts of the master, e.g. 1,2")
    args = parser.parse_args()

    slo_data = build_slo_data(args.workloads, args.edges, args.ingress)
    print(f"cluster of {args.workloads} workloads, {args.edges} edges, {args.ingress} ingress backends; "
          f"targets: p95 <= {TARGET_P95_MS:.0f} ms, >= {TARGET_RATE:.0f} snapshots/s, "
          f"one hour aggregated <= {TARGET_HOUR_S:.0f} s")
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="meshslo-bench-") as tmp:
        work = Path(tmp)
        for backend in args.backends.split(","):
            for workers in [int(n) for n in args.workers.split(",")]:
                name = f"{backend} --workers {workers}"
                if backend == "sqlite":
                    database = f"sqlite:///{work / f'bench-{workers}.db'}"
                    results[name] = bench(backend, database, slo_data, args, work, workers)
                elif backend == "postgresql":
                    with fresh_postgres() as url:
                        results[name] = bench(backend, url, slo_data, args, work, workers)
                else:
                    parser.error(f"unknown backend {backend!r}")
    print()
    for name, figures in results.items():
        verdicts = [
            f"p95 {'ok' if max(figures['p95_ms']) <= TARGET_P95_MS else 'MISSED'}",
            f"throughput {'ok' if min(figures['rate']) >= TARGET_RATE else 'MISSED'}",
            f"hour rollup {'ok' if max(figures['hour_s']) <= TARGET_HOUR_S else 'MISSED'}",
        ]
        print(f"{name}: " + ", ".join(verdicts) + " (worst run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
