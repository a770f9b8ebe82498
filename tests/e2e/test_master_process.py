"""``meshslo master`` as a real process, on a temporary SQLite file and on PostgreSQL."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.e2e.processes import Proc, clean_env, cli_command, free_port, local_url, run
from tests.storage.snapshot_builders import snapshot

pytestmark = pytest.mark.e2e

TOKEN = "e2e-token"
SPEC_MASTER_FLAGS = {
    "--database-url": "MESHSLO_DATABASE_URL",
    "--listen": "MESHSLO_LISTEN",
    "--ingest-token": "MESHSLO_INGEST_TOKEN",
    "--read-token": "MESHSLO_READ_TOKEN",
    "--allowed-clusters": "MESHSLO_ALLOWED_CLUSTERS",
    "--max-body": "MESHSLO_MAX_BODY",
    "--aggregate-interval": "MESHSLO_AGGREGATE_INTERVAL",
    "--status-interval": "MESHSLO_STATUS_INTERVAL",
    "--cleanup-interval": "MESHSLO_CLEANUP_INTERVAL",
    "--raw-retention": "MESHSLO_RAW_RETENTION",
    "--hourly-retention": "MESHSLO_HOURLY_RETENTION",
    "--status-retention": "MESHSLO_STATUS_RETENTION",
    "--default-availability": "MESHSLO_DEFAULT_AVAILABILITY",
    "--default-p95-ms": "MESHSLO_DEFAULT_P95_MS",
}


def master_command(*args: str) -> list[str]:
    return cli_command("master", *args)


@dataclass
class RunningMaster(Proc):
    url: str = ""


def start_master(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> RunningMaster:
    port = free_port()
    master = RunningMaster("master", master_command("--listen", f"127.0.0.1:{port}", *args),
                           tmp_path / f"master-{port}.log", env, url=local_url(port))
    try:
        master.start().wait_ready(f"{master.url}/readyz")
    except AssertionError:
        master.stop(signal.SIGKILL)
        raise
    return master


def stop_master(master: RunningMaster) -> bool:
    """SIGTERM, as Kubernetes sends it; True when the master shut down cleanly."""
    code = master.stop(signal.SIGTERM, timeout=20)
    assert code != -signal.SIGKILL, f"master ignored SIGTERM:\n{master.output()}"
    # uvicorn finishes its shutdown, then re-raises the signal it caught.
    return code in (0, -signal.SIGTERM) and "Application shutdown complete" in master.output()


@contextmanager
def running_master(args: list[str], tmp_path: Path) -> Iterator[RunningMaster]:
    """A started master, stopped afterwards unless it already exited."""
    running = start_master(args, tmp_path)
    try:
        yield running
    finally:
        if running.running():
            stop_master(running)


@pytest.fixture
def master(database_url: str, tmp_path: Path) -> Iterator[RunningMaster]:
    args = ["--database-url", database_url, "--ingest-token", TOKEN,
            "--allowed-clusters", "prod-eu-1,prod-us-1"]
    with running_master(args, tmp_path) as running:
        yield running


def test_master_stores_snapshots_and_reports_health_and_metrics(master: RunningMaster) -> None:
    now = int(time.time())
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=master.url, timeout=10) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}

        stored = client.post("/agent/snapshot", json=snapshot(timestamp=now), headers=auth)
        assert (stored.status_code, stored.json()) == (200, {"status": "stored"})
        again = client.post("/agent/snapshot", json=snapshot(timestamp=now), headers=auth)
        assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
        assert client.post("/agent/snapshot", json=snapshot(timestamp=now + 30)).status_code == 401
        refused = client.post("/agent/snapshot", json=snapshot(cluster_id="dev-1"), headers=auth)
        assert refused.status_code == 403

        metrics = client.get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        text = metrics.text
        assert 'meshslo_master_ingest_snapshots_total{result="stored"} 1.0' in text
        assert 'meshslo_master_ingest_snapshots_total{result="duplicate"} 1.0' in text
        assert 'meshslo_master_rejected_snapshots_total{reason="unauthorised"} 1.0' in text
        assert 'meshslo_master_rejected_snapshots_total{reason="cluster_not_allowed"} 1.0' in text
        assert "meshslo_master_ingest_seconds_bucket" in text
    assert stop_master(master)


def test_sqlite_database_file_is_created_with_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "meshslo.db"
    master = start_master(["--database-url", f"sqlite:///{path}"], tmp_path)
    try:
        assert path.is_file()
        assert "no ingest token configured" in master.output()
        document = snapshot(timestamp=int(time.time()))
        posted = httpx.post(f"{master.url}/agent/snapshot", json=document, timeout=10)
        assert posted.json() == {"status": "stored"}  # open ingest: no token needed
    finally:
        assert stop_master(master)


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = clean_env(MESHSLO_DATABASE_URL=f"sqlite:///{tmp_path / 'env.db'}", MESHSLO_INGEST_TOKEN="from-env",
                    MESHSLO_MAX_BODY="1KiB")
    master = start_master([], tmp_path, env=env)
    try:
        url = f"{master.url}/agent/snapshot"
        assert httpx.post(url, json=snapshot(), timeout=10).status_code == 401
        too_big = httpx.post(url, json=snapshot(), headers={"Authorization": "Bearer from-env"}, timeout=10)
        assert too_big.status_code == 413
        assert (tmp_path / "env.db").is_file()
    finally:
        stop_master(master)


def test_help_lists_every_master_flag_of_the_reference() -> None:
    result = run(master_command("--help"))
    assert result.returncode == 0
    help_text = " ".join(result.stdout.split())  # argparse wraps long lines
    for flag, env in SPEC_MASTER_FLAGS.items():
        assert flag in help_text
        assert env in help_text
    for shown_default in ("sqlite:///./data/meshslo.db", "127.0.0.1:8080", "8MiB", "5m", "1m", "1h", "48h",
                          "90d", "180d"):
        assert f"default {shown_default}" in help_text
    assert "--config" in help_text and "--log-level" in help_text


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        pytest.param(["--max-body", "huge"], {}, "--max-body / MESHSLO_MAX_BODY", id="size"),
        pytest.param(["--aggregate-interval", "soon"], {}, "--aggregate-interval", id="duration"),
        pytest.param(["--default-availability", "100"], {}, "--default-availability", id="availability-100"),
        pytest.param(["--default-availability", "0"], {}, "--default-availability", id="availability-0"),
        pytest.param(["--default-p95-ms", "-5"], {}, "--default-p95-ms", id="p95"),
        pytest.param(["--listen", "localhost"], {}, "--listen", id="listen-no-port"),
        pytest.param(["--listen", "127.0.0.1:99999"], {}, "--listen", id="listen-port-range"),
        pytest.param(["--database-url", "mysql://db/x"], {}, "--database-url", id="database-scheme"),
        pytest.param(["--database-url", "sqlite:////proc/none/x.db"], {}, "cannot create the directory",
                     id="sqlite-directory"),
        pytest.param(["--log-level", "chatty"], {}, "--log-level", id="log-level"),
        pytest.param([], {"MESHSLO_STATUS_INTERVAL": "0"}, "MESHSLO_STATUS_INTERVAL", id="env-interval"),
        pytest.param(["--no-such-flag"], {}, "unrecognized arguments: --no-such-flag", id="unknown-flag"),
    ],
)
def test_bad_setting_exits_2_naming_it(args: list[str], env: dict[str, str], named: str) -> None:
    result = run(master_command(*args), env=clean_env(**env))
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_flags_win_over_environment_and_environment_over_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "master.yaml"
    config.write_text(
        f"database_url: sqlite:///{tmp_path / 'file.db'}\ningest_token: from-file\nmax_body: 1KiB\n"
    )
    env = clean_env(MESHSLO_CONFIG=str(config), MESHSLO_INGEST_TOKEN="from-env")
    master = start_master(["--max-body", "2MiB"], tmp_path, env=env)
    try:
        url = f"{master.url}/agent/snapshot"
        document = snapshot(timestamp=int(time.time()))
        assert len(json.dumps(document)) > 1024
        file_token = httpx.post(url, json=document, headers={"Authorization": "Bearer from-file"}, timeout=10)
        assert file_token.status_code == 401
        env_token = httpx.post(url, json=document, headers={"Authorization": "Bearer from-env"}, timeout=10)
        assert env_token.json() == {"status": "stored"}  # and the flag's 2MiB beat the file's 1KiB
        assert (tmp_path / "file.db").is_file()
    finally:
        stop_master(master)
