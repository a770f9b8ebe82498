"""``meshslo slo apply`` / ``export`` as processes against a real ``meshslo master`` (SPEC §10).

One master (SQLite, with ingest, read and admin tokens) serves the module; every test starts
from no targets. Two clusters have reported, so ``--prune`` can be seen to stay inside the
file's clusters.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.test_master_process import RunningMaster, clean_env, start_master, stop_master
from tests.storage.snapshot_builders import edge, service, snapshot

pytestmark = pytest.mark.e2e

INGEST, READ, ADMIN = "ingest-sac", "read-sac", "admin-sac"
TARGETS = "/api/v2/slo/targets"

NATIVE = """\
# prod: every objective shape and every kind of window
- cluster_id: prod
  target_type: service
  key: shop/checkout
  window: 28d
  availability_target: 99.5
  latency_threshold_ms: 50
  latency_target: 95
- {cluster_id: prod, target_type: service, key: shop/checkout, window: month,
   availability_target: 99, p95_target_ms: 40}
- {cluster_id: prod, target_type: service, key: shop/frontend, window: week,
   latency_threshold_ms: 25, latency_target: 90, alerting: false}
- {cluster_id: prod, target_type: ingress, key: shop.example.com, window: 1d,
   availability_target: 99.9, p95_target_ms: 250.5}
