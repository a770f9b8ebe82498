import json

import pytest
from pydantic import ValidationError
from tests.storage.snapshot_builders import ingress, service, snapshot

from domain.contract import SLOSnapshot, bucket_bound, validate_bucket_key


def _snapshot(**slo_overrides: object) -> dict:
    """The SPEC's example: every checkout request over mTLS, one request line for the ingress backend."""
    checkout = service(tls_request_delta=120)
    frontend = ingress(requests=[{"code": "200", "method": "GET", "delta": 300}], latency_count=300,
                       latency_buckets={"100": 280, "300": 299, "1200": 300, "5000": 300, "+Inf": 300})
    document = snapshot(services=[checkout], ingresses=[frontend])
    document["slo_data"].update(slo_overrides)
    return document


def _errors(document: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        SLOSnapshot.model_validate_json(json.dumps(document))
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in caught.value.errors()]


def test_spec_example_round_trips_with_exact_field_names() -> None:
    document = _snapshot()
    snapshot = SLOSnapshot.model_validate_json(json.dumps(document))
    assert snapshot.slo_data.window_seconds == 30
    assert snapshot.model_dump(mode="json") == document


def test_negative_delta_is_rejected_naming_the_field() -> None:
    document = _snapshot()
    document["slo_data"]["services"][0]["requests"][1]["delta"] = -1
    [(where, message)] = _errors(document)
    assert where == "slo_data.services.0.requests.1.delta"
    assert "greater than or equal to 0" in message


def test_string_where_a_number_belongs_is_a_wrong_type() -> None:
    document = _snapshot()
    document["slo_data"]["edges"][0]["request_delta"] = "60"
    [(where, _)] = _errors(document)
    assert where == "slo_data.edges.0.request_delta"


def test_fractional_count_is_rejected() -> None:
    document = _snapshot()
    document["slo_data"]["ingress"][0]["latency_count"] = 2.5
    [(where, _)] = _errors(document)
    assert where == "slo_data.ingress.0.latency_count"


@pytest.mark.parametrize("key", ["fast", "NaN", "Infinity", "", "1,5"])
def test_bucket_keys_must_be_numbers_or_plus_inf(key: str) -> None:
    document = _snapshot()
    document["slo_data"]["services"][0]["latency_buckets"] = {key: 1, "+Inf": 1}
    [(where, message)] = _errors(document)
    assert where == "slo_data.services.0.latency_buckets"
    assert repr(key) in message


@pytest.mark.parametrize("window_start", [1764312030, 1764312031])
def test_window_must_move_forward(window_start: int) -> None:
    [(_, message)] = _errors(_snapshot(window_start=window_start))
    assert "window_start" in message and "before timestamp" in message


def test_missing_cluster_id_is_named() -> None:
    document = _snapshot()
    del document["cluster_id"]
    assert _errors(document)[0][0] == "cluster_id"


def test_unknown_classification_is_rejected() -> None:
    document = _snapshot()
    document["slo_data"]["services"][0]["requests"][0]["classification"] = "meh"
    assert _errors(document)[0][0] == "slo_data.services.0.requests.0.classification"


def test_infinite_latency_sum_is_rejected() -> None:
    text = json.dumps(_snapshot()).replace("1834.0", "Infinity")
    with pytest.raises(ValidationError):
        SLOSnapshot.model_validate_json(text)


def test_bucket_helpers() -> None:
    assert validate_bucket_key("0.025") == "0.025"
    assert bucket_bound("+Inf") == float("inf")
    assert bucket_bound("1200") == 1200.0
