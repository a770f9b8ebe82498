"""HttpMasterClient: what is sent, and which answers are retried."""

from __future__ import annotations

import gzip
import json
import threading
import time

import httpx
import pytest
from tests.unit.application.agent.delivery_fakes import make_snapshot

from adapters.master_client.http_client import HttpMasterClient, RetryPolicy
from application.ports.agent import AlreadyStored, DeliveryError
from domain.contract import SLOSnapshot

FAST = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05, jitter=0.01, deadline=60)


class Script:
    """A mock master answering from a list (the last answer repeats)."""

    def __init__(self, *answers: int | Exception | tuple[int, str]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, tuple):
            return httpx.Response(answer[0], text=answer[1])
        return httpx.Response(answer, json={"status": "stored"} if answer < 300 else {"detail": "nope"})


def client_for(script: Script, token: str | None = "s3cret", policy: RetryPolicy = FAST):
    sleeps: list[float] = []
    client = HttpMasterClient(
        "http://master.example:8080/", token, timeout=1.0, policy=policy,
        transport=httpx.MockTransport(script), sleep=sleeps.append,
    )
    return client, sleeps


def test_posts_the_snapshot_json_gzipped_with_the_bearer_token() -> None:
    script = Script(200)
    client, sleeps = client_for(script)
    snapshot = make_snapshot(1_764_000_030, delta=7)
    client.send(snapshot)
    [request] = script.requests
    assert request.method == "POST"
    assert str(request.url) == "http://master.example:8080/agent/snapshot"
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(request.content)
    assert SLOSnapshot.model_validate_json(body) == snapshot
    assert json.loads(body)["slo_data"]["timestamp"] == 1_764_000_030
    assert sleeps == []


def test_no_authorization_header_without_a_token() -> None:
    script = Script(202)
    client, _ = client_for(script, token=None)
    client.send(make_snapshot(100))
    assert "Authorization" not in script.requests[0].headers


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_is_success(status: int) -> None:
    script = Script(status)
    client, _ = client_for(script)
    client.send(make_snapshot(100))
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [500, 502, 503, 504, 408, 429, httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
     httpx.RemoteProtocolError("reset")],
    ids=str,
)
def test_retryable_failures_are_retried_until_success(failure: int | Exception) -> None:
    script = Script(failure, failure, 200)
    client, sleeps = client_for(script)
    client.send(make_snapshot(100))
    assert len(script.requests) == 3
    assert len(sleeps) == 2
    # Exponential: the second pause is longer than the first before jitter is added.
    assert 0.01 <= sleeps[0] <= 0.02 and sleeps[1] >= 0.02


@pytest.mark.parametrize("failure", [503, 429, httpx.ConnectError("refused")], ids=str)
def test_retryable_failure_that_persists_is_a_retryable_delivery_error(failure: int | Exception) -> None:
    script = Script(failure)
    client, sleeps = client_for(script)
    with pytest.raises(DeliveryError) as caught:
        client.send(make_snapshot(100))
    assert caught.value.retryable is True
    assert len(script.requests) == FAST.max_attempts
    assert len(sleeps) == FAST.max_attempts - 1
    assert all(pause <= FAST.max_backoff + FAST.jitter for pause in sleeps)


@pytest.mark.parametrize("status", [400, 413, 422])
def test_other_4xx_fail_at_once_with_the_masters_message(status: int) -> None:
    script = Script((status, json.dumps({"detail": "slo_data.window_start: must be before timestamp"})))
    client, sleeps = client_for(script)
    with pytest.raises(DeliveryError) as caught:
        client.send(make_snapshot(100))
    assert caught.value.retryable is False
    assert len(script.requests) == 1 and sleeps == []
    assert f"HTTP {status}" in str(caught.value)
    assert "slo_data.window_start: must be before timestamp" in str(caught.value)


