"""apply / export over a fake master: validate first, plan, prune, dry run, exit codes, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.application.slo.slo_fakes import FakeTargetsApi, target

from adapters.slo_files.files import SloFiles
from application.slo_as_code import EXIT_INVALID, EXIT_MASTER_ERROR, EXIT_OK, SloAsCode, plan_changes

DEPLOY = Path(__file__).resolve().parents[4] / "deploy"


class Run:
    def __init__(self, api: FakeTargetsApi) -> None:
        self.api = api
        self.out: list[str] = []
        self.err: list[str] = []
        self.use_case = SloAsCode(SloFiles(), api, self.out.append, self.err.append)


def write(tmp_path: Path, text: str, name: str = "slos.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


NATIVE = """
- {cluster_id: demo, target_type: service, key: shop/checkout, window: 28d, availability_target: 99.5}
- {cluster_id: demo, target_type: ingress, key: shop.example.com,
   latency_threshold_ms: 300, latency_target: 95}
"""


def test_the_plan_creates_updates_and_leaves_alone() -> None:
    unchanged = target("shop/checkout", window="28d", availability_target=99.5)
    api = FakeTargetsApi([unchanged, target("shop.example.com", "ingress", availability_target=99.0)])
    desired = [unchanged, target("shop.example.com", "ingress", availability_target=None,
                                 latency_threshold_ms=300.0, latency_target=95.0),
               target("identity/auth")]
    plan = plan_changes(desired, api.list_targets(), prune=False)
    assert [change.action for change in plan.changes] == ["unchanged", "update", "create"]
    assert plan.changes[1].changed_fields() == [
        "availability_target", "latency_threshold_ms", "latency_target"]
    assert "update    demo ingress shop.example.com 1d: availability_target 99 -> unset" in (
        plan.changes[1].describe())


def test_apply_writes_the_plan_and_says_so(tmp_path: Path) -> None:
    api = FakeTargetsApi([target("shop/checkout", window="28d", availability_target=99.0)])
    run = Run(api)
    assert run.use_case.apply(write(tmp_path, NATIVE)) == EXIT_OK
    assert [kind for kind, _ in api.writes] == ["put", "put"]
    assert api.targets[("demo", "service", "shop/checkout", "28d")]["availability_target"] == 99.5
    assert run.out[-2:] == ["Plan: 1 to create, 1 to update, 0 unchanged, 0 to delete.",
                            "Applied: 2 change(s)."]
    assert run.use_case.apply(write(tmp_path, NATIVE)) == EXIT_OK
    assert len(api.writes) == 2  # the second run finds nothing to change
    assert run.out[-2:] == ["Plan: 0 to create, 0 to update, 2 unchanged, 0 to delete.",
                            "Applied: 0 change(s)."]


def test_one_invalid_document_fails_the_file_and_nothing_is_written(tmp_path: Path) -> None:
    api = FakeTargetsApi([target("shop/cart", window="7d")])
    run = Run(api)
    text = NATIVE + "- {cluster_id: demo, target_type: service, key: shop/cart, latency_target: 120}\n"
    assert run.use_case.apply(write(tmp_path, text), prune=True) == EXIT_INVALID
    assert api.writes == []
    assert run.err[0].startswith("error: slos.yaml: targets[2]: latency_target: must be above 0")
    assert run.err[-1] == "2 problem(s) found: nothing was changed."


def test_an_invalid_openslo_document_fails_the_file_too(tmp_path: Path) -> None:
    text = (DEPLOY / "openslo.example.yaml").read_text().replace("targetPercent: 90", "targetPercent: 150")
    api = FakeTargetsApi()
    run = Run(api)
    assert run.use_case.apply(write(tmp_path, text, "openslo.yaml")) == EXIT_INVALID
    assert api.writes == []
    assert run.err[0] == ('error: openslo.yaml: SLO "gateway-availability-monthly": '
                          "spec.objectives[0].targetPercent: must be between 0 and 100, got 150")


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path: Path) -> None:
    api = FakeTargetsApi([target("payments/ledger")])
    run = Run(api)
    assert run.use_case.apply(write(tmp_path, NATIVE), prune=True, dry_run=True) == EXIT_OK
    assert api.writes == []
    assert run.out[-2:] == ["Plan: 2 to create, 0 to update, 0 unchanged, 1 to delete.",
                            "Dry run: nothing was changed."]
    assert "delete    demo service payments/ledger 1d: availability 99 %" in run.out


def test_prune_deletes_only_unnamed_targets_of_the_clusters_the_file_names(tmp_path: Path) -> None:
    kept = target("shop/checkout", window="28d", availability_target=99.5)
    other_window = target("shop/checkout", window="7d")
    other_cluster = target("shop/cart", cluster_id="eu-1")
    api = FakeTargetsApi([kept, other_window, other_cluster, target("shop/cart")])
    run = Run(api)
    assert run.use_case.apply(write(tmp_path, NATIVE), prune=True) == EXIT_OK
    deleted = sorted(what for kind, what in api.writes if kind == "delete")
    assert deleted == [("demo", "service", "shop/cart", "1d"), ("demo", "service", "shop/checkout", "7d")]
    assert ("eu-1", "service", "shop/cart", "1d") in api.targets


def test_without_prune_nothing_is_deleted(tmp_path: Path) -> None:
    api = FakeTargetsApi([target("shop/cart")])
    assert Run(api).use_case.apply(write(tmp_path, NATIVE)) == EXIT_OK
    assert [kind for kind, _ in api.writes] == ["put", "put"]


def test_targets_without_a_cluster_go_to_the_only_cluster(tmp_path: Path) -> None:
    api = FakeTargetsApi([target("shop/cart")])
    text = "- {target_type: service, key: shop/cart, availability_target: 99}\n"
    run = Run(api)
    assert run.use_case.apply(write(tmp_path, text), prune=True) == EXIT_OK
    assert api.writes == []  # the same target as the stored one: unchanged, not deleted
    several = FakeTargetsApi(clusters=["demo", "eu-1"])
    run = Run(several)
    assert run.use_case.apply(write(tmp_path, text)) == EXIT_INVALID
    assert run.err[0] == ("error: (cluster not set) service shop/cart 1d: cluster_id: not set, and the "
                          "master knows 2 clusters (demo, eu-1): set cluster_id "
                          "(OpenSLO: metadata.labels.cluster)")
    assert several.writes == []


def test_a_master_refusal_stops_the_run_with_exit_1_and_says_how_far_it_got(tmp_path: Path) -> None:
    api = FakeTargetsApi(fail_write=1)
    run = Run(api)
    assert run.use_case.apply(write(tmp_path, NATIVE)) == EXIT_MASTER_ERROR
    assert run.err == ["error: setting it: the master refused it (422): latency_target: bad",
                       "1 of 2 change(s) were made before the error."]


@pytest.mark.parametrize("format_name", ["native", "openslo"])
def test_export_apply_export_is_identical_and_apply_changes_nothing(tmp_path: Path, format_name: str) -> None:
    api = FakeTargetsApi([
        target("shop/checkout", window="28d", availability_target=99.9, p95_target_ms=300.0,
               latency_threshold_ms=250.0, latency_target=95.5),
        target("shop.example.com", "ingress", window="month", alerting=False, availability_target=99.95),
        target("pay.example.com", "ingress", window="week", availability_target=None,
               latency_threshold_ms=100.0, latency_target=99.0),
        target("shop/cart", cluster_id="eu-1", window="30d", availability_target=99.0),
        target("a.b", "ingress"), target("a-b", "ingress"),  # one slug, two keys
    ])
    run = Run(api)
    assert run.use_case.export(format_name) == EXIT_OK
    first = run.out[-1]
    path = write(tmp_path, first + "\n", f"exported-{format_name}.yaml")
    assert run.use_case.apply(path, prune=True) == EXIT_OK
    assert api.writes == []
    assert run.use_case.export(format_name) == EXIT_OK
    assert run.out[-1] == first


def test_export_of_one_cluster(tmp_path: Path) -> None:
    api = FakeTargetsApi([target("shop/cart"), target("shop/cart", cluster_id="eu-1")])
    run = Run(api)
    assert run.use_case.export("native", "eu-1") == EXIT_OK
    assert "cluster_id: eu-1" in run.out[-1] and "cluster_id: demo" not in run.out[-1]


@pytest.mark.parametrize("name", ["slos.example.yaml", "openslo.example.yaml"])
def test_both_example_files_parse_and_apply_to_the_demo_cluster(name: str) -> None:
    targets = SloFiles().read(str(DEPLOY / name))
    assert {t["cluster_id"] for t in targets} == {"demo"}
    windows = {t["window"] for t in targets}
    assert {"28d", "month"} <= windows
    assert any(t["latency_target"] is not None for t in targets)
    assert any(t["target_type"] == "ingress" and "." in t["key"] for t in targets)
    api = FakeTargetsApi(clusters=["demo"])
    assert Run(api).use_case.apply(str(DEPLOY / name)) == EXIT_OK
    assert len(api.targets) == len(targets)


def test_the_two_example_files_describe_the_same_checkout_and_gateway_slos() -> None:
    native = {(t["key"], t["window"]): t for t in SloFiles().read(str(DEPLOY / "slos.example.yaml"))}
    openslo = {(t["key"], t["window"]): t for t in SloFiles().read(str(DEPLOY / "openslo.example.yaml"))}
    for identity in [("shop/checkout", "28d"), ("payments/gateway", "month"), ("pay.example.com", "week")]:
        assert native[identity] == openslo[identity]
