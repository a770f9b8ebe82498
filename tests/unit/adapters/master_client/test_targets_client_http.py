"""HttpTargetsApi: requests sent, refusals explained; and `meshslo slo` against a tiny HTTP master."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.http_stub import StubHandler

from adapters.master_client.targets_client import HttpTargetsApi
from application.ports.targets_api import TargetsApiError
from entrypoints import slo_cmd

TARGET = {"cluster_id": "demo", "target_type": "service", "key": "shop/cart", "window": "1d",
          "availability_target": 99.0, "p95_target_ms": None, "latency_threshold_ms": None,
          "latency_target": None, "alerting": True}


def api_answering(status: int, body: Any = None, seen: list[httpx.Request] | None = None) -> HttpTargetsApi:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=body)

    return HttpTargetsApi("http://master:8080/", "s3cret", transport=httpx.MockTransport(handle))


def test_requests_carry_the_token_and_the_contract_fields() -> None:
    seen: list[httpx.Request] = []
    api = api_answering(200, {**TARGET, "updated_at": 5}, seen)
    assert api.put_target({**TARGET, "cluster_id": None}) == {**TARGET}
    (request,) = seen
    assert request.method == "PUT" and request.url.path == "/api/v2/slo/targets"
    assert request.headers["authorization"] == "Bearer s3cret"
    assert json.loads(request.content) == {k: v for k, v in TARGET.items() if k != "cluster_id"}
    api.delete_target("demo", "ingress", "shop.example.com", "month")
    assert dict(seen[-1].url.params) == {"cluster_id": "demo", "target_type": "ingress",
                                         "key": "shop.example.com", "window": "month"}


def test_an_older_master_answer_gets_the_contract_defaults() -> None:
    old = {"cluster_id": "demo", "target_type": "service", "key": "shop/cart", "window": "7d",
           "availability_target": 99.5, "p95_target_ms": 300.0, "updated_at": 1}
    (target,) = api_answering(200, {"targets": [old]}).list_targets()
    assert target["latency_target"] is None and target["alerting"] is True
    assert target["p95_target_ms"] == 300.0


def test_delete_of_a_missing_target_is_not_an_error() -> None:
    api = api_answering(404, {"detail": "no such target"})
    assert api.delete_target("demo", "service", "a/b", "1d") is False


@pytest.mark.parametrize(("status", "expected"), [
    (401, "the master wants a valid token (HTTP 401: no); set --admin-token or MESHSLO_ADMIN_TOKEN"),
    (403, "this token may not do that (HTTP 403: no); writes need the admin token"),
    (422, "the master refused it (HTTP 422: no)"),
    (500, "the master answered HTTP 500: no"),
])
def test_refusals_show_the_masters_detail(status: int, expected: str) -> None:
    with pytest.raises(TargetsApiError) as caught:
        api_answering(status, {"detail": "no"}).put_target(TARGET)
    assert str(caught.value) == f"setting service shop/cart 1d: {expected}"


def test_a_connection_failure_names_the_master() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    api = HttpTargetsApi("http://master:8080", transport=httpx.MockTransport(refuse))
    with pytest.raises(TargetsApiError, match="cannot reach the master at http://master:8080: connection"):
        api.list_targets()


class FakeMaster(StubHandler):
    """Just enough of the master's targets API: one cluster, an admin token."""

    targets: dict[tuple[str, ...], dict[str, Any]] = {}
    token = "admin"

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.token}":
            return True
        self.send_json(401, {"detail": "missing or wrong bearer token"})
        return False

    def do_GET(self) -> None:
        if not self._authorised():
            return
        path = urlsplit(self.path).path
        if path == "/api/v2/clusters":
            self.send_json(200, {"clusters": [{"cluster_id": "demo"}]})
        else:
            self.send_json(200, {"targets": list(self.targets.values())})

    def do_PUT(self) -> None:
        if not self._authorised():
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body.setdefault("cluster_id", "demo")
        key = tuple(body[k] for k in ("cluster_id", "target_type", "key", "window"))
        self.targets[key] = {**body, "updated_at": 1}
        self.send_json(200, self.targets[key])

    def do_DELETE(self) -> None:
        if not self._authorised():
            return
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        key = tuple(query[k] for k in ("cluster_id", "target_type", "key", "window"))
        if self.targets.pop(key, None) is None:
            self.send_json(404, {"detail": "no such target"})
        else:
            self.send_json(200, {"deleted": 1})


@pytest.fixture
def master() -> Iterator[str]:
    old = {**TARGET, "key": "shop/old", "updated_at": 1}
    FakeMaster.targets = {("demo", "service", "shop/old", "1d"): old}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeMaster)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_slo_command_applies_and_exports_over_http(master: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    example = str(Path(__file__).resolve().parents[4] / "deploy" / "slos.example.yaml")
    flags = ["--master-url", master, "--admin-token", "admin"]
    assert slo_cmd.run(["apply", example, "--prune", *flags]) == 0
    assert ("demo", "service", "shop/old", "1d") not in FakeMaster.targets
    assert len(FakeMaster.targets) == 5
    capsys.readouterr()
    assert slo_cmd.run(["export", "--format", "openslo", *flags]) == 0
    exported = tmp_path / "openslo.yaml"
    exported.write_text(capsys.readouterr().out)
    assert slo_cmd.run(["apply", str(exported), "--prune", *flags]) == 0
    assert "Plan: 0 to create, 0 to update, 5 unchanged, 0 to delete." in capsys.readouterr().out


def test_the_slo_command_exit_codes(master: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("- {target_type: service, key: shop/cart, availability_target: 99}\n")
    assert slo_cmd.run(["apply", str(good), "--master-url", master]) == 1  # no token: 401
    assert "401: missing or wrong bearer token" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {target_type: service, key: shop/cart, latency_threshold_ms: 100}\n")
    assert slo_cmd.run(["apply", str(bad), "--master-url", master, "--admin-token", "admin"]) == 2
    assert slo_cmd.run(["apply", "--master-url", master]) == 2  # FILE missing: usage
    assert slo_cmd.run(["export", "--master-url", "master:8080"]) == 2
    assert slo_cmd.run(["export", "--master-url", "http://127.0.0.1:1"]) == 1
    assert "cannot reach the master at http://127.0.0.1:1" in capsys.readouterr().err
    assert len(FakeMaster.targets) == 1


def test_the_token_and_url_come_from_the_environment(master: str, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MESHSLO_MASTER_URL", master)
    monkeypatch.setenv("MESHSLO_ADMIN_TOKEN", "admin")
    assert slo_cmd.run(["export"]) == 0
    assert "key: shop/old" in capsys.readouterr().out