def test_409_is_already_stored_at_once_with_the_masters_message() -> None:
    detail = "window (70, 100] overlaps the stored window (60, 90] of cluster c1"
    script = Script((409, json.dumps({"detail": detail})))
    client, sleeps = client_for(script)
    with pytest.raises(AlreadyStored) as caught:
        client.send(make_snapshot(100))
    assert not isinstance(caught.value, DeliveryError)  # not a failure: nothing to retry or keep
    assert len(script.requests) == 1 and sleeps == []
    assert str(caught.value) == (
        f"master at http://master.example:8080/agent/snapshot already has this interval (HTTP 409: {detail})"
    )


@pytest.mark.parametrize("status", [401, 403, 404])
def test_refusals_of_the_agent_itself_are_not_retried_now_but_keep_the_snapshot(status: int) -> None:
    script = Script((status, json.dumps({"detail": "missing or wrong ingest token"})))
    client, sleeps = client_for(script)
    with pytest.raises(DeliveryError) as caught:
        client.send(make_snapshot(100))
    assert len(script.requests) == 1 and sleeps == []
    assert caught.value.retryable is True  # kept in the spool until the configuration is fixed
    assert f"HTTP {status}" in str(caught.value) and "--ingest-token" in str(caught.value)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_keeps_the_snapshot_and_names_the_new_address(status: int) -> None:
    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Location": "https://master.example/agent/snapshot"})

    client = HttpMasterClient("http://master.example", None, timeout=1.0, policy=FAST,
                              transport=httpx.MockTransport(redirect), sleep=lambda _: None)
    with pytest.raises(DeliveryError, match=r"redirects to https://master\.example/agent/snapshot") as caught:
        client.send(make_snapshot(100))
    assert caught.value.retryable is True


def test_an_unexpected_transport_failure_is_retryable() -> None:
    client, _ = client_for(Script(httpx.DecodingError("garbled")))
    with pytest.raises(DeliveryError) as caught:
        client.send(make_snapshot(100))
    assert caught.value.retryable is True


def test_structured_detail_and_plain_text_messages_are_reported() -> None:
    detail = [{"loc": ["body", "cluster_id"], "msg": "String should match pattern"}]
    client, _ = client_for(Script((422, json.dumps({"detail": detail}))))
    with pytest.raises(DeliveryError, match=r"cluster_id.*String should match pattern"):
        client.send(make_snapshot(100))
    client, _ = client_for(Script((413, "body too large\n")))
    with pytest.raises(DeliveryError, match="HTTP 413: body too large"):
        client.send(make_snapshot(100))


def test_time_budget_bounds_retries_even_with_attempts_left() -> None:
    policy = RetryPolicy(max_attempts=1000, initial_backoff=0.01, max_backoff=0.01, jitter=0.0, deadline=0.2)
    script = Script(503)
    client = HttpMasterClient(
        "http://m", None, timeout=1.0, policy=policy, transport=httpx.MockTransport(script)
    )
    with pytest.raises(DeliveryError):
        client.send(make_snapshot(100))
    # Real sleeps of 10 ms within a 200 ms budget: far fewer than the attempt bound.
    assert 2 <= len(script.requests) <= 25


def test_a_stop_request_cuts_the_retries_short() -> None:
    interrupt = threading.Event()
    script = Script(503)
    slow = RetryPolicy(max_attempts=50, initial_backoff=5.0, max_backoff=5.0, jitter=0.0, deadline=600)
    client = HttpMasterClient("http://m", None, timeout=1.0, policy=slow,
                              transport=httpx.MockTransport(script), interrupt=interrupt)
    threading.Timer(0.3, interrupt.set).start()
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        client.send(make_snapshot(100))
    assert caught.value.retryable is True
    assert time.monotonic() - started < 3.0  # not the 5 s pause, let alone 50 attempts
    assert len(script.requests) <= 2


def test_policy_for_interval_keeps_retries_within_half_an_interval() -> None:
    assert RetryPolicy.for_interval(1.0).deadline == pytest.approx(0.5)
    assert RetryPolicy.for_interval(30.0).deadline == pytest.approx(15.0)
    assert RetryPolicy.for_interval(600.0).deadline == pytest.approx(20.0)
    assert RetryPolicy.for_interval(1.0).initial_backoff <= 0.125
