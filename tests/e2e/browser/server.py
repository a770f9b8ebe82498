"""Run an ASGI app with uvicorn in a background thread for browser tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from tests.e2e.processes import free_port, local_url


@contextmanager
def serve(app: Any, startup_timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app`` on a free local port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the test server on port {port} did not start")
        time.sleep(0.05)
    try:
        yield local_url(port)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
