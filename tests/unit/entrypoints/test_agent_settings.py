"""AgentSettings: SPEC §9 names, defaults and validation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from entrypoints.agent_container import AgentContainer
from entrypoints.agent_settings import AgentSettings
from entrypoints.config import load_settings

SPEC_ENVS = {
    "cluster_id": "MESHSLO_CLUSTER_ID", "master_url": "MESHSLO_MASTER_URL",
    "ingest_token": "MESHSLO_INGEST_TOKEN", "metrics_url": "MESHSLO_METRICS_URL",
    "health_url": "MESHSLO_HEALTH_URL", "metric_prefix": "MESHSLO_METRIC_PREFIX",
    "exclude_namespaces": "MESHSLO_EXCLUDE_NAMESPACES", "admin_port": "MESHSLO_ADMIN_PORT",
    "probe_compensation": "MESHSLO_PROBE_COMPENSATION", "interval": "MESHSLO_INTERVAL",
    "scrape_timeout": "MESHSLO_SCRAPE_TIMEOUT", "cycles": "MESHSLO_CYCLES", "routes": "MESHSLO_ROUTES",
    "spool_dir": "MESHSLO_SPOOL_DIR", "spool_max": "MESHSLO_SPOOL_MAX", "state_file": "MESHSLO_STATE_FILE",
    "agent_listen": "MESHSLO_AGENT_LISTEN", "state_max_age": "MESHSLO_STATE_MAX_AGE",
    "max_snapshot_bytes": "MESHSLO_MAX_SNAPSHOT_BYTES",
    "max_scrape_bytes": "MESHSLO_MAX_SCRAPE_BYTES", "max_series": "MESHSLO_MAX_SERIES",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("MESHSLO_"):
            monkeypatch.delenv(name)


def load(*argv: str) -> AgentSettings:
    return load_settings(AgentSettings, list(argv), "meshslo agent")


def test_defaults_are_the_documented_ones() -> None:
    settings = load("--cluster-id", "prod-eu-1")
    assert settings.master_url == "http://127.0.0.1:8080"
    assert settings.ingest_token is None
    assert settings.metrics_url == "http://otel-collector.otel.svc:8889/metrics"
    assert settings.health_url == "http://otel-collector.otel.svc:13133/"
    assert settings.metric_prefix == "otel_"
    assert settings.exclude_namespaces == ["linkerd", "linkerd-viz", "kube-system", "otel"]
    assert settings.admin_port == 4191
    assert settings.probe_compensation is True
    assert settings.interval == 30.0 and settings.scrape_timeout == 25.0
    assert settings.cycles == 0 and settings.flush_timeout == 30.0
    assert settings.routes == "kubernetes"
    assert settings.spool_dir == "./spool" and settings.spool_max == 10000
    assert settings.state_file is None
    assert settings.state_max_age == 3600.0
    assert settings.agent_listen == "0.0.0.0:9464"
    assert settings.max_snapshot_bytes == 8 * 1024 * 1024  # the master's default --max-body
    assert settings.max_scrape_bytes == 512 * 1024**2
    assert settings.max_series == 2_000_000


@pytest.mark.parametrize(("field", "env"), sorted(SPEC_ENVS.items()))
def test_every_setting_reads_its_documented_environment_variable(
    field: str, env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = {
        "cluster_id": ("from-env", "from-env"), "master_url": ("https://m.example", "https://m.example"),
        "ingest_token": ("tok", "tok"), "metrics_url": ("http://x/metrics", "http://x/metrics"),
        "health_url": ("", ""), "metric_prefix": ("", ""), "exclude_namespaces": ("a, b", ["a", "b"]),
        "admin_port": ("4000", 4000), "probe_compensation": ("false", False), "interval": ("1.5s", 1.5),
        "scrape_timeout": ("500ms", 0.5), "cycles": ("3", 3), "routes": ("file:/r.yaml", "file:/r.yaml"),
        "spool_dir": ("/var/spool/m", "/var/spool/m"), "spool_max": ("5", 5),
        "state_file": ("/var/lib/m/state.json", "/var/lib/m/state.json"), "agent_listen": ("", ""),
        "state_max_age": ("90m", 5400.0), "max_snapshot_bytes": ("2MiB", 2 * 1024 * 1024),
        "max_scrape_bytes": ("64MiB", 64 * 1024**2),
        "max_series": ("50000", 50_000),
    }
    raw, expected = values[field]
    monkeypatch.setenv(env, raw)
    if field != "cluster_id":
        monkeypatch.setenv("MESHSLO_CLUSTER_ID", "c1")
    assert getattr(load(), field) == expected


def test_flag_wins_over_environment_and_listen_flag_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESHSLO_INTERVAL", "10s")
    monkeypatch.setenv("MESHSLO_AGENT_LISTEN", "127.0.0.1:1")
    settings = load("--cluster-id", "c1", "--interval", "2", "--listen", "127.0.0.1:9999",
                    "--no-probe-compensation")
    assert settings.interval == 2.0
    assert settings.agent_listen == "127.0.0.1:9999"
    assert settings.probe_compensation is False


def test_config_file(tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text("cluster_id: from-file\nroutes: none\ninterval: 1m\nagent_listen: ''\n")
    settings = load("--config", str(config))
    assert (settings.cluster_id, settings.routes, settings.interval, settings.agent_listen) == (
        "from-file", "none", 60.0, "")


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--interval", "abc"], "--interval"),
        (["--interval", "0"], "--interval"),
        (["--scrape-timeout", "-1"], "--scrape-timeout"),
        (["--cycles", "-2"], "--cycles"),
        (["--cycles", "many"], "--cycles"),
        (["--spool-max", "0"], "--spool-max"),
        (["--admin-port", "70000"], "--admin-port"),
        (["--routes", "consul"], "--routes"),
        (["--routes", "file:"], "--routes"),
        (["--listen", "nowhere"], "--listen"),
        (["--master-url", "ftp://m"], "--master-url"),
        (["--metrics-url", "otel:8889"], "--metrics-url"),
        (["--health-url", "13133"], "--health-url"),
        (["--log-level", "loud"], "--log-level"),
        (["--spool-dir", " "], "--spool-dir"),
        (["--state-max-age", "-1h"], "--state-max-age"),
        (["--state-max-age", "a while"], "--state-max-age"),
        (["--max-snapshot-bytes", "0"], "--max-snapshot-bytes"),
        (["--max-snapshot-bytes", "big"], "--max-snapshot-bytes"),
        (["--max-scrape-bytes", "0"], "--max-scrape-bytes"),
        (["--max-scrape-bytes", "lots"], "--max-scrape-bytes"),
        (["--max-series", "0"], "--max-series"),
    ],
)
def test_bad_values_exit_2_naming_the_flag(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        load("--cluster-id", "c1", *argv)
    assert exited.value.code == 2
    assert f"{flag} / MESHSLO_" in capsys.readouterr().err


@pytest.mark.parametrize("cluster_id", ["", "-leading-dash", "has space", "x" * 64, "ünï"])
def test_cluster_id_must_be_acceptable_to_the_master(
    cluster_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        load(f"--cluster-id={cluster_id}")
    assert "--cluster-id / MESHSLO_CLUSTER_ID" in capsys.readouterr().err


def test_empty_optional_values_mean_none() -> None:
    settings = load("--cluster-id", "c1", "--ingest-token", "", "--state-file", "", "--kubeconfig", "")
    assert settings.ingest_token is None and settings.state_file is None and settings.kubeconfig is None


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("30m", 1800.0), ("2h", 7200.0)])
def test_state_max_age_is_a_duration_from_flag_or_config_file(
    value: str, seconds: float, tmp_path: Path
) -> None:
    assert load("--cluster-id", "c1", "--state-max-age", value).state_max_age == seconds
    config = tmp_path / "agent.toml"
    config.write_text(f'cluster_id = "c1"\nstate_max_age = "{value}"\n')
    assert load("--config", str(config)).state_max_age == seconds


def test_the_input_limits_reach_the_parser_and_the_source() -> None:
    settings = load("--cluster-id", "c1", "--max-scrape-bytes", "1KiB", "--max-series", "7",
                    "--routes", "none")
    container = AgentContainer(settings=settings)
    assert container.metrics_source().max_bytes == 1024
    assert container.parser().max_series == 7
