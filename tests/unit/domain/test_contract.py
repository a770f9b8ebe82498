import json

import pytest
from pydantic import ValidationError

from domain.contract import SLOSnapshot, bucket_bound, validate_bucket_key


def _snapshot(**slo_overrides: object) -> dict:
    slo = {
        "timestamp": 1764312030,
        "window_start": 1764312000,
        "services": [
            {
                "namespace": "shop",
                "name": "checkout",
                "requests": [
                    {"status_code": "200", "classification": "success", "delta": 118},
                    {"status_code": "503", "classification": "failure", "delta": 2},
                ],
                "latency_buckets": {"5": 40, "10": 90, "50": 115, "+Inf": 120},
                "latency_sum": 1834.0,
                "latency_count": 120,
                "tls_request_delta": 120,
                "total_request_delta": 120,
            }
        ],
        "edges": [
            {"src_ns": "shop", "src_name": "frontend", "dst_ns": "shop", "dst_name": "checkout",
             "request_delta": 60, "failure_delta": 1, "latency_sum": 900.5, "latency_count": 60}
        ],
        "ingress": [
            {"service_key": "shop-frontend-80", "requests": [{"code": "200", "method": "GET", "delta": 300}],
             "latency_buckets": {"100": 280, "300": 299, "1200": 300, "5000": 300, "+Inf": 300},
             "latency_sum": 15000.0, "latency_count": 300}
        ],
        "routes": [
            {"name": "shop", "namespace": "shop", "domain": "shop.example.com", "path_prefix": "/",
             "service_key": "shop-frontend-80", "service_name": "frontend", "service_port": 80, "tls": True}
        ],
    }
    slo.update(slo_overrides)
    return {"cluster_id": "prod-eu-1", "agent_version": "0.1.0", "slo_data": slo}


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
