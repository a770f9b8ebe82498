"""Objectives over HTTP (SPEC §10): who may write targets, what a refused target answers, DELETE,
the new fields in every answer carrying targets, and the exact objectives of hand-built snapshots.

The master app runs on a real database with its clock pinned and its background jobs off, as in
``test_api_query``; its snapshots are ``test_query_exact``'s plus one from October, inside a
rolling 28-day window that ends at ``TS2`` (2025-11-28) but outside that calendar month.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pytest import approx
from tests.e2e.master_app import running_app
from tests.storage.test_query_exact import SNAPSHOTS, TS1, TS2, _doc, _ing, _svc

pytestmark = pytest.mark.e2e

INGEST, READ, ADMIN = "ingest-1", "read-1", "admin-1"
NOW = TS2 + 5
H0 = TS1 - 30
OCTOBER = 1_761_912_000  # 2025-10-31T12:00Z: after TS2 - 28 d (06:01Z), before 1 November
TARGETS = "/api/v2/slo/targets"

OCTOBER_SNAPSHOT = _doc(
    "c1", OCTOBER, 30,
    # frontend: 100 requests, 20 failures; 0 within 10 ms, 50 within 100 ms
    services=[_svc("shop", "frontend", [("200", "success", 80), ("500", "failure", 20)], (0, 50, 100),
                   9000, 100)],
    edges=[],
    # the frontend backend: 100 requests, 10 of them 5xx; 10 <= 100 ms, 60 <= 300 ms, all <= 1200 ms
    ingress=[_ing("shop-frontend-80", [("200", "GET", 90), ("500", "GET", 10)], (10, 60, 100, 100, 100),
                  30000)],
)

BODY = {"cluster_id": "c1", "target_type": "service", "key": "shop/frontend", "window": "1d",
        "availability_target": 99.5, "p95_target_ms": 200}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def master(database_url: str, snapshots: list[dict[str, Any]], **settings: Any) -> Iterator[TestClient]:
    yield from running_app(database_url, snapshots, NOW, ingest_token=INGEST, **settings)


C1 = [document for document in SNAPSHOTS if document["cluster_id"] == "c1"]


@pytest.fixture
def open_master(tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    yield from master(f"sqlite:///{tmp_path / 'open.db'}", C1)


@pytest.fixture
def read_only(tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    yield from master(f"sqlite:///{tmp_path / 'read.db'}", C1, read_token=READ)


@pytest.fixture
def with_admin(tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    yield from master(f"sqlite:///{tmp_path / 'admin.db'}", C1, read_token=READ, admin_token=ADMIN)


def write_codes(client: TestClient, headers: dict[str, str]) -> tuple[int, int]:
    """PUT a target, then DELETE it (404 when the PUT was refused and nothing was stored)."""
    put = client.put(TARGETS, json=BODY, headers=headers)
    params = {k: BODY[k] for k in ("cluster_id", "target_type", "key", "window")}
    return put.status_code, client.delete(TARGETS, params=params, headers=headers).status_code


# ---- tokens ---------------------------------------------------------------------------------


def test_without_tokens_writes_are_open(open_master: TestClient) -> None:
    assert write_codes(open_master, {}) == (200, 200)
    assert write_codes(open_master, bearer("anything")) == (200, 200)


def test_with_only_a_read_token_writes_need_it_as_reads_do(read_only: TestClient) -> None:
    assert write_codes(read_only, {}) == (401, 401)
    assert write_codes(read_only, bearer("nope")) == (401, 401)
    assert write_codes(read_only, bearer(INGEST)) == (401, 401)
    assert write_codes(read_only, bearer(READ)) == (200, 200)


def test_with_an_admin_token_the_read_token_cannot_write(with_admin: TestClient) -> None:
    stored = with_admin.put(TARGETS, json=BODY, headers=bearer(ADMIN))
    assert stored.status_code == 200, stored.text
    params = {k: BODY[k] for k in ("cluster_id", "target_type", "key", "window")}
    for headers, code in (({}, 401), (bearer("nope"), 401), (bearer(INGEST), 401), (bearer(READ), 403)):
        put = with_admin.put(TARGETS, json={**BODY, "availability_target": 90}, headers=headers)
        delete = with_admin.delete(TARGETS, params=params, headers=headers)
        assert (put.status_code, delete.status_code) == (code, code), headers
    refused = with_admin.put(TARGETS, json=BODY, headers=bearer(READ)).json()["detail"]
    assert "admin token" in refused
    missing = with_admin.put(TARGETS, json=BODY)
    assert "missing" in missing.json()["detail"] and missing.headers["WWW-Authenticate"].startswith("Bearer")
    # Nothing the refused writes sent was kept.
    (kept,) = with_admin.get(TARGETS, headers=bearer(READ)).json()["targets"]
    assert kept["availability_target"] == 99.5
    assert with_admin.delete(TARGETS, params=params, headers=bearer(ADMIN)).json() == {"deleted": 1}


@pytest.mark.parametrize(
    "path",
    [
        TARGETS,
        "/api/v2/clusters",
        "/api/v2/slo/mesh/topology",
        f"/api/v2/slo/mesh/service/detail?namespace=shop&name=frontend&start={H0}&end={TS2}",
        f"/api/v2/slo/domains/v2?start={H0}&end={TS2}",
        "/api/v2/slo/status-history",
    ],
)
def test_the_admin_token_reads_too_and_reads_still_need_a_token(with_admin: TestClient, path: str) -> None:
    assert with_admin.get(path, headers=bearer(ADMIN)).status_code == 200
    assert with_admin.get(path, headers=bearer(READ)).status_code == 200
    assert with_admin.get(path).status_code == 401
    assert with_admin.get(path, headers=bearer("nope")).status_code == 401


def test_an_admin_token_without_a_read_token_leaves_reads_open(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for client in master(f"sqlite:///{tmp_path / 'a.db'}", C1, admin_token=ADMIN):
        assert client.get(TARGETS).status_code == 200
        assert write_codes(client, {}) == (401, 401)
        assert write_codes(client, bearer("read-ish")) == (401, 401)
        assert write_codes(client, bearer(ADMIN)) == (200, 200)


# ---- refused targets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"window": "2d"}, "window", "1d, 7d, 28d, 30d, week, month"),
        ({"window": 7}, "window", "string"),
        ({"availability_target": 100}, "availability_target", "above 0 and below 100"),
        ({"availability_target": 0}, "availability_target", "above 0 and below 100"),
        ({"availability_target": "99.5"}, "availability_target", "number"),
        ({"availability_target": True}, "availability_target", "number"),
        ({"p95_target_ms": 0}, "p95_target_ms", "positive"),
        ({"p95_target_ms": -5}, "p95_target_ms", "positive"),
        ({"latency_threshold_ms": 0, "latency_target": 99}, "latency_threshold_ms", "positive"),
        ({"latency_threshold_ms": "fast", "latency_target": 99}, "latency_threshold_ms", "number"),
        ({"latency_threshold_ms": 300, "latency_target": 120}, "latency_target", "above 0 and below 100"),
        ({"latency_threshold_ms": 300, "latency_target": 0}, "latency_target", "above 0 and below 100"),
        ({"latency_threshold_ms": 300}, "latency_target", "both or neither"),
        ({"latency_target": 99}, "latency_threshold_ms", "both or neither"),
        ({"availability_target": None}, "availability_target", "needs an objective"),
        ({"availability_target": None, "p95_target_ms": None}, "availability_target", "needs an objective"),
        ({"alerting": "yes"}, "alerting", "boolean"),
        ({"alerting": 1}, "alerting", "boolean"),
        ({"alerting": None}, "alerting", "boolean"),
        ({"target_type": "pod"}, "target_type", "service, ingress"),
        ({"key": ""}, "key", "empty"),
        ({"key": " shop/frontend"}, "key", "spaces"),
        ({"key": "frontend"}, "key", "namespace/name"),
        ({"colour": "red"}, "colour", "not permitted"),
    ],
)
def test_every_invalid_field_is_a_422_naming_it(
    open_master: TestClient, changes: dict[str, Any], field: str, words: str
) -> None:
    response = open_master.put(TARGETS, json={**BODY, **changes})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail.startswith(field), detail
    assert words in detail, detail
    assert open_master.get(TARGETS).json()["targets"] == []


def test_a_missing_field_or_body_is_named_too(open_master: TestClient) -> None:
    no_key = open_master.put(TARGETS, json={k: v for k, v in BODY.items() if k != "key"})
    assert (no_key.status_code, no_key.json()["detail"]) == (422, "key: Field required")
    not_json = open_master.put(TARGETS, content=b"{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["detail"].startswith("body: ")


def test_every_problem_is_listed_at_once(open_master: TestClient) -> None:
    bad = {**BODY, "target_type": "pod", "window": "2d", "availability_target": 100, "p95_target_ms": 0}
    detail = open_master.put(TARGETS, json=bad).json()["detail"]
    for field in ("target_type", "window", "availability_target", "p95_target_ms"):
        assert field in detail


def test_delete_answers_deleted_then_404(open_master: TestClient) -> None:
    assert open_master.put(TARGETS, json=BODY).status_code == 200
    other = {**BODY, "window": "28d"}
    assert open_master.put(TARGETS, json=other).status_code == 200
    params = {k: BODY[k] for k in ("cluster_id", "target_type", "key", "window")}
    first = open_master.delete(TARGETS, params=params)
    assert (first.status_code, first.json()) == (200, {"deleted": 1})
    again = open_master.delete(TARGETS, params=params)
    assert again.status_code == 404 and "shop/frontend" in again.json()["detail"]
    assert [t["window"] for t in open_master.get(TARGETS).json()["targets"]] == ["28d"]
    # The cluster may be left out while only one reports; the other parts may not.
    without_cluster = {"target_type": "service", "key": "shop/frontend", "window": "28d"}
    assert open_master.delete(TARGETS, params=without_cluster).status_code == 200
    for missing in ("target_type", "key", "window"):
        partial = {k: v for k, v in params.items() if k != missing}
        response = open_master.delete(TARGETS, params=partial)
        assert response.status_code == 422 and missing in response.json()["detail"]
    assert open_master.delete(TARGETS, params={**params, "cluster_id": "mars"}).status_code == 404


# ---- answers carrying targets, and objectives --------------------------------------------------


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    # The October snapshot is a month old: only a master keeping raw rows that long takes it.
    yield from master(database_url, [*C1, copy.deepcopy(OCTOBER_SNAPSHOT)], raw_retention="40d")


def put(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.put(TARGETS, json={"cluster_id": "c1", **fields})
    assert response.status_code == 200, response.text
    return response.json()


def delete(client: TestClient, target_type: str, key: str, window: str) -> None:
    params = {"cluster_id": "c1", "target_type": target_type, "key": key, "window": window}
    assert client.delete(TARGETS, params=params).json() == {"deleted": 1}


def detail(client: TestClient) -> dict[str, Any]:
    url = f"/api/v2/slo/mesh/service/detail?cluster_id=c1&namespace=shop&name=frontend&start={H0}&end={TS2}"
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def domain(client: TestClient) -> dict[str, Any]:
    response = client.get(f"/api/v2/slo/domains/v2?cluster_id=c1&start={H0}&end={TS2}")
    assert response.status_code == 200, response.text
    (only,) = response.json()["domains"]
    return only


def objectives(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {objective["sli"]: objective for objective in answer["objectives"]}


def test_every_answer_carrying_targets_carries_the_new_fields(client: TestClient) -> None:
    stored = put(client, target_type="service", key="shop/frontend", window="28d", availability_target=None,
                 latency_threshold_ms=100, latency_target=75, alerting=False)
    assert stored == {"cluster_id": "c1", "target_type": "service", "key": "shop/frontend", "window": "28d",
                      "availability_target": None, "p95_target_ms": None, "latency_threshold_ms": 100.0,
                      "latency_target": 75.0, "alerting": False, "updated_at": NOW}
    put(client, target_type="ingress", key="shop.example.com", window="month", availability_target=80,
        p95_target_ms=900, latency_threshold_ms=200, latency_target=80)
    listed = client.get(TARGETS).json()["targets"]
    assert listed[1] == stored
    ingress = listed[0]
    assert (ingress["window"], ingress["latency_threshold_ms"], ingress["alerting"]) == ("month", 200, True)

    # p95 null: the status threshold is the master's default (300 ms); no availability objective.
    assert detail(client)["targets"] == {
        "availability": None, "p95_ms": 300.0, "window": "28d", "source": "target",
        "latency_threshold_ms": 100.0, "latency_target": 75.0, "alerting": False}
    shop = domain(client)
    expected = {"availability": 80.0, "p95_ms": 900.0, "window": "month", "source": "target",
                "latency_threshold_ms": 200.0, "latency_target": 80.0, "alerting": True}
    assert shop["targets"] == expected
    # shop-api-8080 has no target of its own: it is judged by the domain's.
    assert {s["service_key"]: s["targets"] for s in shop["services"]}["shop-api-8080"] == expected


def test_service_objectives_over_28_days_and_over_the_month(client: TestClient) -> None:
    put(client, target_type="service", key="shop/frontend", window="28d", availability_target=80,
        latency_threshold_ms=100, latency_target=75)
    # 28 d: 300 requests (October's 100 too), 30 failures; 240 within 100 ms, a bucket bound.
    got = objectives(detail(client))
    assert got["availability"] == {
        "sli": "availability", "window": "28d", "window_start": TS2 - 28 * 86400, "target": 80.0,
        "threshold_ms": None, "total": 300, "good": 270, "sli_percent": approx(90.0),
        "budget_remaining": approx(50.0), "estimated": False}  # 100 - 30 / (300 * 20 %) * 100
    assert got["latency"] == {
        "sli": "latency", "window": "28d", "window_start": TS2 - 28 * 86400, "target": 75.0,
        "threshold_ms": 100.0, "total": 300, "good": 240, "sli_percent": approx(80.0),
        "budget_remaining": approx(20.0), "estimated": False}  # 100 - 60 / 75 * 100

    delete(client, "service", "shop/frontend", "28d")
    put(client, target_type="service", key="shop/frontend", window="month", availability_target=90,
        latency_threshold_ms=55, latency_target=80)
    # November: 200 requests, 10 failures; 150 within 10 ms, 190 within 100 ms, so 55 ms
    # interpolates to 150 + 40 * 45 / 90 = 170: estimated.
    got = objectives(detail(client))
    november = 1_761_955_200
    assert got["availability"] == {
        "sli": "availability", "window": "month", "window_start": november, "target": 90.0,
        "threshold_ms": None, "total": 200, "good": 190, "sli_percent": approx(95.0),
        "budget_remaining": approx(50.0), "estimated": False}  # 100 - 10 / 20 * 100
    assert got["latency"] == {
        "sli": "latency", "window": "month", "window_start": november, "target": 80.0,
        "threshold_ms": 55.0, "total": 200, "good": approx(170.0), "sli_percent": approx(85.0),
        "budget_remaining": approx(25.0), "estimated": True}  # 100 - 30 / 40 * 100


def test_domain_objectives_over_28_days_and_over_the_month(client: TestClient) -> None:
    put(client, target_type="ingress", key="shop.example.com", window="28d", availability_target=90,
        latency_threshold_ms=300, latency_target=75)
    # 28 d, both backends: 340 requests, 35 of them 5xx; 270 within 300 ms, a Traefik bound.
    got = objectives(domain(client))
    assert (got["availability"]["total"], got["availability"]["good"]) == (340, 305)
    assert got["availability"]["sli_percent"] == approx(305 / 340 * 100)
    assert got["availability"]["budget_remaining"] == approx(100 - 35 / 34 * 100)  # spent: below 0
    assert (got["latency"]["total"], got["latency"]["good"], got["latency"]["estimated"]) == (340, 270, False)
    assert got["latency"]["budget_remaining"] == approx(100 - 70 / 85 * 100)
    assert {o["window"] for o in got.values()} == {"28d"}

    delete(client, "ingress", "shop.example.com", "28d")
    put(client, target_type="ingress", key="shop.example.com", window="month", availability_target=80,
        latency_threshold_ms=200, latency_target=80)
    # November: 240 requests, 25 of them 5xx; 170 within 100 ms, 210 within 300 ms: 200 ms is 190.
    shop = domain(client)
    got = objectives(shop)
    assert (got["availability"]["total"], got["availability"]["good"]) == (240, 215)
    assert got["availability"]["budget_remaining"] == approx(100 - 25 / 48 * 100)
    assert got["availability"]["estimated"] is False
    assert got["latency"]["good"] == approx(190.0) and got["latency"]["estimated"] is True
    assert got["latency"]["sli_percent"] == approx(190 / 240 * 100)
    assert got["latency"]["budget_remaining"] == approx(100 - 50 / 48 * 100)
    # Each backend over its own traffic, by the domain's target: the frontend's 200 requests,
    # 5 of them 5xx; 170 within 100 ms and 190 within 300 ms, so 180 within 200 ms.
    frontend = objectives({s["service_key"]: s for s in shop["services"]}["shop-frontend-80"])
    assert (frontend["availability"]["total"], frontend["availability"]["good"]) == (200, 195)
    assert frontend["availability"]["budget_remaining"] == approx(87.5)
    assert frontend["latency"]["good"] == approx(180.0) and frontend["latency"]["estimated"] is True
    assert frontend["latency"]["budget_remaining"] == approx(50.0)
