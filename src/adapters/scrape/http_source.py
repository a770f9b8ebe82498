"""The metrics endpoint over HTTP (``MetricsSource``): a streamed GET fed to the exposition parser.

The body is never held whole: httpx hands over decompressed chunks as they
arrive and the parser consumes them line by line. Any answer that is not a
complete 2xx exposition (error status, timeout, refused connection, a
transfer cut short, a protobuf body) raises ``ScrapeError``; the parser's
cache only moves on after a complete body, so a failed scrape changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import TracebackType

import httpx

from adapters.exposition.parser import ExpositionParser
from application.ports.agent import ScrapeError
from domain.series import Scrape

# Text 0.0.4 first: it is what every exporter speaks and has no per-sample _created noise.
ACCEPT = "text/plain;version=0.0.4;q=1.0,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1"
_HEADERS = {"Accept": ACCEPT, "Accept-Encoding": "gzip"}


class _Deadline(Exception):
    pass


class HttpMetricsSource:
    """Scrapes ``metrics_url``.

    ``timeout`` bounds each network wait (connect, every read) and, checked as
    each chunk arrives, the whole transfer: a body that trickles in is cut once
    the scrape has taken longer than ``timeout``, a stalled one after at most
    one more read timeout. The decompressed size of a body is in ``Scrape.stats.bytes_read``.
    """

    def __init__(
        self,
        metrics_url: str,
        health_url: str | None,
        timeout: float,
        parser: ExpositionParser,
        client: httpx.Client | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"scrape timeout must be positive, got {timeout}")
        self._metrics_url = metrics_url
        self._health_url = health_url
        self._timeout = timeout
        self._parser = parser
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout)

    def scrape(self) -> Scrape:
        taken_at = time.time()
        deadline = time.monotonic() + self._timeout
        try:
            with self._client.stream(
                "GET", self._metrics_url, headers=_HEADERS, timeout=self._timeout, follow_redirects=True
            ) as response:
                self._check(response)
                return self._parser.parse(self._body(response, deadline), timestamp=taken_at)
        except _Deadline:
            raise ScrapeError(
                f"scrape of {self._metrics_url} took longer than {self._timeout:g}s; body not complete"
            ) from None
        except httpx.TimeoutException as error:
            raise ScrapeError(
                f"scrape of {self._metrics_url} timed out after {self._timeout:g}s ({type(error).__name__})"
            ) from error
        except httpx.RemoteProtocolError as error:
            raise ScrapeError(f"scrape of {self._metrics_url} broken off: {error}") from error
        except httpx.DecodingError as error:
            raise ScrapeError(f"scrape of {self._metrics_url}: body cannot be decoded: {error}") from error
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise ScrapeError(
                f"scrape of {self._metrics_url} failed: {type(error).__name__}: {error}"
            ) from error

    def healthy(self) -> bool:
        if self._health_url is None:
            return True
        try:
            response = self._client.get(self._health_url, timeout=self._timeout)
        except (httpx.HTTPError, httpx.InvalidURL):
            return False
        return response.is_success

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> HttpMetricsSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _check(self, response: httpx.Response) -> None:
        if not response.is_success:
            reason = response.reason_phrase or "error"
            raise ScrapeError(f"scrape of {self._metrics_url} answered HTTP {response.status_code} {reason}")
        content_type = response.headers.get("content-type", "")
        if "protobuf" in content_type:
            raise ScrapeError(
                f"scrape of {self._metrics_url} answered {content_type!r}; only text formats are read"
            )

    @staticmethod
    def _body(response: httpx.Response, deadline: float) -> Iterator[bytes]:
        for chunk in response.iter_bytes():
            if time.monotonic() > deadline:
                raise _Deadline
            yield chunk
