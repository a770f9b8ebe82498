"""Posting alerts over HTTP with bounded retries (httpx + tenacity).

A receiver that is down must never hold up evaluation for long: each post is
tried a few times with a short exponential backoff and then reported as failed;
the evaluator sends the same alerts again at its next round.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from application.ports.alerts import Notification, NotificationFailed


class _Retryable(Exception):
    pass


def _retryable(error: BaseException) -> bool:
    return isinstance(error, (_Retryable, httpx.TransportError))


class _HttpPoster:
    def __init__(self, url: str, *, timeout: float, attempts: int, max_seconds: float,
                 client: httpx.Client | None = None) -> None:
        self.url = url
        self._client = client or httpx.Client(timeout=timeout)
        self._retrying = Retrying(
            retry=retry_if_exception(_retryable),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            stop=stop_after_attempt(attempts) | stop_after_delay(max_seconds),
            reraise=False,
        )

    def post(self, payload: object) -> None:
        content = json.dumps(payload).encode()
        try:
            for attempt in self._retrying:
                with attempt:
                    self._post_once(content)
        except RetryError as error:
            cause = error.last_attempt.exception()
            raise NotificationFailed(f"{self.url}: {cause}") from cause

    def _post_once(self, content: bytes) -> None:
        response = self._client.post(self.url, content=content,
                                     headers={"Content-Type": "application/json"})
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise _Retryable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            # A 4xx will not change by retrying: the body or the URL is wrong.
            raise NotificationFailed(f"{self.url}: HTTP {response.status_code}: {response.text[:200]}")

    def close(self) -> None:
        self._client.close()


class AlertmanagerNotifier:
    """``POST {base}/api/v2/alerts`` with a JSON array of postable alerts."""

    receiver = "alertmanager"

    def __init__(self, base_url: str, *, timeout: float = 5.0, attempts: int = 3, max_seconds: float = 10.0,
                 client: httpx.Client | None = None) -> None:
        self._poster = _HttpPoster(base_url.rstrip("/") + "/api/v2/alerts", timeout=timeout,
                                   attempts=attempts, max_seconds=max_seconds, client=client)

    @property
    def url(self) -> str:
        return self._poster.url

    def send(self, notifications: Sequence[Notification]) -> None:
        if notifications:
            self._poster.post([n.body for n in notifications])

    def close(self) -> None:
        self._poster.close()


class WebhookNotifier:
    """``POST {url}`` with ``{"alerts": [...]}``, each alert with its ``status``."""

    receiver = "webhook"

    def __init__(self, url: str, *, timeout: float = 5.0, attempts: int = 3, max_seconds: float = 10.0,
                 client: httpx.Client | None = None) -> None:
        self._poster = _HttpPoster(url, timeout=timeout, attempts=attempts, max_seconds=max_seconds,
                                   client=client)

    @property
    def url(self) -> str:
        return self._poster.url

    def send(self, notifications: Sequence[Notification]) -> None:
        if notifications:
            self._poster.post({"alerts": [{**n.body, "status": n.status} for n in notifications]})

    def close(self) -> None:
        self._poster.close()