- {cluster_id: prod, target_type: ingress, key: shop-frontend-80, window: 30d, availability_target: 99.95}
- {cluster_id: edge, target_type: service, key: shop/checkout, window: 7d, availability_target: 95}
"""


@dataclass
class Cli:
    code: int
    out: str
    err: str


def slo(master: RunningMaster, *args: str, token: str | None = ADMIN, stdin: str | None = None) -> Cli:
    command = [sys.executable, "-m", "entrypoints.cli", "slo", *args, "--master-url", master.url]
    if token is not None:
        command += ["--admin-token", token]
    done = subprocess.run(command, capture_output=True, text=True, env=clean_env(), input=stdin, timeout=60)
    return Cli(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMaster]:
    tmp = tmp_path_factory.mktemp("slo-as-code")
    running = start_master(["--database-url", f"sqlite:///{tmp / 'master.db'}", "--ingest-token", INGEST,
                            "--read-token", READ, "--admin-token", ADMIN], tmp)
    now = int(time.time())
    services = [service(), service(name="frontend")]
    for cluster in ("prod", "edge"):
        document = snapshot(cluster_id=cluster, timestamp=now - 60, services=services, edges=[edge()])
        posted = httpx.post(f"{running.url}/agent/snapshot", json=document,
                            headers={"Authorization": f"Bearer {INGEST}"}, timeout=20)
        assert posted.status_code == 200, posted.text
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop_master(running)


def stored(master: RunningMaster) -> list[dict[str, Any]]:
    answer = httpx.get(f"{master.url}{TARGETS}", headers={"Authorization": f"Bearer {READ}"}, timeout=20)
    assert answer.status_code == 200, answer.text
    return [{k: v for k, v in t.items() if k != "updated_at"} for t in answer.json()["targets"]]


def delete_all(master: RunningMaster) -> None:
    for target in stored(master):
        params = {k: target[k] for k in ("cluster_id", "target_type", "key", "window")}
        gone = httpx.delete(f"{master.url}{TARGETS}", params=params,
                            headers={"Authorization": f"Bearer {ADMIN}"}, timeout=20)
        assert gone.status_code == 200, gone.text


@pytest.fixture
def fresh(master: RunningMaster) -> RunningMaster:
    delete_all(master)
    return master


def write(tmp_path: Path, text: str, name: str = "slos.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def apply_ok(master: RunningMaster, path: str, *flags: str) -> str:
    run = slo(master, "apply", path, *flags)
    assert run.code == 0, run.out + run.err
    return run.out


def test_native_export_apply_export_is_identical(fresh: RunningMaster, tmp_path: Path) -> None:
    out = apply_ok(fresh, write(tmp_path, NATIVE))
    assert "Plan: 6 to create, 0 to update, 0 unchanged, 0 to delete." in out
    targets = {(t["cluster_id"], t["key"], t["window"]): t for t in stored(fresh)}
    assert len(targets) == 6
    # What the file left out the master holds as unset (null) or on; null answers null.
    assert targets[("prod", "shop/frontend", "week")] == {
        "cluster_id": "prod", "target_type": "service", "key": "shop/frontend", "window": "week",
        "availability_target": None, "p95_target_ms": None, "latency_threshold_ms": 25.0,
        "latency_target": 90.0, "alerting": False}
    assert targets[("prod", "shop.example.com", "1d")]["p95_target_ms"] == 250.5
    assert targets[("prod", "shop/checkout", "28d")]["p95_target_ms"] is None

    first = slo(fresh, "export")
    assert first.code == 0, first.err
    exported = write(tmp_path, first.out, "exported.yaml")
    again = apply_ok(fresh, exported)
    assert "Plan: 0 to create, 0 to update, 6 unchanged, 0 to delete." in again
    assert slo(fresh, "export").out == first.out
    only_edge = slo(fresh, "export", "--cluster-id", "edge")
    assert "cluster_id: edge" in only_edge.out and "prod" not in only_edge.out


def test_openslo_export_apply_export_is_identical(fresh: RunningMaster, tmp_path: Path) -> None:
    apply_ok(fresh, write(tmp_path, NATIVE))
    native = slo(fresh, "export").out
    before = stored(fresh)
    first = slo(fresh, "export", "--format", "openslo")
    assert first.code == 0, first.err
    assert "apiVersion: openslo/v1" in first.out and "kind: SLO" in first.out
    exported = write(tmp_path, first.out, "openslo.yaml")
    assert "6 unchanged" in apply_ok(fresh, exported)
    assert slo(fresh, "export", "--format", "openslo").out == first.out

    # The OpenSLO file alone rebuilds every target, null p95 and alerting off included.
    delete_all(fresh)
    assert "Plan: 6 to create" in apply_ok(fresh, exported)
    assert stored(fresh) == before
    assert slo(fresh, "export").out == native
    assert slo(fresh, "export", "--format", "openslo").out == first.out


def test_dry_run_prints_the_plan_and_changes_nothing(fresh: RunningMaster, tmp_path: Path) -> None:
    apply_ok(fresh, write(tmp_path, NATIVE))
    before = stored(fresh)
    changed = NATIVE.replace("availability_target: 99.95", "availability_target: 99.99")
    changed += ("- {cluster_id: prod, target_type: service, key: shop/frontend, window: 1d,\n"
                "   availability_target: 99}\n")
    out = apply_ok(fresh, write(tmp_path, changed), "--dry-run", "--prune")
    assert "update    prod ingress shop-frontend-80 30d: availability_target 99.95 -> 99.99" in out
    assert "create    prod service shop/frontend 1d: availability 99 %" in out
    assert "Plan: 1 to create, 1 to update, 5 unchanged, 0 to delete." in out
    assert "Dry run: nothing was changed." in out
    assert stored(fresh) == before


@pytest.mark.parametrize(
    ("broken", "messages"),
    [
        (NATIVE + "- {cluster_id: prod, target_type: service, key: shop/cart, window: 28d,\n"
                  "   latency_threshold_ms: 300, latency_target: 120}\n",
         ["slos.yaml: targets[6]: latency_target: must be above 0 and below 100"]),
        (NATIVE.replace("latency_target: 90, alerting: false", "latency_target: 90, alerting: maybe")
         .replace("window: 30d", "window: 90d"),
         ["slos.yaml: targets[2]: alerting:", "slos.yaml: targets[4]: window: must be one of"]),
    ],
    ids=["latency-target", "two-documents"],
)
def test_one_invalid_document_changes_nothing(
    fresh: RunningMaster, tmp_path: Path, broken: str, messages: list[str]
) -> None:
    apply_ok(fresh, write(tmp_path, "- {cluster_id: prod, target_type: service, key: shop/checkout, "
                                    "window: 1d, availability_target: 90}\n", "old.yaml"))
    before = stored(fresh)
    for flags in ((), ("--prune",)):
        run = slo(fresh, "apply", write(tmp_path, broken), *flags)
        assert run.code == 2, run.out + run.err
        for message in messages:
            assert message in run.err, run.err
        assert "nothing was changed" in run.err
        assert run.out == ""
        assert stored(fresh) == before


def test_an_invalid_openslo_document_is_named_by_its_metadata_name(
    fresh: RunningMaster, tmp_path: Path
) -> None:
    apply_ok(fresh, write(tmp_path, NATIVE))
    openslo = slo(fresh, "export", "--format", "openslo").out
    before = stored(fresh)
    delete_all(fresh)
    assert "budgetingMethod: Occurrences" in openslo
    broken = openslo.replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices", 1)
    run = slo(fresh, "apply", write(tmp_path, broken, "openslo.yaml"))
    assert run.code == 2, run.out + run.err
    (problem,) = [line for line in run.err.splitlines() if "budgetingMethod" in line]
    assert problem.startswith("error: openslo.yaml: ") and "Occurrences" in problem
    first_name = next(line.split(":", 1)[1].strip() for line in openslo.splitlines()
                      if line.strip().startswith("name:"))
    assert first_name in problem
    assert stored(fresh) == []
    apply_ok(fresh, write(tmp_path, openslo, "openslo.yaml"))
    assert stored(fresh) == before


def test_prune_deletes_the_files_clusters_other_targets_only(fresh: RunningMaster, tmp_path: Path) -> None:
    apply_ok(fresh, write(tmp_path, NATIVE))
    keep = ("- {cluster_id: prod, target_type: service, key: shop/checkout, window: 28d,\n"
            "   availability_target: 99.5, latency_threshold_ms: 50, latency_target: 95}\n")
    without = apply_ok(fresh, write(tmp_path, keep, "keep.yaml"))
    assert "0 to delete" in without and len(stored(fresh)) == 6  # without --prune, nothing goes
    out = apply_ok(fresh, write(tmp_path, keep, "keep.yaml"), "--prune")
    assert "Plan: 0 to create, 0 to update, 1 unchanged, 4 to delete." in out
    assert "delete    prod ingress shop.example.com 1d" in out
    assert "Applied: 4 change(s)." in out
    assert [(t["cluster_id"], t["key"], t["window"]) for t in stored(fresh)] == [
        ("edge", "shop/checkout", "7d"), ("prod", "shop/checkout", "28d")]


def test_writes_need_the_admin_token(fresh: RunningMaster, tmp_path: Path) -> None:
    path = write(tmp_path, NATIVE)
    with_read = slo(fresh, "apply", path, token=READ)
    assert with_read.code == 1
    assert "writes need the admin token" in with_read.err and "0 of 6 change(s)" in with_read.err
    without = slo(fresh, "apply", path, token=None)
    assert without.code == 1 and "--admin-token or MESHSLO_ADMIN_TOKEN" in without.err
    wrong = slo(fresh, "apply", path, token="guess")
    assert wrong.code == 1 and "valid token" in wrong.err
    assert stored(fresh) == []
    # The token from the environment works as the flag does; the read token may export.
    command = [sys.executable, "-m", "entrypoints.cli", "slo", "apply", path]
    env = clean_env(MESHSLO_MASTER_URL=fresh.url, MESHSLO_ADMIN_TOKEN=ADMIN)
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    exported = slo(fresh, "export", token=READ)
    assert exported.code == 0 and exported.out == slo(fresh, "export").out


def test_a_target_without_cluster_needs_one_when_two_report(fresh: RunningMaster, tmp_path: Path) -> None:
    run = slo(fresh, "apply", write(tmp_path, "- {target_type: service, key: shop/checkout, "
                                              "availability_target: 99}\n"))
    assert run.code == 2 and "the master knows 2 clusters (edge, prod)" in run.err
    assert stored(fresh) == []
