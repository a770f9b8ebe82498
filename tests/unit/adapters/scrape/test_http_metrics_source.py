"""HttpMetricsSource against a real HTTP server on 127.0.0.1: bodies, encodings, failures, health."""

from __future__ import annotations

import gzip
import http.server
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from adapters.exposition.parser import ExpositionParser
from adapters.scrape.http_source import HttpMetricsSource
from application.ports.agent import MetricsSource, ScrapeError
from domain.agent.scrape_checks import ScrapeFailure

BODY = (
    "# TYPE otel_response_total counter\n"
    + "".join(f'otel_response_total{{pod="p{n}",status_code="200"}} {n}\n' for n in range(200))
    + 'otel_tcp_open_total{peer="src"} 5\n'
    + 'otel_response_latency_ms_bucket{le="+Inf"} 7\n'
).encode()
EXPECTED = [float(n) for n in range(200)] + [7.0]

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


def send(request: http.server.BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    request.send_response(status)
    request.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        request.send_header(name.replace("_", "-"), value)
    request.end_headers()
    request.wfile.write(body)


def plain(request: http.server.BaseHTTPRequestHandler) -> None:
    send(request, 200, BODY, Content_Type="text/plain; version=0.0.4")


def gzipped(request: http.server.BaseHTTPRequestHandler) -> None:
    if "gzip" not in request.headers.get("Accept-Encoding", ""):
        send(request, 406, b"gzip expected")
        return
    send(request, 200, gzip.compress(BODY), Content_Encoding="gzip")


def chunked(request: http.server.BaseHTTPRequestHandler) -> None:
    request.send_response(200)
    request.send_header("Transfer-Encoding", "chunked")
    request.end_headers()
    for start in range(0, len(BODY), 333):  # pieces cut in the middle of lines
        piece = BODY[start : start + 333]
        request.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        request.wfile.flush()
    request.wfile.write(b"0\r\n\r\n")


def server_error(request: http.server.BaseHTTPRequestHandler) -> None:
    send(request, 500, b"collector exploded")


def not_found(request: http.server.BaseHTTPRequestHandler) -> None:
    send(request, 404, b"no such path")


def silent(request: http.server.BaseHTTPRequestHandler) -> None:
    time.sleep(1.5)
    send(request, 200, BODY)


def trickle(request: http.server.BaseHTTPRequestHandler) -> None:
    # Each piece comes well within the read timeout, the whole takes longer than the scrape timeout.
    request.send_response(200)
    request.send_header("Content-Length", str(len(BODY)))
    request.end_headers()
    for start in range(0, len(BODY), 500):
        request.wfile.write(BODY[start : start + 500])
        request.wfile.flush()
        time.sleep(0.1)


def truncated(request: http.server.BaseHTTPRequestHandler) -> None:
    request.send_response(200)
    request.send_header("Content-Length", str(len(BODY) + 1000))
    request.end_headers()
    request.wfile.write(BODY[:1000])
    request.wfile.flush()
    request.close_connection = True


def truncated_chunked(request: http.server.BaseHTTPRequestHandler) -> None:
    request.send_response(200)
    request.send_header("Transfer-Encoding", "chunked")
    request.end_headers()
    request.wfile.write(f"{1000:x}\r\n".encode() + BODY[:1000] + b"\r\n")
    request.wfile.flush()
    request.close_connection = True


def broken_gzip(request: http.server.BaseHTTPRequestHandler) -> None:
    send(request, 200, b"\x1f\x8b\x08\x00not really gzip", Content_Encoding="gzip")


def protobuf(request: http.server.BaseHTTPRequestHandler) -> None:
    content_type = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily"
    send(request, 200, b"\x0a\x03abc", Content_Type=content_type)


def redirect(request: http.server.BaseHTTPRequestHandler) -> None:
    request.send_response(302)
    request.send_header("Location", "/plain")
    request.send_header("Content-Length", "0")
    request.end_headers()


def hang_up(request: http.server.BaseHTTPRequestHandler) -> None:
    request.close_connection = True  # no status line at all


def empty(request: http.server.BaseHTTPRequestHandler) -> None:
    send(request, 200, b"")


def health_ok(request: http.server.BaseHTTPRequestHandler) -> None:
    send(request, 200, b'{"status":"Server available"}')


def health_down(request: http.server.BaseHTTPRequestHandler) -> None:
    send(request, 503, b'{"status":"Server not available"}')


ROUTES: dict[str, Handler] = {
    "/plain": plain,
    "/gzip": gzipped,
    "/chunked": chunked,
    "/500": server_error,
    "/404": not_found,
    "/silent": silent,
    "/trickle": trickle,
    "/truncated": truncated,
    "/truncated-chunked": truncated_chunked,
    "/broken-gzip": broken_gzip,
    "/protobuf": protobuf,
    "/redirect": redirect,
    "/hang-up": hang_up,
    "/empty": empty,
    "/health": health_ok,
    "/health-down": health_down,
}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hanging up on purpose (timeouts, closed keep-alive connections) are not errors here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    class RequestHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            ROUTES[self.path](self)

        def log_message(self, *args: object) -> None:
            pass

    httpd = _Server(("127.0.0.1", 0), RequestHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def base(server: tuple[str, list[dict[str, str]]]) -> str:
    return server[0]


def source(
    url: str, timeout: float = 5.0, health: str | None = None, parser: ExpositionParser | None = None
) -> HttpMetricsSource:
    return HttpMetricsSource(url, health, timeout, parser or ExpositionParser("otel_"))


def scraped_values(metrics: HttpMetricsSource) -> list[float]:
    return [value for _, value in metrics.scrape().samples]


def test_it_is_a_metrics_source(base: str) -> None:
    metrics: MetricsSource = source(f"{base}/plain")
    assert metrics.healthy()


@pytest.mark.parametrize("path", ["/plain", "/gzip", "/chunked", "/redirect"])
def test_a_body_is_streamed_into_the_parser(base: str, path: str) -> None:
    with source(f"{base}{path}") as metrics:
        scrape = metrics.scrape()
    assert [value for _, value in scrape.samples] == EXPECTED
    assert scrape.stats.bytes_read == len(BODY)
    assert scrape.stats.unrelated_lines == 1


def test_gzip_is_asked_for_and_text_is_preferred(server: tuple[str, list[dict[str, str]]]) -> None:
    base, seen = server
    with source(f"{base}/gzip") as metrics:
        metrics.scrape()
    headers = [request for request in seen if request["path"] == "/gzip"][-1]
    assert "gzip" in headers["accept-encoding"]
    assert headers["accept"].startswith("text/plain;version=0.0.4")


def test_the_scrape_time_is_taken_when_the_request_starts(base: str) -> None:
    before = time.time()
    with source(f"{base}/plain") as metrics:
        scrape = metrics.scrape()
    assert before <= scrape.timestamp <= time.time()


@pytest.mark.parametrize(("path", "words"), [("/500", "HTTP 500"), ("/404", "HTTP 404")])
def test_an_error_status_is_a_scrape_error(base: str, path: str, words: str) -> None:
    with source(f"{base}{path}") as metrics, pytest.raises(ScrapeError, match=words):
        metrics.scrape()


def test_a_server_that_does_not_answer_in_time_is_a_scrape_error(base: str) -> None:
    with source(f"{base}/silent", timeout=0.3) as metrics, pytest.raises(ScrapeError, match="timed out"):
        metrics.scrape()


def test_a_body_slower_than_the_timeout_is_a_scrape_error(base: str) -> None:
    started = time.monotonic()
    with source(f"{base}/trickle", timeout=0.35) as metrics, pytest.raises(ScrapeError, match="longer than"):
        metrics.scrape()
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("path", ["/truncated", "/truncated-chunked"])
def test_a_body_cut_short_is_a_scrape_error(base: str, path: str) -> None:
    with source(f"{base}{path}") as metrics, pytest.raises(ScrapeError, match="broken off"):
        metrics.scrape()


def test_a_server_hanging_up_without_an_answer_is_a_scrape_error(base: str) -> None:
    with source(f"{base}/hang-up") as metrics, pytest.raises(ScrapeError, match="hang-up"):
        metrics.scrape()


def test_an_empty_body_is_an_empty_scrape(base: str) -> None:
    with source(f"{base}/empty") as metrics:
        scrape = metrics.scrape()
    assert scrape.samples == []
    assert scrape.stats.lines == 0


def test_a_body_that_cannot_be_decompressed_is_a_scrape_error(base: str) -> None:
    with source(f"{base}/broken-gzip") as metrics, pytest.raises(ScrapeError, match="decoded"):
        metrics.scrape()


def test_a_protobuf_answer_is_a_scrape_error(base: str) -> None:
    with source(f"{base}/protobuf") as metrics, pytest.raises(ScrapeError, match="protobuf"):
        metrics.scrape()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_connection_is_a_scrape_error() -> None:
    with source(f"http://127.0.0.1:{free_port()}/metrics") as metrics, pytest.raises(ScrapeError):
        metrics.scrape()


def test_a_malformed_url_is_a_scrape_error() -> None:
    with source("http://[not-a-host/metrics") as metrics, pytest.raises(ScrapeError):
        metrics.scrape()


def test_a_failed_scrape_leaves_the_parser_where_it_was(base: str) -> None:
    parser = ExpositionParser("otel_")
    good, broken = source(f"{base}/plain", parser=parser), source(f"{base}/truncated", parser=parser)
    first = good.scrape()
    with pytest.raises(ScrapeError):
        broken.scrape()
    second = good.scrape()
    assert all(a is b for (a, _), (b, _) in zip(first.samples, second.samples, strict=True))
    assert parser.remembered_series == len(EXPECTED)


@pytest.mark.parametrize(
    ("health", "timeout", "expected"),
    [("/health", 5.0, True), ("/health-down", 5.0, False), ("refused", 5.0, False), ("/silent", 0.2, False),
     (None, 5.0, True)],
)  # fmt: skip
def test_health(base: str, health: str | None, timeout: float, expected: bool) -> None:
    url = health and (f"http://127.0.0.1:{free_port()}/" if health == "refused" else base + health)
    with source(f"{base}/plain", health=url, timeout=timeout) as metrics:
        assert metrics.healthy() is expected


def test_a_non_positive_timeout_is_refused() -> None:
    with pytest.raises(ValueError, match="timeout"):
        HttpMetricsSource("http://127.0.0.1:1/metrics", None, 0, ExpositionParser())


@pytest.mark.parametrize(
    ("path", "timeout", "reason"),
    [("/500", 5.0, ScrapeFailure.HTTP), ("/silent", 0.3, ScrapeFailure.TIMEOUT),
     ("/trickle", 0.35, ScrapeFailure.TIMEOUT), ("/truncated", 5.0, ScrapeFailure.CONNECTION),
     ("/hang-up", 5.0, ScrapeFailure.CONNECTION), ("/broken-gzip", 5.0, ScrapeFailure.ENCODING),
     ("/protobuf", 5.0, ScrapeFailure.NOT_TEXT)],
)  # fmt: skip
def test_each_failure_carries_its_reason(base: str, path: str, timeout: float, reason: ScrapeFailure) -> None:
    with source(f"{base}{path}", timeout=timeout) as metrics, pytest.raises(ScrapeError) as failed:
        metrics.scrape()
    assert failed.value.reason is reason


def test_a_refused_connection_has_the_connection_reason() -> None:
    with source(f"http://127.0.0.1:{free_port()}/metrics") as metrics, pytest.raises(ScrapeError) as failed:
        metrics.scrape()
    assert failed.value.reason is ScrapeFailure.CONNECTION
