"""Snapshot compression benchmark: gzip levels on a real 2,000-pod snapshot.

Builds the exposition of ``--pods`` meshed pods with ``agent_cycle.py``'s generator,
runs two scrapes of it through ``CollectUseCase`` (no HTTP) and takes the second
cycle's snapshot: what the agent sends the master every interval. Then, for each
gzip level, prints the compressed size and the best-of-``--repeat`` CPU time to
compress it (the agent's cost) and to inflate it (the master's).

    .venv/bin/python benchmarks/snapshot_gzip.py [--pods 2000] [--levels 1,6,9] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gzip
import time
from collections.abc import Callable
from typing import TypeVar

# A sibling script (benchmarks/ is not a package): importable because Python puts the
# running script's directory first on the path.
from agent_cycle import build_families

from adapters.exposition.parser import ExpositionParser
from adapters.master_client.snapshot_json import snapshot_json
from application.agent.collect import CollectOptions, CollectUseCase
from domain.contract import Route
from domain.series import Scrape

T = TypeVar("T")

INTERVAL_S = 30


class _GeneratedSource:
    """A MetricsSource over the generator's families, one cycle of counters per scrape."""

    def __init__(self, pods: int) -> None:
        self._families = build_families(pods, unrelated=0)
        self._parser = ExpositionParser("otel_")
        self.cycle = 0

    def scrape(self) -> Scrape:
        parts: list[str] = []
        for header, rows in self._families:
            parts.append(header)
            parts.extend(f"{row.head}{row.value(self.cycle)}\n" for row in rows)
        body = "".join(parts).encode()
        timestamp = 1_700_000_000 + self.cycle * INTERVAL_S
        self.cycle += 1
        return self._parser.parse([body], timestamp=timestamp)

    def healthy(self) -> bool:
        return True


class _NoRoutes:
    def routes(self) -> list[Route]:
        return []


def _best_cpu(action: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The least CPU time of ``repeat`` runs (the machine may be shared), and the result."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        result = action()
        best = min(best, time.process_time() - started)
    return best, result


def _measure_level(encoded: bytes, level: int, repeat: int) -> str:
    compress_cpu, body = _best_cpu(lambda: gzip.compress(encoded, level, mtime=0), repeat)
    inflate_cpu, _ = _best_cpu(lambda: gzip.decompress(body), repeat)
    return (f"level {level}: {len(body):,} bytes ({len(body) / 1024:.0f} KiB, "
            f"{len(body) / len(encoded):.1%} of the JSON), compress {compress_cpu * 1000:.1f} ms CPU, "
            f"inflate {inflate_cpu * 1000:.1f} ms CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--levels", default="1,3,6,9", help="comma-separated gzip levels")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    collect = CollectUseCase(_GeneratedSource(args.pods), _NoRoutes(), CollectOptions(cluster_id="bench"))
    collect.run()  # the first scrape only remembers counters
    snapshot = collect.run().snapshot
    assert snapshot is not None
    data = snapshot.slo_data
    encoded = snapshot_json(snapshot)
    print(f"snapshot: {len(data.services)} services, {len(data.edges)} edges, {len(data.ingress)} ingress "
          f"backends = {len(encoded):,} bytes of JSON ({len(encoded) / 1024:.0f} KiB)")
    for level in (int(text) for text in args.levels.split(",")):
        print(_measure_level(encoded, level, args.repeat))


if __name__ == "__main__":
    main()
