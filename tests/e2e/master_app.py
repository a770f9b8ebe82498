"""The master app on a real database, in-process (TestClient): clock pinned, background jobs off,
ready, and fed the given snapshots, so that answers are reproducible."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from dependency_injector import providers
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from entrypoints.master_container import MasterContainer
from entrypoints.master_settings import MasterSettings


def running_app(database_url: str, snapshots: list[dict[str, Any]], now: float,
                **settings: Any) -> Iterator[TestClient]:
    """``settings``: further ``MasterSettings`` fields; an ``ingest_token`` among them is sent."""
    container = MasterContainer(settings=MasterSettings(database_url=database_url, **settings))
    container.clock.override(providers.Object(lambda: float(now)))
    container.jobs.override(providers.Object(None))
    token = settings.get("ingest_token")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with TestClient(create_app(container)) as client:
        deadline = time.monotonic() + 30
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "master never became ready"
            time.sleep(0.05)
        for document in snapshots:
            response = client.post("/agent/snapshot", json=document, headers=headers)
            assert response.status_code == 200, response.text
        yield client
