"""The master's own Prometheus metrics, on a registry owned by the container.

A registry per container (not prometheus-client's global one) lets tests and
several masters in one process count independently. The job scheduler reports
here under each job's name, so that ``/metrics`` exposes everything in one place.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

INGEST_RESULTS = ("stored", "duplicate", "rejected", "failed")
REJECT_REASONS = ("unauthorised", "too_large", "invalid", "cluster_not_allowed", "overlap")

# Ingest is expected to take milliseconds to a few hundred; the tail tells of a slow database.
_INGEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Background jobs take from milliseconds (status of a small cluster) to minutes (a large cleanup).
_JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class MasterMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.ingest_snapshots = Counter(
            "meshslo_master_ingest_snapshots",
            "Snapshots received, by result (stored, duplicate, rejected, failed)",
            ["result"],
            registry=self.registry,
        )
        self.ingest_seconds = Histogram(
            "meshslo_master_ingest_seconds",
            "Time to validate and store one snapshot",
            buckets=_INGEST_BUCKETS,
            registry=self.registry,
        )
        self.rejected_snapshots = Counter(
            "meshslo_master_rejected_snapshots",
            "Snapshots refused, by reason",
            ["reason"],
            registry=self.registry,
        )
        self._newest: dict[str, int] = {}
        self._newest_lock = threading.Lock()
        # Alert on ``time() - meshslo_master_last_snapshot_timestamp_seconds`` to catch a silent agent.
        self.last_snapshot = Gauge(
            "meshslo_master_last_snapshot_timestamp_seconds",
            "End (unix seconds) of the newest snapshot stored by this master, per cluster",
            ["cluster_id"],
            registry=self.registry,
        )
        self.job_runs = Counter(
            "meshslo_master_job_runs",
            "Background job runs, by job and result (ok, failed)",
            ["job", "result"],
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "meshslo_master_job_seconds",
            "Duration of one background job run",
            ["job"],
            buckets=_JOB_BUCKETS,
            registry=self.registry,
        )
        # Pre-create every label value so dashboards see zeros rather than gaps.
        for result in INGEST_RESULTS:
            self.ingest_snapshots.labels(result=result)
        for reason in REJECT_REASONS:
            self.rejected_snapshots.labels(reason=reason)

    def rejected(self, reason: str) -> None:
        self.ingest_snapshots.labels(result="rejected").inc()
        self.rejected_snapshots.labels(reason=reason).inc()

    def stored(self, cluster_id: str, timestamp: int) -> None:
        with self._newest_lock:
            # A late snapshot from an agent's spool must not move the gauge backwards.
            if timestamp > self._newest.get(cluster_id, 0):
                self._newest[cluster_id] = timestamp
                self.last_snapshot.labels(cluster_id=cluster_id).set(timestamp)

    def add_job(self, job: str) -> None:
        """Called by the scheduler for each of its jobs, so a job shows with zero runs before its first."""
        self.job_runs.labels(job=job, result="ok")
        self.job_runs.labels(job=job, result="failed")
        self.job_seconds.labels(job=job)

    def job_run(self, job: str, seconds: float, ok: bool) -> None:
        self.job_runs.labels(job=job, result="ok" if ok else "failed").inc()
        self.job_seconds.labels(job=job).observe(seconds)
