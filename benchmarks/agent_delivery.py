"""Agent delivery benchmark: state file and spool costs at production sizes.

- state file: save and load of the counter state of ``--series`` series (a
  2,000-pod mesh keeps about 300,000 relevant series), as the run loop does
  after every hand-off when ``--state-file`` is set;
- spool: append then drain ``--snapshots`` snapshots of ``--workloads``
  workloads each (an outage of that many intervals).

    .venv/bin/python benchmarks/agent_delivery.py [--series 300000] [--snapshots 200] [--workloads 500]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from adapters.agent_state.state_file import StateFile
from adapters.master_client.spool import DiskSpool
from domain.contract import ServiceMetrics, ServiceRequests, SLOData, SLOSnapshot


def counter_state(series: int) -> dict[str, object]:
    counters = {
        f'response_latency_ms_bucket{{deployment="web-{i % 700}",direction="inbound",le="{i % 24}",'
        f'namespace="ns-{i % 40}",pod="web-{i % 700}-{i // 700}-x7k2p",srv_port="8080",tls="true"}}':
        float(i * 3)
        for i in range(series)
    }
    collect = {"version": 1, "last_timestamp": 1, "counters": counters}
    return {"format": 1, "cluster_id": "bench", "collect": collect}


def snapshot(timestamp: int, workloads: int) -> SLOSnapshot:
    services = [
        ServiceMetrics(
            namespace=f"ns-{i % 40}", name=f"web-{i}",
            requests=[ServiceRequests(status_code="200", classification="success", delta=1000 + i),
                      ServiceRequests(status_code="503", classification="failure", delta=i % 7)],
            latency_buckets={str(b): 10 * n for n, b in enumerate((1, 2, 3, 4, 5, 10, 20, 50, 100, 500))}
            | {"+Inf": 1000},
            latency_sum=12345.5, latency_count=1000, tls_request_delta=900, total_request_delta=1000 + i,
        )
        for i in range(workloads)
    ]
    return SLOSnapshot(cluster_id="bench", agent_version="bench",
                       slo_data=SLOData(timestamp=timestamp, window_start=timestamp - 30, services=services))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--series", type=int, default=300_000)
    parser.add_argument("--snapshots", type=int, default=200)
    parser.add_argument("--workloads", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        store = StateFile(Path(directory) / "state.json")
        state = counter_state(args.series)
        saves, loads = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            store.save(state)
            saves.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.load()
            loads.append(time.perf_counter() - started)
        size = store.path.stat().st_size
        print(f"state file, {args.series:,} series ({size / 1e6:.1f} MB): "
              f"save {statistics.median(saves):.2f} s, load {statistics.median(loads):.2f} s "
              f"(median of {args.repeat})")

        spool = DiskSpool(Path(directory) / "spool", max_items=args.snapshots)
        items = [snapshot(1_764_000_000 + 30 * n, args.workloads) for n in range(args.snapshots)]
        started = time.perf_counter()
        for item in items:
            spool.append(item)
        appended = time.perf_counter() - started
        started = time.perf_counter()
        while (oldest := spool.oldest()) is not None:
            spool.remove(oldest)
        drained = time.perf_counter() - started
        print(f"spool, {args.snapshots} snapshots of {args.workloads} workloads: "
              f"append {1000 * appended / args.snapshots:.1f} ms each, "
              f"read+remove {1000 * drained / args.snapshots:.1f} ms each")


if __name__ == "__main__":
    main()
