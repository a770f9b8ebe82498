"""Agent cycle benchmark: an OpenTelemetry-Collector-style scrape of a 2,000-pod mesh.

Builds expositions (prefix ``otel_``) of ``--pods`` meshed pods — Linkerd
``response_total`` inbound/outbound with several series per status code and
``response_latency_ms`` histograms with Linkerd's bounds, Traefik and
ingress-nginx families — plus ``--unrelated`` lines of families the agent
drops (some sharing a prefix with kept ones, such as ``otel_response_total_foo``).
Counters advance from one cycle's file to the next. A separate process serves
the files over HTTP; the generator also runs in its own process, so the peak
RSS printed is the agent side's alone.

Prints: parser lines/s (cold cache and warm cache), seconds per full cycle
(HTTP scrape + parse + delta + aggregate through ``CollectUseCase``, median of
the warm cycles), peak RSS, and the parser's throughput against
``prometheus_client.parser.text_string_to_metric_families`` on the same text.
CPU time is printed next to wall time: the machine may be shared.

The collect use case holds off Python's cyclic garbage collector during a
cycle (hundreds of thousands of long-lived series make its passes expensive);
``--pause-gc`` additionally runs one full collection between cycles.

    .venv/bin/python benchmarks/agent_cycle.py [--pods 2000] [--unrelated 300000] [--cycles 5] [--gzip]
        [--pause-gc]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import http.server
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from adapters.exposition.parser import ExpositionParser
from adapters.scrape.http_source import HttpMetricsSource
from application.agent.collect import CollectOptions, CollectUseCase
from domain.contract import Route
from domain.series import Scrape

LINKERD_BOUNDS_MS = [
    1,
    2,
    3,
    4,
    5,
    10,
    20,
    30,
    40,
    50,
    100,
    200,
    300,
    400,
    500,
    1000,
    2000,
    3000,
    4000,
    5000,
    10000,
    20000,
    30000,
]
LINKERD_LE = [str(bound) for bound in LINKERD_BOUNDS_MS]
TRAEFIK_BOUNDS_S = ["0.1", "0.3", "1.2", "5"]
# (request counter, latency histogram) of each ingress controller
TRAEFIK_FAMILIES = ("traefik_service_requests_total", "traefik_service_request_duration_seconds")
NGINX_FAMILIES = ("nginx_ingress_controller_requests", "nginx_ingress_controller_request_duration_seconds")
NGINX_BOUNDS_S = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"]
INTERVAL_S = 30
CHUNK = 64 * 1024

# --------------------------------------------------------------------------- generation


class _Series:
    """One line to write: its text up to the value, and how its value grows per cycle."""

    __slots__ = ("base", "fraction", "head", "integer", "rate")

    def __init__(self, head: str, base: float, rate: float, fraction: float = 1.0, integer: bool = True):
        self.head, self.base, self.rate, self.fraction, self.integer = head, base, rate, fraction, integer

    def value(self, cycle: int) -> str:
        number = (self.base + self.rate * cycle * INTERVAL_S) * self.fraction
        return str(int(number)) if self.integer else f"{number:.3f}"


def _labels(le: str | None = None, **labels: str) -> str:
    """A label block as the OpenTelemetry Collector's Prometheus exporter writes it: names sorted,
    then a histogram bucket's ``le`` last (so a bucket line is not in canonical order)."""
    pairs = [f'{name}="{labels[name]}"' for name in sorted(labels)]
    if le is not None:
        pairs.append(f'le="{le}"')
    return "{" + ",".join(pairs) + "}"


def _latency_fractions() -> list[float]:
    # A plausible cumulative distribution over Linkerd's bounds: median near 20 ms.
    fractions = [min(1.0, 0.02 + 0.98 * (1 - 2 ** (-bound / 20))) for bound in LINKERD_BOUNDS_MS]
    return [*fractions, 1.0]


