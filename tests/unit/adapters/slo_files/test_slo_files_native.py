"""The native SLO file: a list of target objects (YAML or JSON), checked field by field."""

from __future__ import annotations

import json

import pytest

from adapters.slo_files.files import read_text, write_text
from application.ports.targets_api import SloFileError


def problems_of(text: str, source: str = "slos.yaml") -> list[str]:
    with pytest.raises(SloFileError) as caught:
        read_text(text, source)
    return caught.value.problems


def test_a_yaml_list_reads_with_defaults_filled_in() -> None:
    (target,) = read_text("- {target_type: service, key: shop/cart, availability_target: 99}\n", "s.yaml")
    assert target == {
        "cluster_id": None, "target_type": "service", "key": "shop/cart", "window": "1d",
        "availability_target": 99.0, "p95_target_ms": None, "latency_threshold_ms": None,
        "latency_target": None, "alerting": True,
    }


def test_json_and_the_targets_mapping_of_a_get_answer_read_too() -> None:
    answer = {"targets": [{"cluster_id": "demo", "target_type": "ingress", "key": "shop.example.com",
                           "window": "month", "availability_target": None, "p95_target_ms": 300,
                           "latency_threshold_ms": 250, "latency_target": 95, "alerting": False,
                           "updated_at": 1700000000}]}
    (target,) = read_text(json.dumps(answer), "targets.json")
    assert target["window"] == "month" and target["latency_target"] == 95.0
    assert target["availability_target"] is None and target["alerting"] is False
    assert "updated_at" not in target  # an answer-only field is never sent back


AV = {"availability_target": 99}


@pytest.mark.parametrize(("entry", "expected"), [
    ({"target_type": "pod", "key": "a/b", **AV}, "targets[0]: target_type: must be one of"),
    ({"target_type": "service", "key": "checkout", **AV}, "targets[0]: key: a service key"),
    ({"target_type": "ingress", "key": " x.com", **AV}, "targets[0]: key: must not have"),
    ({"target_type": "ingress", "key": "", **AV}, "targets[0]: key: must be a non-empty"),
    ({"target_type": "ingress", "key": "x.com", "window": "90d", "availability_target": 99},
     "targets[0]: window: must be one of 1d, 7d, 28d, 30d, week, month, got '90d'"),
    ({"target_type": "ingress", "key": "x.com", "availability_target": 100},
     "targets[0]: availability_target: must be above 0 and below 100 (%), got 100"),
    ({"target_type": "ingress", "key": "x.com", "availability_target": "99"},
     "targets[0]: availability_target: must be above 0 and below 100 (%), got '99'"),
    ({"target_type": "ingress", "key": "x.com", "availability_target": True},
     "targets[0]: availability_target: must be above 0"),
    ({"target_type": "ingress", "key": "x.com", "availability_target": 99, "p95_target_ms": 0},
     "targets[0]: p95_target_ms: must be a number of milliseconds above 0, got 0"),
    ({"target_type": "ingress", "key": "x.com", "latency_threshold_ms": 250, "latency_target": 120},
     "targets[0]: latency_target: must be above 0 and below 100 (%), got 120"),
    ({"target_type": "ingress", "key": "x.com", "latency_threshold_ms": -1, "latency_target": 90},
     "targets[0]: latency_threshold_ms: must be a number of milliseconds above 0, got -1"),
    ({"target_type": "ingress", "key": "x.com", "availability_target": 99, "latency_threshold_ms": 250},
     "targets[0]: latency_target: latency_threshold_ms and latency_target are set together"),
    ({"target_type": "ingress", "key": "x.com", "availability_target": 99, "latency_target": 90},
     "targets[0]: latency_threshold_ms: latency_threshold_ms and latency_target are set together"),
    ({"target_type": "ingress", "key": "x.com"}, "targets[0]: availability_target: at least one objective"),
    ({"target_type": "ingress", "key": "x.com", "availability_target": 99, "alerting": "yes"},
     "targets[0]: alerting: must be true or false, got 'yes'"),
    ({"target_type": "ingress", "key": "x.com", "availability_target": 99, "cluster_id": ""},
     "targets[0]: cluster_id: must be a non-empty string"),
    ({"target_type": "ingress", "key": "x.com", "availability_target": 99, "availability": 99},
     "targets[0]: availability: unknown field"),
])
def test_every_problem_names_the_entry_and_the_field(entry: dict[str, object], expected: str) -> None:
    problems = problems_of(json.dumps([entry]), "slos.json")
    assert any(problem.startswith(f"slos.json: {expected}") for problem in problems), problems


def test_every_problem_of_the_file_is_reported_at_once() -> None:
    text = """
- {target_type: service, key: shop/cart, availability_target: 99}
- {target_type: service, key: shop/cart, availability_target: 120}
- not a mapping
- {target_type: service, key: shop/cart, availability_target: 98}
"""
    problems = problems_of(text)
    assert problems == [
        "slos.yaml: targets[1]: availability_target: must be above 0 and below 100 (%), got 120",
        "slos.yaml: targets[2]: must be a mapping of target fields, got str",
        "slos.yaml: targets[3]: key: service 'shop/cart' window 1d is already defined by targets[0]",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("targets: {a: 1}\n", "slos.yaml: document 1: must be a list of targets"),
    ("- {a: 1}\n---\n- {b: 2}\n", "slos.yaml: document 2: a native SLO file is one document"),
    ("- [unclosed\n", "slos.yaml: line 2: not valid YAML"),
])
def test_the_shape_of_the_file_is_checked(text: str, expected: str) -> None:
    assert problems_of(text)[0].startswith(expected)


def test_broken_json_names_the_line() -> None:
    assert problems_of('[\n{"key": }\n]', "slos.json")[0].startswith("slos.json: line 2: not valid JSON")


def test_an_empty_file_holds_no_targets() -> None:
    assert read_text("# nothing yet\n", "slos.yaml") == []


def test_the_writer_sorts_leaves_out_unset_fields_and_writes_whole_numbers_plainly() -> None:
    text = """
- {cluster_id: b, target_type: service, key: shop/cart, window: 7d, availability_target: 99.5}
- {cluster_id: a, target_type: service, key: shop/cart, window: month, availability_target: 99}
- {cluster_id: a, target_type: service, key: shop/cart, window: 1d, latency_threshold_ms: 250,
   latency_target: 95, alerting: false}
- {cluster_id: a, target_type: ingress, key: z.com, availability_target: 99, p95_target_ms: 300}
"""
    written = write_text(read_text(text, "s.yaml"), "native")
    assert written == """\
- cluster_id: a
  target_type: ingress
  key: z.com
  window: 1d
  availability_target: 99
  p95_target_ms: 300
  alerting: true
- cluster_id: a
  target_type: service
  key: shop/cart
  window: 1d
  latency_threshold_ms: 250
  latency_target: 95
  alerting: false
- cluster_id: a
  target_type: service
  key: shop/cart
  window: month
  availability_target: 99
  alerting: true
- cluster_id: b
  target_type: service
  key: shop/cart
  window: 7d
  availability_target: 99.5
  alerting: true
"""
