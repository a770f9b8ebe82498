"""Snapshot bodies: repeated keys refused naming the object, integral floats taken as integers."""

from __future__ import annotations

import json

import pytest
from tests.storage.snapshot_builders import route, service, snapshot

from adapters.api.snapshot_body import InvalidBody, parse_snapshot


def _compact(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"))


def _with_repeat(text: str, anchor: str, repeat: str) -> bytes:
    """``text`` with ``repeat`` (a ``"key":value`` member) inserted before the first ``anchor``."""
    assert anchor in text
    return text.replace(anchor, repeat + "," + anchor, 1).encode()


@pytest.mark.parametrize(
    ("anchor", "repeat", "message"),
    [
        # Last wins, even for cluster_id: the snapshot was stored for the second cluster.
        ('"agent_version"', '"cluster_id":"prod-us-1"', "body: duplicate key 'cluster_id'"),
        ('"services"', '"timestamp":1764312031', "slo_data: duplicate key 'timestamp'"),
        ('"latency_sum":1834.0', '"name":"other"', "slo_data.services[3]: duplicate key 'name'"),
        ('"+Inf"', '"5":7', "slo_data.services[3].latency_buckets: duplicate key '5'"),
        ('"classification":"failure"', '"delta":1',
         "slo_data.services[3].requests[1]: duplicate key 'delta'"),
    ],
)
def test_repeated_keys_are_refused_naming_the_object(anchor: str, repeat: str, message: str) -> None:
    services = [service(name=f"w{i}") for i in range(3)] + [service(name="checkout")]
    text = _compact(snapshot(services=services))
    # Put the repeat into the fourth service (and the top-level and slo_data ones where they belong).
    head, fourth = text.rsplit('{"namespace":"shop","name":"checkout"', 1)
    if anchor in ('"agent_version"', '"services"'):
        body = _with_repeat(text, anchor, repeat)
    else:
        opening = (head + '{"namespace":"shop","name":"checkout"').encode()
        body = opening + _with_repeat(fourth, anchor, repeat)
    with pytest.raises(InvalidBody) as caught:
        parse_snapshot(body)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "separators", [(",", ":"), (", ", ": "), (",", " : ")], ids=["compact", "spaced", "pretty"]
)
def test_bodies_without_repeats_pass_whatever_their_spacing(separators: tuple[str, str]) -> None:
    document = snapshot(routes=[route(path_prefix='/a":b')])  # a '":' inside a string, and an unknown field:
    document["slo_data"]["future_field"] = {"a": 1}
    parsed = parse_snapshot(json.dumps(document, separators=separators).encode())
    assert parsed.slo_data.routes[0].path_prefix == '/a":b'


def test_a_repeat_hidden_by_spacing_is_still_found() -> None:
    text = json.dumps(snapshot(), separators=(",", " : "))
    body = text.replace('"agent_version"', '"cluster_id" : "prod-us-1", "agent_version"', 1).encode()
    with pytest.raises(InvalidBody, match="body: duplicate key 'cluster_id'"):
        parse_snapshot(body)


def test_integral_floats_are_taken_as_the_integer() -> None:
    text = _compact(snapshot(timestamp=1_764_312_030))
    text = text.replace('"timestamp":1764312030', '"timestamp":1.76431203e9')
    text = text.replace('"delta":118', '"delta":118.0')
    text = text.replace('"+Inf":120', '"+Inf":1.2e2')
    parsed = parse_snapshot(text.encode())
    assert parsed.slo_data.timestamp == 1_764_312_030
    assert parsed.slo_data.services[0].requests[0].delta == 118
    assert parsed.slo_data.services[0].latency_buckets["+Inf"] == 120
    assert type(parsed.slo_data.services[0].latency_buckets["+Inf"]) is int


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("118.5", "slo_data.services[0].requests[0].delta: Input should be a valid integer"),
        ('"118"', "slo_data.services[0].requests[0].delta: Input should be a valid integer"),
        ("1e300",
         "slo_data.services[0].requests[0].delta: Input should be less than or equal to 1000000000000"),
    ],
)
def test_other_numbers_for_integers_stay_refused(value: str, message: str) -> None:
    text = _compact(snapshot()).replace('"delta":118', f'"delta":{value}')
    with pytest.raises(InvalidBody) as caught:
        parse_snapshot(text.encode())
    assert str(caught.value) == message


def test_integral_floats_next_to_real_problems_report_only_the_real_ones() -> None:
    text = _compact(snapshot()).replace('"delta":118', '"delta":118.0').replace('"delta":2', '"delta":-2')
    with pytest.raises(InvalidBody) as caught:
        parse_snapshot(text.encode())
    assert str(caught.value) == (
        "slo_data.services[0].requests[1].delta: Input should be greater than or equal to 0"
    )