def build_families(pods: int, unrelated: int, seed: int = 7) -> list[tuple[str, list[_Series]]]:
    """(family header, series) in exposition order: every family's samples together, as exporters write."""
    rnd = random.Random(seed)
    namespaces = [f"shop-{n:02d}" for n in range(20)]
    deployments = [(namespaces[d % 20], f"svc-{d:03d}") for d in range(max(1, pods // 5))]
    pod_rows = []
    for number in range(pods):
        namespace, deployment = deployments[number % len(deployments)]
        template = f"{rnd.getrandbits(40):010x}"[:10]
        pod = f"{deployment}-{template}-{rnd.getrandbits(25):05x}"[:40]
        ip = f"10.{(number >> 8) & 255}.{number & 255}.{rnd.randrange(2, 250)}"
        common = {
            "control_plane_ns": "linkerd",
            "deployment": deployment,
            "instance": f"{ip}:4191",
            "job": "linkerd-proxy",
            "namespace": namespace,
            "pod": pod,
            "pod_template_hash": template,
        }
        peers = [deployments[(number * 7 + k) % len(deployments)] for k in (1, 2)]
        pod_rows.append((common, ip, peers))

    fractions = _latency_fractions()
    families: dict[str, list[_Series]] = {
        "response_total": [],
        "response_latency_ms": [],
        "request_total": [],
    }
    codes = [
        ("200", "success"),
        ("201", "success"),
        ("404", "success"),
        ("500", "failure"),
        ("503", "failure"),
    ]
    for common, ip, peers in pod_rows:
        identity = ".serviceaccount.identity.linkerd.cluster.local"
        clients = [
            {"tls": "true", "client_id": f"{peers[0][1]}.{peers[0][0]}{identity}"},
            {"tls": "true", "client_id": f"{peers[1][1]}.{peers[1][0]}{identity}"},
            {"tls": "no_identity", "no_tls_reason": "no_tls_from_remote"},
        ]
        inbound = {**common, "direction": "inbound", "srv_port": "8080", "target_addr": f"{ip}:8080"}
        for client in clients:
            rate = rnd.uniform(0.5, 20)
            for code, classification in codes:
                share = 0.9 if code == "200" else 0.025
                labels = {**inbound, **client, "status_code": code, "classification": classification}
                families["response_total"].append(
                    _Series(
                        "otel_response_total" + _labels(**labels) + " ",
                        rnd.randrange(1000, 10**6),
                        rate * share,
                    )
                )
            families["request_total"].append(
                _Series("otel_request_total" + _labels(**inbound, **client) + " ", rnd.randrange(10**6), rate)
            )
            _histogram(
                families["response_latency_ms"],
                "otel_response_latency_ms",
                {**inbound, **client},
                LINKERD_LE,
                fractions,
                rnd.randrange(1000, 10**6),
                rate,
                35.0,
            )
        for dst_namespace, dst_deployment in peers:
            outbound = {
                **common,
                "direction": "outbound",
                "authority": f"{dst_deployment}.{dst_namespace}.svc.cluster.local:8080",
                "dst_deployment": dst_deployment,
                "dst_namespace": dst_namespace,
                "dst_service": dst_deployment,
                "tls": "true",
            }
            rate = rnd.uniform(0.5, 20)
            for code, classification in codes[::3]:
                labels = {**outbound, "status_code": code, "classification": classification}
                families["response_total"].append(
                    _Series("otel_response_total" + _labels(**labels) + " ", rnd.randrange(10**6), rate / 2)
                )
            _histogram(
                families["response_latency_ms"],
                "otel_response_latency_ms",
                outbound,
                LINKERD_LE,
                fractions,
                rnd.randrange(1000, 10**6),
                rate,
                40.0,
            )

    ingress: dict[str, list[_Series]] = {name: [] for name in (*TRAEFIK_FAMILIES, *NGINX_FAMILIES)}
    backends = deployments[:300]
    for replica in range(4):
        for namespace, service in backends:
            for method in ("GET", "POST"):
                common = {
                    "instance": f"10.200.0.{replica}:9100",
                    "job": "traefik",
                    "method": method,
                    "protocol": "http",
                    "service": f"{namespace}-{service}-8080@kubernetescrd",
                }
                _ingress_backend(ingress, TRAEFIK_FAMILIES, "code", ("200", "404", "502"), common,
                                 TRAEFIK_BOUNDS_S, [0.6, 0.9, 0.99, 1.0, 1.0], 0.08, rnd)
    for replica in range(3):
        for namespace, service in backends:
            common = {
                "canary": "",
                "controller_class": "k8s.io/ingress-nginx",
                "controller_namespace": "ingress",
                "controller_pod": f"ingress-nginx-controller-{replica}",
                "host": f"{service}.example.com",
                "ingress": service,
                "method": "GET",
                "namespace": namespace,
                "path": "/",
                "service": service,
            }
            _ingress_backend(ingress, NGINX_FAMILIES, "status", ("200", "304", "503"), common,
                             NGINX_BOUNDS_S, [0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.98, 0.99, 1.0, 1.0, 1.0],
                             0.05, rnd)

    ordered: list[tuple[str, str, list[_Series]]] = []
    for name, rows in (*families.items(), *ingress.items()):
        kind = "histogram" if rows and "_bucket" in rows[0].head else "counter"
        ordered.append((name, f"# HELP otel_{name} {name}\n# TYPE otel_{name} {kind}\n", rows))
    ordered.extend(_unrelated_families(pod_rows, unrelated - len(families["request_total"])))
    # The collector writes families sorted by name: unrelated blocks fall between the kept ones.
    ordered.sort(key=lambda family: family[0])
    return [(header, rows) for _, header, rows in ordered]


def _ingress_backend(
    ingress: dict[str, list[_Series]],
    families: tuple[str, str],
    code_label: str,
    codes: tuple[str, ...],
    common: dict[str, str],
    bounds: list[str],
    fractions: list[float],
    mean: float,
    rnd: random.Random,
) -> None:
    """One backend's series of an ingress controller: a request counter per code, the 200s' latency."""
    requests, duration = families
    for code in codes:
        labels = _labels(**common, **{code_label: code})
        ingress[requests].append(
            _Series(f"otel_{requests}{labels} ", rnd.randrange(10**6), rnd.uniform(0.1, 5))
        )
    _histogram(ingress[duration], f"otel_{duration}", {**common, code_label: "200"}, bounds, fractions,
               rnd.randrange(10**5), 2.0, mean)


def _histogram(
    rows: list[_Series],
    name: str,
    labels: dict[str, str],
    bounds: list[str],
    fractions: list[float],
    base: float,
    rate: float,
    mean: float,
) -> None:
    for bound, fraction in zip([*bounds, "+Inf"], fractions, strict=True):
        rows.append(_Series(f"{name}_bucket{_labels(bound, **labels)} ", base, rate, fraction))
    rows.append(_Series(f"{name}_sum{_labels(**labels)} ", base, rate, mean, integer=False))
    rows.append(_Series(f"{name}_count{_labels(**labels)} ", base, rate))


def _unrelated_families(pod_rows: list, lines: int) -> list[tuple[str, str, list[_Series]]]:
    names = [
        "tcp_open_total",
        "tcp_open_connections",
        "tcp_read_bytes_total",
        "tcp_write_bytes_total",
        "tcp_close_total",
        "route_response_total",
        "route_request_total",
        "response_total_foo",
        "control_response_total",
        "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes",
        "container_network_receive_bytes_total",
        "process_cpu_seconds_total",
        "inbound_http_authz_allow_total",
        "outbound_http_balancer_endpoints",
        "identity_cert_expiration_timestamp_seconds",
    ]
    per_family = max(1, lines // len(names))
    families = []
    for name in names:
        rows = []
        for index in range(per_family):
            common, ip, _ = pod_rows[index % len(pod_rows)]
            port = 8000 + index // len(pod_rows)
            labels = {
                **common,
                "direction": "inbound" if index % 2 else "outbound",
                "peer": "src",
                "target_addr": f"{ip}:{port}",
                "tls": "true",
            }
            rows.append(_Series(f"otel_{name}{_labels(**labels)} ", index * 13, 1.0))
        families.append((name, f"# HELP otel_{name} {name}\n# TYPE otel_{name} counter\n", rows))
    return families


def write_cycle(families: list[tuple[str, list[_Series]]], cycle: int, path: Path, compress: bool) -> int:
    parts: list[str] = []
    for header, rows in families:
        parts.append(header)
        parts.extend(f"{row.head}{row.value(cycle)}\n" for row in rows)
    body = "".join(parts).encode()
    path.write_bytes(gzip.compress(body, compresslevel=1) if compress else body)
    return len(body)


def generate(directory: Path, pods: int, unrelated: int, cycles: int, compress: bool) -> None:
    families = build_families(pods, unrelated)
    for cycle in range(cycles):
        size = write_cycle(families, cycle, directory / f"cycle{cycle}.prom", compress)
        print(f"cycle {cycle}: {size / 1e6:.1f} MB", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- serving


def serve(directory: Path, compressed: bool) -> None:
    """Serve ``/metrics`` from the current cycle's file; ``/advance`` moves to the next one."""
    state = {"cycle": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/advance":
                state["cycle"] += 1
                self._answer(b"ok", {})
                return
            body = (directory / f"cycle{state['cycle']}.prom").read_bytes()
            self._answer(body, {"Content-Encoding": "gzip"} if compressed else {})

        def _answer(self, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


# --------------------------------------------------------------------------- measuring


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    """Resident set size now (Linux), 0 where /proc is not available."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return 0.0


class _Clock:
    """Wall and CPU time of a block: the machine is shared, so CPU time is the steadier figure."""

    scrape_cpu = 0.0

    def __enter__(self) -> _Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu

    def __str__(self) -> str:
        return f"{self.wall:.2f}s wall, {self.cpu:.2f}s CPU"


class _NoRoutes:
    def routes(self) -> list[Route]:
        return []


class _ShiftedClock:
    """The real source, with scrape times 30 s apart as in production (here cycles run back to back)."""

    def __init__(self, source: HttpMetricsSource) -> None:
        self.source, self.cycle = source, 0
        self.clock = _Clock()

    def scrape(self) -> Scrape:
        with self.clock:
            scrape = self.source.scrape()
        scrape.timestamp = 1_700_000_000 + self.cycle * INTERVAL_S
        return scrape

    def healthy(self) -> bool:
        return self.source.healthy()


def measure(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="meshslo-bench-") as tmp:
        directory = Path(tmp)
        started = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--generate",
                tmp,
                "--pods",
                str(args.pods),
                "--unrelated",
                str(args.unrelated),
                "--cycles",
                str(args.cycles),
                *(["--gzip"] * args.gzip),
            ],
            check=True,
        )
        print(f"generated {args.cycles} expositions in {time.monotonic() - started:.1f}s")
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", tmp, *(["--gzip"] * args.gzip)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            port = int(server.stdout.readline())  # type: ignore[union-attr]
            clocks = _run_cycles(f"http://127.0.0.1:{port}", args.cycles, args.pause_gc)
        finally:
            server.terminate()
            server.wait()
        warm = clocks[1:]
        print(f"cycle 0 (first sighting, cold cache): {clocks[0]}")
        print(
            f"full cycle (HTTP scrape + parse + delta + aggregate), median of {len(warm)} warm cycles:"
            f" {statistics.median(c.wall for c in warm):.2f}s wall,"
            f" {statistics.median(c.cpu for c in warm):.2f}s CPU"
            f" (HTTP scrape + parse {statistics.median(c.scrape_cpu for c in warm):.2f}s CPU)"
        )
        # Measured before anything else runs in this process: the agent's own footprint.
        print(f"peak RSS over the cycles: {_peak_rss_mb():.0f} MB")
        plain = directory / "plain.prom"
        first = directory / "cycle0.prom"
        plain.write_bytes(gzip.decompress(first.read_bytes()) if args.gzip else first.read_bytes())
        _parse_alone(plain)
        _compare_with_prometheus_client(plain, args.reference_every)


def _parse_alone(plain: Path) -> None:
    """The parser on its own, reading from disk: cold cache, then warm cache."""
    parser = ExpositionParser("otel_")
    with _Clock() as cold_clock:
        cold = parser.parse(_file_chunks(plain))
    del cold
    with _Clock() as warm_clock:
        warm = parser.parse(_file_chunks(plain))
    stats = warm.stats
    print(
        f"exposition: {stats.bytes_read / 1e6:.1f} MB, {stats.lines:,} lines,"
        f" {stats.samples:,} kept samples, {stats.unrelated_lines:,} unrelated,"
        f" {stats.malformed_lines} malformed"
    )
    for name, clock in (("cold", cold_clock), ("warm", warm_clock)):
        print(
            f"parser, {name} cache: {clock} = {stats.lines / clock.wall:,.0f} lines/s wall,"
            f" {stats.lines / clock.cpu:,.0f} lines/s CPU"
        )


def _run_cycles(base: str, cycles: int, pause_gc: bool) -> list[_Clock]:
    clocks = []
    with httpx.Client() as control:
        source = HttpMetricsSource(f"{base}/metrics", None, 60.0, ExpositionParser("otel_"))
        clocked = _ShiftedClock(source)
        collect = CollectUseCase(clocked, _NoRoutes(), CollectOptions(cluster_id="bench"))
        for cycle in range(cycles):
            clocked.cycle = cycle
            with _Clock() as clock:
                if pause_gc:
                    gc.disable()
                result = collect.run()
                gc.enable()
            clocks.append(clock)
            idle = ""
            if pause_gc:
                with _Clock() as collection:
                    gc.collect()
                idle = f" + gc.collect() between cycles {collection.cpu:.2f}s CPU"
            data = result.data
            summary = (
                f"{len(data.services)} services, {len(data.edges)} edges,"
                f" {len(data.ingress)} ingress backends"
                if data is not None
                else result.stats.no_data_reason
            )
            clock.scrape_cpu = clocked.clock.cpu
            print(
                f"  cycle {cycle}: {clock} (HTTP scrape + parse {clock.scrape_cpu:.2f}s CPU,"
                f" delta + aggregate {clock.cpu - clock.scrape_cpu:.2f}s CPU),"
                f" {result.stats.deltas_emitted:,} deltas; {summary}{idle};"
                f" RSS {_rss_mb():.0f} MB, peak so far {_peak_rss_mb():.0f} MB"
            )
            if cycle + 1 < cycles:
                control.get(f"{base}/advance").raise_for_status()
        source.close()
    return clocks


def _compare_with_prometheus_client(plain: Path, every: int) -> None:
    """Both parsers on the same text: every ``every``-th sample line of the exposition, all comments.

    prometheus_client reads ~10k lines/s, so the full exposition would take minutes.
    Compared on CPU time.
    """
    kept: list[str] = []
    with plain.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if line.startswith("#") or number % every == 0:
                kept.append(line)
    text = "".join(kept)
    del kept
    lines = text.count("\n")
    body = text.encode()
    chunks = [body[start : start + CHUNK] for start in range(0, len(body), CHUNK)]
    parser = ExpositionParser("otel_")
    with _Clock() as cold:
        parser.parse(chunks)
    with _Clock() as warm:
        parser.parse(chunks)
    with _Clock() as reference:
        reference_samples = 0
        for family in text_string_to_metric_families(text):
            reference_samples += len(family.samples)
    print(
        f"versus prometheus_client.parser on every {every}th line"
        f" ({lines:,} lines, {len(body) / 1e6:.1f} MB):"
        f" prometheus_client {lines / reference.cpu:,.0f} lines/s ({reference_samples:,} samples),"
        f" this parser {lines / cold.cpu:,.0f} lines/s cold, {lines / warm.cpu:,.0f} lines/s warm (CPU)"
    )
    print(
        f"parser throughput / prometheus_client: cold cache {reference.cpu / cold.cpu:.1f}x,"
        f" warm cache {reference.cpu / warm.cpu:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--unrelated", type=int, default=300_000)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--gzip", action="store_true", help="serve the exposition gzip-compressed")
    parser.add_argument(
        "--pause-gc",
        action="store_true",
        help="also run a full collection between cycles (collect already holds the collector off)",
    )
    parser.add_argument("--reference-every", type=int, default=10, help="line sampling for prometheus_client")
    parser.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--serve", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(Path(args.generate), args.pods, args.unrelated, args.cycles, args.gzip)
    elif args.serve:
        serve(Path(args.serve), args.gzip)
    else:
        measure(args)


if __name__ == "__main__":
    main()
