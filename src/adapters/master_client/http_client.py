"""``MasterClient`` over HTTP: POST /agent/snapshot with retries (SPEC §2.5)."""

from __future__ import annotations

import gzip
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    stop_when_event_set,
    wait_exponential,
    wait_random,
)

from adapters.master_client.snapshot_json import snapshot_json
from application.ports.agent import AlreadyStored, DeliveryError, SnapshotTooLarge
from domain.contract import SLOSnapshot

log = logging.getLogger(__name__)

SNAPSHOT_PATH = "/agent/snapshot"
# 408 and 429 say "try again later"; every other 4xx says the snapshot itself is wrong.
RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})
# Refusals that say nothing about the snapshot and would refuse every one the
# same way (wrong token, cluster not allowed, wrong URL): retrying at once is
# pointless, but dropping would throw away every interval until an operator
# fixes the configuration. They are reported as retryable so the snapshot
# waits in the spool (in order, within its bound) and goes out once fixed.
SYSTEMIC_CLIENT_STATUSES = frozenset({401, 403, 404})
# The window overlaps windows the master stored: those seconds are counted already.
ALREADY_STORED_STATUS = 409
MAX_MESSAGE_CHARS = 500
# The master (uvicorn, 5 s by default) closes a keep-alive connection idle for its
# timeout. Dropping ours well before means the pool never hands out one the master
# is closing at that very moment.
KEEPALIVE_EXPIRY = 2.0
# How a request on a connection the master has just closed fails: no answer, a reset.
STALE_CONNECTION_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
# Measured on a 2,000-pod snapshot (708 KiB of JSON, benchmarks/snapshot_gzip.py): level 1
# gives 112 KiB in 5 ms of CPU, level 6 84 KiB in 12 ms, level 9 80 KiB in 34 ms. Level 6 is
# a quarter smaller than 1 for 7 ms more per interval (0.6 % of that cycle's 1.1 s of CPU,
# 0.02 % of a core at 30 s); 9 triples the time for 5 % less. Inflating costs the master about
# 2 ms at any level. Too small a difference to be worth a setting.
GZIP_LEVEL = 6
# The master's default --max-body, which limits the decompressed body.
DEFAULT_MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024
# Why a snapshot over the limit is dropped rather than split: parts would need a multi-part
# interval protocol (the master storing several bodies as one window, atomically, and knowing
# when the last has come). A 2,000-pod mesh makes about 0.8 MiB of JSON, so the 8 MiB default
# fits some 20,000 pods; past that, raising both limits is the answer.


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on one delivery: attempts, backoff and total time spent retrying."""

    max_attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    jitter: float = 0.5
    deadline: float = 20.0

    @classmethod
    def for_interval(cls, interval: float) -> RetryPolicy:
        """Retry for at most half an interval, so a dead master never stalls the schedule."""
        deadline = max(0.1, min(20.0, interval / 2))
        return cls(initial_backoff=min(0.5, deadline / 4), deadline=deadline)


class _RefusedAsTooLarge(Exception):
    """The master answered 413: its --max-body is below this snapshot."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Retryable(Exception):
    """An attempt that may succeed if repeated; carries the error to report at the end."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_retryable_status(status: int) -> bool:
    return status >= 500 or status in RETRYABLE_CLIENT_STATUSES


def master_message(response: httpx.Response) -> str:
    """The master's own words about a refusal: FastAPI's ``detail`` when there is one."""
    text = response.text
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        text = detail if isinstance(detail, str) else json.dumps(detail, separators=(",", ":"))
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + "…"
    return f"HTTP {response.status_code}: {text}" if text else f"HTTP {response.status_code}"


class HttpMasterClient:
    """Sends snapshots to ``{master_url}/agent/snapshot`` with a bearer token.

    Connection errors, timeouts, 5xx, 408 and 429 are retried with exponential
    backoff and jitter within ``policy``; when the budget is spent the error is
    a retryable ``DeliveryError``. 401, 403 and 404 are raised at once, still
    retryable (see SYSTEMIC_CLIENT_STATUSES). 409 (the window overlaps stored ones) is
    ``AlreadyStored``, at once. A snapshot whose JSON is over ``max_snapshot_bytes`` is
    never posted, and a 413 is never retried: both raise ``SnapshotTooLarge``. Any other
    4xx is raised at once as non-retryable with the master's message. Any 2xx is success,
    including the master's answer to a re-sent snapshot it already stored. A reused
    keep-alive connection found closed is retried at once on a new one, uncounted (see
    ``_post``). Bodies go out gzipped, compressed once per ``send`` however many attempts it takes.
    """

    def __init__(
        self,
        master_url: str,
        token: str | None,
        timeout: float,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], object] | None = None,
        interrupt: threading.Event | None = None,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
        max_snapshot_bytes: int = DEFAULT_MAX_SNAPSHOT_BYTES,
    ) -> None:
        if max_snapshot_bytes < 1:
            raise ValueError(f"max_snapshot_bytes must be at least 1, got {max_snapshot_bytes}")
        self._url = master_url.rstrip("/") + SNAPSHOT_PATH
        self._max_snapshot_bytes = max_snapshot_bytes
        self._policy = policy or RetryPolicy()
        # A stop request (SIGTERM) cuts the backoff short: the snapshot goes to the spool
        # instead of holding up the shutdown.
        self._interrupt = interrupt
        self._sleep = sleep if sleep is not None else (interrupt.wait if interrupt is not None else None)
        headers = {
            "Content-Type": "application/json", "Content-Encoding": "gzip", "User-Agent": "meshslo-agent",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            headers=headers, timeout=timeout, transport=transport,
            limits=httpx.Limits(keepalive_expiry=keepalive_expiry),
        )
        self._answered = False  # a response came back since the last failure: its connection is pooled

    @property
    def url(self) -> str:
        return self._url

    def close(self) -> None:
        self._http.close()

    @property
    def max_snapshot_bytes(self) -> int:
        return self._max_snapshot_bytes

    def check_size(self, snapshot: SLOSnapshot) -> None:
        # The JSON is encoded once per snapshot (snapshot_json), so this costs a length.
        size = len(snapshot_json(snapshot))
        if size > self._max_snapshot_bytes:
            raise SnapshotTooLarge(
                f"snapshot is {size:,} bytes of JSON, over this agent's limit of "
                f"{self._max_snapshot_bytes:,} bytes; to send snapshots this large raise "
                "--max-snapshot-bytes (MESHSLO_MAX_SNAPSHOT_BYTES) and the master's --max-body"
            )

    def send(self, snapshot: SLOSnapshot) -> None:
        self.check_size(snapshot)
        encoded = snapshot_json(snapshot)
        body = gzip.compress(encoded, compresslevel=GZIP_LEVEL, mtime=0)
        policy = self._policy
        stop = stop_after_attempt(policy.max_attempts) | stop_before_delay(policy.deadline)
        if self._interrupt is not None:
            stop = stop | stop_when_event_set(self._interrupt)
        retrying = Retrying(
            stop=stop,
            # Exponential backoff plus up to ``jitter`` seconds, so that agents of many
            # clusters do not come back to a recovering master in lockstep.
            wait=wait_exponential(multiplier=policy.initial_backoff, max=policy.max_backoff)
            + wait_random(0, policy.jitter),
            retry=retry_if_exception(lambda error: isinstance(error, _Retryable)),
            before_sleep=self._log_retry,
            reraise=True,
            **({"sleep": self._sleep} if self._sleep is not None else {}),
        )
        try:
            retrying(self._attempt, body)
        except _Retryable as error:
            message = f"master at {self._url} unavailable: {error.message}"
            raise DeliveryError(message, retryable=True) from None
        except _RefusedAsTooLarge as error:
            raise SnapshotTooLarge(
                f"master at {self._url} refuses a snapshot of {len(encoded):,} bytes of JSON as too "
                f"large ({error.message}); raise the master's --max-body, and keep this agent's "
                f"--max-snapshot-bytes ({self._max_snapshot_bytes:,}) at most that"
            ) from None

    def _attempt(self, body: bytes) -> None:
        try:
            response = self._post(body)
        except httpx.TimeoutException as error:
            raise _Retryable(f"timed out ({type(error).__name__})") from error
        except httpx.HTTPError as error:
            raise _Retryable(f"{type(error).__name__}: {error}") from error
        if response.is_success:
            return
        message = master_message(response)
        if response.status_code == 413:
            raise _RefusedAsTooLarge(message)
        if response.status_code == ALREADY_STORED_STATUS:
            raise AlreadyStored(f"master at {self._url} already has this interval ({message})")
        if is_retryable_status(response.status_code):
            raise _Retryable(message)
        if response.is_redirect:
            # A POST is not followed blindly across a redirect; the URL is what needs fixing.
            location = response.headers.get("location", "?")
            raise DeliveryError(
                f"master at {self._url} redirects to {location} (HTTP {response.status_code}); "
                "set --master-url to the final address. Snapshots are kept meanwhile",
                retryable=True,
            )
        if response.status_code in SYSTEMIC_CLIENT_STATUSES:
            raise DeliveryError(
                f"master at {self._url} refuses this agent ({message}); check --master-url, "
                "--ingest-token and the master's --allowed-clusters. Snapshots are kept meanwhile",
                retryable=True,
            )
        raise DeliveryError(f"master at {self._url} refused the snapshot: {message}", retryable=False)

    def _post(self, body: bytes) -> httpx.Response:
        """POST once; if a reused keep-alive connection turns out closed by the master, POST
        again at once on a new one, outside the retry budget. That is the pool's race with
        the master's keep-alive timeout, not the master failing; and should the first
        request have been stored after all, the master ignores the repeat (idempotent)."""
        connected: list[str] = []

        # httpcore reports each new connection through the trace extension: none seen
        # means the request went out on a pooled one.
        def trace(event: str, info: dict[str, object]) -> None:
            if event.startswith("connection.connect_"):
                connected.append(event)

        reused = self._answered
        self._answered = False
        try:
            response = self._http.post(self._url, content=body, extensions={"trace": trace})
        except STALE_CONNECTION_ERRORS as error:
            if not reused or connected:  # a new connection failed: a real failure
                raise
            log.debug("reused connection to the master was closed (%s: %s); sending again on a new one",
                      type(error).__name__, error)
            response = self._http.post(self._url, content=body)
        self._answered = True
        return response

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info("delivery attempt %d failed (%s); retrying in %.2fs", state.attempt_number, error, wait)
