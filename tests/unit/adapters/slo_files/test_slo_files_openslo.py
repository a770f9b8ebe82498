"""OpenSLO v1 documents read into targets: windows, targets, indicators, merging, and the errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from adapters.slo_files.files import read_text
from application.ports.targets_api import SloFileError


def slo(name: str = "checkout-latency", *, sli: str = "latency", key: str = "shop/checkout",
        target_type: str = "service", window: dict[str, Any] | None = None, cluster: str | None = "demo",
        objective: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    source: dict[str, Any] = {"target_type": target_type, "key": key, "sli": sli}
    if sli == "latency":
        source["threshold_ms"] = 250
    document: dict[str, Any] = {
        "apiVersion": "openslo/v1", "kind": "SLO",
        "metadata": {"name": name, **({"labels": {"cluster": cluster}} if cluster else {})},
        "spec": {
            "indicator": {"metadata": {"name": f"{name}-sli"}, "spec": {"ratioMetric": {
                "counter": True, "total": {"metricSource": {"type": "meshslo", "spec": source}}}}},
            "timeWindow": [window or {"duration": "28d", "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [objective or {"target": 0.95}],
        },
    }
    document["spec"].update(spec)
    return document


def text_of(*documents: dict[str, Any]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False)


def problems_of(*documents: dict[str, Any]) -> list[str]:
    with pytest.raises(SloFileError) as caught:
        read_text(text_of(*documents), "openslo.yaml")
    return caught.value.problems


def test_a_latency_slo_becomes_a_target_with_the_latency_pair() -> None:
    (target,) = read_text(text_of(slo()), "openslo.yaml")
    assert target == {
        "cluster_id": "demo", "target_type": "service", "key": "shop/checkout", "window": "28d",
        "availability_target": None, "p95_target_ms": None, "latency_threshold_ms": 250.0,
        "latency_target": 95.0, "alerting": True,
    }


@pytest.mark.parametrize(("window", "expected"), [
    ({"duration": "1d", "isRolling": True}, "1d"),
    ({"duration": "7d", "isRolling": True}, "7d"),
    ({"duration": "30d", "isRolling": True}, "30d"),
    ({"duration": "1w", "isRolling": False, "calendar": {"timeZone": "UTC"}}, "week"),
    ({"duration": "1M", "isRolling": False, "calendar": {"startTime": "2024-01-01 00:00:00"}}, "month"),
])
def test_time_windows_map_to_meshslo_windows(window: dict[str, Any], expected: str) -> None:
    (target,) = read_text(text_of(slo(window=window)), "o.yaml")
    assert target["window"] == expected


def test_target_percent_and_ratios_convert_without_float_noise() -> None:
    (a,) = read_text(text_of(slo(sli="availability", objective={"target": 0.999})), "o.yaml")
    (b,) = read_text(text_of(slo(sli="availability", objective={"targetPercent": 99.95})), "o.yaml")
    assert a["availability_target"] == 99.9 and b["availability_target"] == 99.95


def test_availability_and_latency_slos_of_one_key_and_window_merge_into_one_target() -> None:
    availability = slo("checkout-availability", sli="availability", objective={"target": 0.99})
    availability["metadata"]["annotations"] = {
        "meshslo.io/p95-target-ms": "300", "meshslo.io/alerting": "false"}
    other_window = slo("checkout-latency-7d", window={"duration": "7d", "isRolling": True})
    targets = read_text(text_of(availability, slo(), other_window), "o.yaml")
    assert [(t["window"], t["availability_target"], t["latency_target"]) for t in targets] == [
        ("28d", 99.0, 95.0), ("7d", None, 95.0)]
    assert targets[0]["p95_target_ms"] == 300.0 and targets[0]["alerting"] is False


def test_an_indicator_ref_to_an_sli_document_works() -> None:
    sli = {"apiVersion": "openslo/v1", "kind": "SLI", "metadata": {"name": "checkout-ok"},
           "spec": {"ratioMetric": {"total": {"metricSource": {"type": "meshslo", "spec": {
               "target_type": "service", "key": "shop/checkout", "sli": "availability"}}}}}}
    document = slo("checkout-availability", objective={"target": 0.99})
    del document["spec"]["indicator"]
    document["spec"]["indicatorRef"] = "checkout-ok"
    service = {"apiVersion": "openslo/v1", "kind": "Service", "metadata": {"name": "shop-checkout"}}
    (target,) = read_text(text_of(service, document, sli), "o.yaml")
    assert target["availability_target"] == 99.0 and target["latency_target"] is None


def test_a_document_without_a_cluster_label_leaves_the_cluster_to_the_master() -> None:
    (target,) = read_text(text_of(slo(cluster=None)), "o.yaml")
    assert target["cluster_id"] is None


def _with(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node = document
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return document


DELETE = object()
SOURCE = "spec.indicator.spec.ratioMetric.total.metricSource"


@pytest.mark.parametrize(("path", "value", "expected"), [
    ("spec.objectives.0", {"target": 1.2},
     'spec.objectives[0].target: must be between 0 and 1, got 1.2'),
    ("spec.objectives.0", {"targetPercent": 100},
     'spec.objectives[0].targetPercent: must be between 0 and 100'),
    ("spec.objectives.0", {"target": 0.9, "targetPercent": 90},
     'spec.objectives[0].target: set target or targetPercent, not both'),
    ("spec.objectives.0", {"displayName": "x"}, 'spec.objectives[0].target: is required'),
    ("spec.objectives", [{"target": 0.9}, {"target": 0.99}],
     'spec.objectives: must be a list of exactly one objective'),
    ("spec.budgetingMethod", "Timeslices",
     "spec.budgetingMethod: only Occurrences is supported, got 'Timeslices'"),
    ("spec.timeWindow.0", {"duration": "90d", "isRolling": True},
     'spec.timeWindow[0].duration: a rolling window is one of 1d, 7d, 28d, 30d'),
    ("spec.timeWindow.0", {"duration": "1w", "isRolling": False},
     'spec.timeWindow[0].calendar: is required'),
    ("spec.timeWindow.0", {"duration": "1M", "isRolling": False, "calendar": {"timeZone": "Europe/Paris"}},
     'spec.timeWindow[0].calendar.timeZone: calendar windows are UTC'),
    ("spec.timeWindow.0", {"duration": "2w", "isRolling": False, "calendar": {}},
     'spec.timeWindow[0].duration: a calendar window is 1w'),
    ("spec.timeWindow.0", {"duration": "7d"}, 'spec.timeWindow[0].isRolling: must be'),
    ("spec.indicator", DELETE, 'spec.indicator: set an inline indicator or an indicatorRef'),
    ("spec.indicatorRef", "nowhere",
     "spec.indicator: set an inline indicator or an indicatorRef (exactly one)"),
    ("spec.indicator.spec", {"thresholdMetric": {}},
     'spec.indicator.spec.ratioMetric: is required: meshslo indicators are ratio'),
    (f"{SOURCE}.type", "prometheus", f'{SOURCE}.type: must be meshslo, got \'prometheus\''),
    (f"{SOURCE}.spec.target_type", "pod", f'{SOURCE}.spec.target_type: must be one of'),
    (f"{SOURCE}.spec.key", "checkout", f'{SOURCE}.spec.key: a service key is'),
    (f"{SOURCE}.spec.sli", "errors", f'{SOURCE}.spec.sli: must be availability or latency'),
    (f"{SOURCE}.spec.threshold_ms", DELETE,
     f'{SOURCE}.spec.threshold_ms: a latency indicator needs a number'),
    (f"{SOURCE}.spec.threshold", 3, f'{SOURCE}.spec.threshold: unknown field'),
    ("metadata.labels.cluster", "", "metadata.labels.cluster: must be one cluster id"),
    ("metadata.annotations", {"meshslo.io/p95-target-ms": "fast"},
     'metadata.annotations.meshslo.io/p95-target-ms: must be a number'),
    ("apiVersion", "openslo/v2alpha", "apiVersion: must be openslo/v1, got 'openslo/v2alpha'"),
])
def test_every_problem_names_the_document_and_the_field(path: str, value: Any, expected: str) -> None:
    problems = problems_of(_with(slo(), path, value))
    named = f'openslo.yaml: SLO "checkout-latency": {expected}'
    assert any(problem.startswith(named) for problem in problems), problems


def test_an_unknown_kind_is_named_by_its_position() -> None:
    assert problems_of(_with(slo(), "kind", "Budget")) == [
        "openslo.yaml: document 1: kind: must be SLO or SLI, got 'Budget'"]


def test_an_indicator_ref_to_a_missing_sli_is_named() -> None:
    document = slo()
    del document["spec"]["indicator"]
    document["spec"]["indicatorRef"] = "nowhere"
    assert problems_of(document) == [
        "openslo.yaml: SLO \"checkout-latency\": spec.indicatorRef: no kind: SLI document named 'nowhere' "
        "in this file"]


def test_a_document_without_a_name_is_named_by_its_position() -> None:
    unnamed = slo(objective={"target": 2})
    del unnamed["metadata"]["name"]
    problems = problems_of(slo(sli="availability"), unnamed)
    assert problems[0] == "openslo.yaml: document 2: metadata.name: is required"
    assert problems[1].startswith("openslo.yaml: document 2: spec.objectives[0].target: must be between")


def test_the_same_objective_twice_is_refused_naming_both_documents() -> None:
    problems = problems_of(slo("first"), slo("second"))
    assert problems == [
        "openslo.yaml: SLO \"second\": spec.indicator: the latency objective of service 'shop/checkout' "
        "over 28d is already defined by SLO \"first\""]


def test_two_slos_with_one_name_are_refused() -> None:
    problems = problems_of(slo("same", sli="availability"), slo("same"))
    assert problems == ["openslo.yaml: SLO \"same\": metadata.name: another SLO is named 'same'"]


def test_merged_slos_must_agree_on_the_p95_warning() -> None:
    first, second = slo("a", sli="availability"), slo("b")
    first["metadata"]["annotations"] = {"meshslo.io/p95-target-ms": "300"}
    second["metadata"]["annotations"] = {"meshslo.io/p95-target-ms": "200"}
    (problem,) = problems_of(first, second)
    assert problem.startswith('openslo.yaml: SLO "b": metadata.annotations.meshslo.io/p95-target-ms: 200.0')


def test_one_bad_document_among_good_ones_fails_the_file() -> None:
    problems = problems_of(slo("good", sli="availability"), slo("bad", budgetingMethod="RatioTimeslices"))
    assert len(problems) == 1 and problems[0].startswith('openslo.yaml: SLO "bad": spec.budgetingMethod')


def test_json_documents_read_too_one_array_or_one_document() -> None:
    (target,) = read_text(json.dumps([slo()]), "openslo.json")
    assert read_text(json.dumps(slo()), "openslo.json") == [target]
    assert target["latency_threshold_ms"] == 250.0
