"""``TargetsApi`` over HTTP: list, upsert and delete targets (``/api/v2/slo/targets``, SPEC §10)."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.master_client.http_client import master_message
from application.ports.targets_api import TARGET_FIELDS, TargetsApiError, WireTarget

TARGETS_PATH = "/api/v2/slo/targets"
CLUSTERS_PATH = "/api/v2/clusters"
# Fields an older master does not answer with, at the value the contract gives them when unset.
ANSWER_DEFAULTS: dict[str, Any] = {"latency_threshold_ms": None, "latency_target": None, "alerting": True,
                                   "p95_target_ms": None, "availability_target": None, "window": "1d"}


def from_answer(raw: dict[str, Any]) -> WireTarget:
    return {name: raw.get(name, ANSWER_DEFAULTS.get(name)) for name in TARGET_FIELDS}


class HttpTargetsApi:
    def __init__(self, base_url: str, token: str = "", timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout,
                                    transport=transport)

    def close(self) -> None:
        self._client.close()

    def _request(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise TargetsApiError(f"cannot reach the master at {self.base_url}: {error}") from None
        status = response.status_code
        if status < 400 or (method == "DELETE" and status == 404):
            return response
        detail = master_message(response)
        if status == 401:
            raise TargetsApiError(f"{what}: the master wants a valid token ({detail}); "
                                  "set --admin-token or MESHSLO_ADMIN_TOKEN")
        if status == 403:
            raise TargetsApiError(f"{what}: this token may not do that ({detail}); "
                                  "writes need the admin token")
        if status == 422:
            raise TargetsApiError(f"{what}: the master refused it ({detail})")
        raise TargetsApiError(f"{what}: the master answered {detail}")

    def _json(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise TargetsApiError(f"{what}: the master's answer is not JSON "
                                  f"(is {self.base_url} a meshslo master?)") from None

    def clusters(self) -> list[str]:
        what = "listing clusters"
        body = self._json(self._request("GET", CLUSTERS_PATH, what), what)
        return sorted(str(entry["cluster_id"]) for entry in body.get("clusters", []))

    def list_targets(self, cluster_id: str | None = None) -> list[WireTarget]:
        what = "listing targets"
        params = {"cluster_id": cluster_id} if cluster_id else {}
        body = self._json(self._request("GET", TARGETS_PATH, what, params=params), what)
        return [from_answer(raw) for raw in body.get("targets", [])]

    def put_target(self, target: WireTarget) -> WireTarget:
        what = f"setting {target['target_type']} {target['key']} {target['window']}"
        body = {name: value for name, value in target.items() if name in TARGET_FIELDS}
        if body.get("cluster_id") is None:
            body.pop("cluster_id", None)  # the master picks its only cluster
        return from_answer(self._json(self._request("PUT", TARGETS_PATH, what, json=body), what))

    def delete_target(self, cluster_id: str, target_type: str, key: str, window: str) -> bool:
        params = {"cluster_id": cluster_id, "target_type": target_type, "key": key, "window": window}
        response = self._request("DELETE", TARGETS_PATH, f"deleting {target_type} {key} {window}",
                                 params=params)
        return response.status_code != 404
