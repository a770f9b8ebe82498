"""The metrics endpoint over HTTP (``MetricsSource``): a streamed GET fed to the exposition parser.

The body is never held whole: the raw bytes are decompressed here
(``adapters.scrape.body``, within ``--max-scrape-bytes``) and handed to the
parser in pieces of bounded size as they arrive. Any answer that is not a
complete 2xx exposition (error status, timeout, refused connection, a
transfer cut short, a protobuf body, a body over the cap, a stack of
encodings) raises ``ScrapeError`` with its reason; the parser's cache only
moves on after a complete body it accepts, so a failed scrape changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import TracebackType

import httpx

from adapters.exposition.parser import ExpositionParser
from adapters.scrape.body import BodyRefused, BoundedBody, content_coding
from application.ports.agent import ScrapeError
from domain.agent.scrape_checks import DEFAULT_MAX_SCRAPE_BYTES, ScrapeFailure
from domain.series import Scrape

# Text 0.0.4 first: it is what every exporter speaks and has no per-sample _created noise.
ACCEPT = "text/plain;version=0.0.4;q=1.0,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1"
_HEADERS = {"Accept": ACCEPT, "Accept-Encoding": "gzip"}


class _Deadline(Exception):
    pass


class HttpMetricsSource:
    """Scrapes ``metrics_url``.

    ``timeout`` bounds each network wait (connect, every read) and the whole
    scrape: the deadline is checked before each decompressed piece goes to the
    parser and once more after the last, so neither a trickling body, nor one
    chunk that inflates hugely, nor a long parse runs more than one piece past
    it; a stalled read ends after at most one more read timeout. The
    decompressed size of a body is in ``Scrape.stats.bytes_read``, at most ``max_bytes``.
    """

    def __init__(
        self,
        metrics_url: str,
        health_url: str | None,
        timeout: float,
        parser: ExpositionParser,
        client: httpx.Client | None = None,
        max_bytes: int = DEFAULT_MAX_SCRAPE_BYTES,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"scrape timeout must be positive, got {timeout}")
        if max_bytes <= 0:
            raise ValueError(f"max scrape bytes must be positive, got {max_bytes}")
        self._max_bytes = max_bytes
        self._metrics_url = metrics_url
        self._health_url = health_url
        self._timeout = timeout
        self._parser = parser
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout)

    def scrape(self) -> Scrape:
        taken_at = time.time()
        deadline = time.monotonic() + self._timeout
        url = self._metrics_url
        try:
            with self._client.stream(
                "GET", url, headers=_HEADERS, timeout=self._timeout, follow_redirects=True
            ) as response:
                body = self._check(response)
                return self._parser.parse(self._pieces(response, body, deadline), timestamp=taken_at)
        except _Deadline:
            raise ScrapeError(
                f"scrape of {url} took longer than the scrape timeout of {self._timeout:g}s "
                "(transfer, decompression and parsing; a large cold parse needs a longer --scrape-timeout)",
                ScrapeFailure.TIMEOUT,
            ) from None
        except BodyRefused as error:
            raise ScrapeError(f"scrape of {url}: {error}", error.reason) from None
        except ScrapeError as error:  # the parser's refusals, which do not know the URL
            raise ScrapeError(f"scrape of {url}: {error}", error.reason) from None
        except httpx.TimeoutException as error:
            raise ScrapeError(
                f"scrape of {url} timed out after {self._timeout:g}s ({type(error).__name__})",
                ScrapeFailure.TIMEOUT,
            ) from error
        except httpx.RemoteProtocolError as error:
            raise ScrapeError(f"scrape of {url} broken off: {error}", ScrapeFailure.CONNECTION) from error
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise ScrapeError(
                f"scrape of {url} failed: {type(error).__name__}: {error}", ScrapeFailure.CONNECTION
            ) from error

    @property
    def max_bytes(self) -> int:
        """The largest body read, once decompressed."""
        return self._max_bytes

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

    def _check(self, response: httpx.Response) -> BoundedBody:
        """What the headers already tell: refused before any of the body is read."""
        if not response.is_success:
            reason = response.reason_phrase or "error"
            raise BodyRefused(f"answered HTTP {response.status_code} {reason}", ScrapeFailure.HTTP)
        content_type = response.headers.get("content-type", "")
        if "protobuf" in content_type:
            raise BodyRefused(
                f"answered {content_type!r}; only text formats are read", ScrapeFailure.NOT_TEXT
            )
        coding = content_coding(response.headers.get_list("content-encoding", split_commas=True))
        length = response.headers.get("content-length", "")
        if coding is None and length.isdigit() and int(length) > self._max_bytes:
            raise BodyRefused(
                f"body of {int(length):,} bytes is larger than {self._max_bytes:,} (--max-scrape-bytes)",
                ScrapeFailure.TOO_LARGE,
            )
        return BoundedBody(coding, self._max_bytes)

    @staticmethod
    def _pieces(response: httpx.Response, body: BoundedBody, deadline: float) -> Iterator[bytes]:
        """The decompressed body; the deadline is checked as each raw chunk arrives (a compressed
        stream of empty blocks yields no piece at all), before each piece and after the last, so
        the parser never works on more than one piece past it."""
        for chunk in response.iter_raw():
            if time.monotonic() > deadline:
                raise _Deadline
            for piece in body.pieces(chunk):
                if time.monotonic() > deadline:
                    raise _Deadline
                yield piece
        body.finish()
        if time.monotonic() > deadline:
            raise _Deadline
