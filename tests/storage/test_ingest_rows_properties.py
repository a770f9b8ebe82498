"""Properties of snapshot → totals → rows: nothing counted by the agent is lost or counted twice."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.storage.ingest_repository import snapshot_rows
from application.master.snapshot_totals import snapshot_totals
from domain.contract import SLOSnapshot

names = st.sampled_from(["a", "b", "c"])  # few names, so duplicates are common
codes = st.sampled_from(["200", "204", "301", "404", "429", "499", "500", "503", "0", "", "600"])
methods = st.sampled_from(["GET", "get", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", ""])
# Up to 40 request lines share a key: each at most 1/64 of the row limit, so no row is refused.
deltas = st.integers(min_value=0, max_value=10**12 // 64)
# The contract's shape: no buckets, or buckets ending in +Inf.
bucket_sets = st.one_of(
    st.just({}),
    st.builds(lambda finite, inf: {**finite, "+Inf": inf},
              st.dictionaries(st.sampled_from(["5", "10", "100"]), deltas, max_size=3), deltas),
)


def _tls_within_total(item: dict) -> dict:
    return {**item, "tls_request_delta": min(item["tls_request_delta"], item["total_request_delta"])}


def _failures_within_requests(item: dict) -> dict:
    return {**item, "failure_delta": min(item["failure_delta"], item["request_delta"])}


services = st.lists(
    st.fixed_dictionaries({
        "namespace": names, "name": names,
        "requests": st.lists(st.fixed_dictionaries({
            "status_code": codes, "classification": st.sampled_from(["success", "failure"]), "delta": deltas,
        }), max_size=5),
        "latency_buckets": bucket_sets, "latency_sum": st.floats(0, 1e9), "latency_count": deltas,
        "tls_request_delta": deltas, "total_request_delta": deltas,
    }).map(_tls_within_total),
    max_size=8,
)
ingress = st.lists(
    st.fixed_dictionaries({
        "service_key": names,
        "requests": st.lists(st.fixed_dictionaries({"code": codes, "method": methods, "delta": deltas}),
                             max_size=6),
        "latency_buckets": bucket_sets, "latency_sum": st.floats(0, 1e9), "latency_count": deltas,
    }),
    max_size=8,
)
edges = st.lists(
    st.fixed_dictionaries({
        "src_ns": names, "src_name": names, "dst_ns": names, "dst_name": names,
        "request_delta": deltas, "failure_delta": deltas, "latency_sum": st.floats(0, 1e9),
        "latency_count": deltas,
    }).map(_failures_within_requests),
    max_size=8,
)


def build(service_items: list, edge_items: list, ingress_items: list) -> SLOSnapshot:
    return SLOSnapshot.model_validate({
        "cluster_id": "c", "slo_data": {"timestamp": 1000, "window_start": 970, "services": service_items,
                                        "edges": edge_items, "ingress": ingress_items},
    })


@settings(max_examples=150, deadline=None)
@given(services, edges, ingress)
def test_every_increment_lands_in_exactly_one_row(
    service_items: list, edge_items: list, ingress_items: list
) -> None:
    rows = snapshot_rows(snapshot_totals(build(service_items, edge_items, ingress_items), received_at=0))

    # One row per key.
    assert len(rows.services) == len({(s["namespace"], s["name"]) for s in service_items})
    edge_keys = {(e["src_ns"], e["src_name"], e["dst_ns"], e["dst_name"]) for e in edge_items}
    assert len(rows.edges) == len(edge_keys)
    assert len(rows.ingress) == len({i["service_key"] for i in ingress_items})

    all_requests = [r for s in service_items for r in s["requests"]]
    assert sum(r["requests"] for r in rows.services) == sum(r["delta"] for r in all_requests)
    assert sum(r["errors"] for r in rows.services) == sum(
        r["delta"] for r in all_requests if r["classification"] == "failure")
    assert sum(r["tls_requests"] for r in rows.services) == sum(s["tls_request_delta"] for s in service_items)
    assert sum(r["latency_count"] for r in rows.services) == sum(s["latency_count"] for s in service_items)
    for row in rows.services:
        classes = row["status_2xx"] + row["status_3xx"] + row["status_4xx"] + row["status_5xx"]
        assert classes <= row["requests"]
    merged: dict[str, int] = {}
    for s in service_items:
        for key, count in s["latency_buckets"].items():
            merged[key] = merged.get(key, 0) + count
    stored: dict[str, int] = {}
    for row in rows.services:
        for key, count in json.loads(row["buckets"]).items():
            stored[key] = stored.get(key, 0) + count
    assert stored == merged

    assert sum(r["requests"] for r in rows.edges) == sum(e["request_delta"] for e in edge_items)
    assert sum(r["failures"] for r in rows.edges) == sum(e["failure_delta"] for e in edge_items)

    ingress_requests = [r for i in ingress_items for r in i["requests"]]
    total = sum(r["delta"] for r in ingress_requests)
    server_errors = sum(r["delta"] for r in ingress_requests if r["code"].isdigit() and int(r["code"]) >= 500)
    assert sum(r["requests"] for r in rows.ingress) == total
    assert sum(r["errors"] for r in rows.ingress) == server_errors
    method_columns = ("get", "post", "put", "delete", "patch", "other")
    assert sum(r[f"{m}_requests"] for r in rows.ingress for m in method_columns) == total
    assert sum(r[f"{m}_errors"] for r in rows.ingress for m in method_columns) == server_errors
