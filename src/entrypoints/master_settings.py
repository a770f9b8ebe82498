"""Settings of ``meshslo master`` (SPEC §9): flag, environment and file names are stable."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator

from application.master.aggregator import MIN_RAW_RETENTION_SECONDS
from entrypoints.config import ByteSize, CommaList, Duration, ProcessSettings
from entrypoints.listen import parse_listen
from entrypoints.settings_types import LogLevel, OptionalText


def _positive(default: str, description: str) -> Any:
    """A duration or size field that must be above zero, its default checked like a given value."""
    return Field(default, gt=0, validate_default=True, description=description)


class MasterSettings(ProcessSettings):
    database_url: str = Field(
        "sqlite:///./data/meshslo.db",
        description="SQLAlchemy URL: sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB",
    )
    listen: str = Field("127.0.0.1:8080", description="HOST:PORT to serve the API and dashboard on")
    ingest_token: OptionalText = Field(None, description="bearer token agents must send (none: open ingest)")
    read_token: OptionalText = Field(None, description="bearer token readers must send (none: open reads)")
    admin_token: OptionalText = Field(
        None, description="bearer token for changing targets (none: writes need what reads need)")
    allowed_clusters: CommaList = Field(
        default_factory=list, description="comma-separated cluster ids accepted (empty: any)"
    )
    max_body: ByteSize = _positive("8MiB", "largest body accepted")
    body_timeout: Duration = _positive(
        "10s", "time a request body may take to arrive after its headers (then 408, connection closed)")
    aggregate_interval: Duration = _positive("5m", "how often hourly rollups are rebuilt")
    status_interval: Duration = _positive("1m", "how often statuses are evaluated")
    cleanup_interval: Duration = _positive("1h", "how often retention is applied")
    raw_retention: Duration = _positive("48h", "how long raw rows are kept")
    hourly_retention: Duration = _positive("90d", "how long hourly rollups are kept")
    status_retention: Duration = _positive("180d", "how long status history is kept")
    default_availability: float = Field(
        95.0, gt=0, lt=100, description="availability target in percent where none is set"
    )
    default_p95_ms: float = Field(300.0, gt=0, description="p95 latency target in ms where none is set")
    log_level: LogLevel = Field("info", description="debug, info, warning, error or critical")
    # Burn-rate alerts (SPEC §11).
    alert_interval: Duration = _positive("1m", "how often burn-rate alerts are evaluated")
    alertmanager_url: CommaList = Field(
        default_factory=list, description="comma-separated Alertmanager base URLs alerts are posted to")
    alert_webhook_url: OptionalText = Field(
        None, description="URL alerts are posted to as {\"alerts\": [...]}")
    alert_min_bad_events: float = Field(
        3.0, ge=1, description="bad events a tier's long window must hold before it fires")
    alert_on_defaults: bool = Field(
        False, description="also alert on keys without a target, against the default availability over 30d")
    public_url: OptionalText = Field(
        None, description="the dashboard's public address, linked from alerts (default http://LISTEN/)")
    workers: int = Field(
        1, ge=1, le=64, description="server processes on one port (the jobs run once, in the parent)"
    )

    @property
    def dashboard_url(self) -> str:
        """``--public-url``, else the address the master listens on."""
        if self.public_url:
            return self.public_url
        host, port = self.listen_address
        return f"http://{host}:{port}/"

    @property
    def listen_address(self) -> tuple[str, int]:
        address = parse_listen(self.listen)
        assert address is not None, "validated below"
        return address

    @field_validator("listen")
    @classmethod
    def _listen_is_host_port(cls, value: str) -> str:
        try:
            address = parse_listen(value)
        except ValueError:
            address = None
        # Unlike the agent's, the master's address cannot be off, nor a port picked at random.
        if address is None or address[1] == 0:
            raise ValueError(f"{value!r} is not HOST:PORT (example: 127.0.0.1:8080)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _url_is_supported(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0].lower()
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(f"{value!r} is neither a sqlite:// nor a postgresql:// URL")
        return value

    @field_validator("alertmanager_url")
    @classmethod
    def _alertmanagers_are_urls(cls, value: list[str]) -> list[str]:
        return [_http_url(url) for url in value]

    @field_validator("alert_webhook_url", "public_url")
    @classmethod
    def _is_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("raw_retention")
    @classmethod
    def _raw_outlives_the_rollup(cls, value: float) -> float:
        # The previous hour is rolled up from raw rows: they must outlive it by a margin.
        if value < MIN_RAW_RETENTION_SECONDS:
            raise ValueError(
                f"must be at least {MIN_RAW_RETENTION_SECONDS // 3600}h so that every hour is rolled up "
                f"before its raw rows expire, got {value:g} s"
            )
        return value

    @field_validator("hourly_retention")
    @classmethod
    def _hourly_outlives_raw(cls, value: float, info: ValidationInfo) -> float:
        raw = info.data.get("raw_retention")
        if raw is not None and value < raw:
            raise ValueError(f"must not be shorter than --raw-retention ({raw:g} s), got {value:g} s")
        return value


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value.strip()
