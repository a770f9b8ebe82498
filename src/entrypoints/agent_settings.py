"""Settings of ``meshslo agent`` (SPEC §9): flag, environment and file names are stable."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from entrypoints.config import ByteSize, CommaList, Duration, ProcessSettings
from entrypoints.listen import parse_listen

LogLevel = Literal["debug", "info", "warning", "error", "critical"]

_CLUSTER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)


class AgentSettings(ProcessSettings):
    cluster_id: str = Field(
        ..., description="name of this cluster at the master (letters, digits, '.', '_', '-'; ≤ 63)"
    )
    master_url: str = Field("http://127.0.0.1:8080", description="base URL of the master")
    ingest_token: str | None = Field(None, description="bearer token for the master's ingest endpoint")
    metrics_url: str = Field(
        "http://otel-collector.otel.svc:8889/metrics", description="Prometheus endpoint to scrape"
    )
    health_url: str = Field(
        "http://otel-collector.otel.svc:13133/",
        description="collector health endpoint checked at start (empty: no check)",
    )
    metric_prefix: str = Field("otel_", description="prefix stripped from metric names (may be empty)")
    exclude_namespaces: CommaList = Field(
        default_factory=lambda: ["linkerd", "linkerd-viz", "kube-system", "otel"],
        description="comma-separated namespaces whose series are ignored",
    )
    admin_port: int = Field(4191, ge=1, le=65535, description="Linkerd proxy admin port (srv_port) ignored")
    probe_compensation: bool = Field(
        True, description="subtract kubelet probes from latency histograms that cannot filter them"
    )
    interval: Duration = Field(30.0, gt=0, description="time between scrapes (fractions allowed)")
    # 25 s, not SPEC's 5 s: the timeout now bounds parsing too, and the first (cold) scrape of a
    # 2,000-pod mesh parses ~200 MB for 9-12 s on one core, more on a busy one; a cold scrape cut
    # by the timeout stays cold, so the margin matters. Still under the 30 s interval.
    scrape_timeout: Duration = Field(
        25.0, gt=0, description="timeout of one whole scrape: connect, transfer, decompression and parsing"
    )
    max_scrape_bytes: ByteSize = Field(
        "512MiB", gt=0, validate_default=True,
        description="largest scrape body once decompressed; a larger one fails the scrape",
    )
    max_series: int = Field(
        2_000_000, ge=1,
        description="most series of the families the agent reads in one scrape; more fail the scrape",
    )
    cycles: int = Field(
        0, ge=0, description="0: run until stopped; N: stop after N scrapes once the spool is flushed"
    )
    flush_timeout: Duration = Field(
        30.0, ge=0, description="with --cycles, how long to keep flushing the spool before giving up"
    )
    max_snapshot_bytes: ByteSize = Field(
        "8MiB", gt=0, validate_default=True,
        description="largest snapshot sent, as JSON before gzip; a larger one is dropped and counted "
        "(its interval is lost). Keep it at most the master's --max-body",
    )
    routes: str = Field("kubernetes", description="where routes come from: kubernetes, file:PATH or none")
    spool_dir: str = Field("./spool", description="directory of snapshots waiting for the master")
    spool_max: int = Field(10000, ge=1, description="most snapshots kept in the spool (oldest dropped)")
    state_file: str | None = Field(
        None, description="file keeping counter state across restarts (none: a restart loses one interval)"
    )
    state_max_age: Duration = Field(
        3600.0, ge=0,
        description="oldest saved state resumed, measured from its last scrape "
        "(older: the first scrape is a baseline; 0: no bound)",
    )
    agent_listen: str = Field(
        "0.0.0.0:9464",
        description="HOST:PORT serving /healthz and /metrics (empty: off)",
        json_schema_extra={"flag": "--listen"},
    )
    kubeconfig: str | None = Field(
        None, description="kubeconfig for --routes kubernetes outside a cluster (default: in-cluster)"
    )
    log_level: LogLevel = Field("info", description="debug, info, warning, error or critical")

    @field_validator("cluster_id")
    @classmethod
    def _cluster_id_shape(cls, value: str) -> str:
        if not _CLUSTER_ID.match(value):
            raise ValueError(
                f"{value!r} is not a cluster id "
                "(1-63 letters, digits, '.', '_' or '-', starting with a letter or digit)"
            )
        return value

    @field_validator("master_url", "metrics_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if not _URL.match(value):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value

    @field_validator("health_url")
    @classmethod
    def _optional_http_url(cls, value: str) -> str:
        value = value.strip()
        if value and not _URL.match(value):
            raise ValueError(f"{value!r} is not an http:// or https:// URL (empty: no check)")
        return value

    @field_validator("routes")
    @classmethod
    def _routes_setting(cls, value: str) -> str:
        value = value.strip()
        if value in ("kubernetes", "none"):
            return value
        if value.startswith("file:") and value[len("file:"):].strip():
            return value
        raise ValueError(f"{value!r} is not one of kubernetes, file:PATH, none")

    @field_validator("agent_listen")
    @classmethod
    def _listen_shape(cls, value: str) -> str:
        parse_listen(value)
        return value.strip()

    @field_validator("spool_dir")
    @classmethod
    def _spool_dir_set(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the spool directory cannot be empty")
        return value

    @field_validator("ingest_token", "state_file", "kubeconfig")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value
