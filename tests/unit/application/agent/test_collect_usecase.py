"""The collect use case's cycle: windows, failed scrapes, state, routes (SPEC §2.3, §1.3)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.domain.agent.samples import FakeMetricsSource, scrape, series

from application.agent.collect import CollectOptions, CollectUseCase
from application.ports.agent import ScrapeError
from domain.contract import Route
from domain.series import Scrape, Series

OPTIONS = CollectOptions(cluster_id="c1")
WEB = {"namespace": "shop", "deployment": "web", "direction": "inbound", "classification": "success"}


def ok(pod: str, code: str = "200") -> Series:
    return series("response_total", pod=pod, status_code=code, **WEB)


class FakeRoutes:
    def __init__(self, *answers: list[Route] | Exception) -> None:
        self._answers = list(answers)

    def routes(self) -> list[Route]:
        answer = self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def use_case(*results: Scrape | Exception, routes: FakeRoutes | None = None) -> CollectUseCase:
    return CollectUseCase(FakeMetricsSource(*results), routes or FakeRoutes([]), OPTIONS)


def total(data: object) -> int:
    return sum(service.total_request_delta for service in data.services)  # type: ignore[attr-defined]


def test_first_scrape_only_remembers_then_window_is_previous_good_scrape() -> None:
    collect = use_case(scrape(100.7, [(ok("a"), 10.0)]), scrape(130.2, [(ok("a"), 25.0)]))
    first = collect.run()
    assert first.data is None
    assert first.stats.first_sightings == 1
    second = collect.run().data
    assert second is not None
    assert (second.window_start, second.timestamp) == (100, 130)
    assert total(second) == 15


def test_failed_scrape_changes_nothing_and_the_next_delta_covers_the_gap() -> None:
    collect = use_case(
        scrape(100, [(ok("a"), 10.0)]),
        ScrapeError("connection refused"),
        scrape(160, [(ok("a"), 40.0)]),
    )
    collect.run()
    before = collect.export_state()
    with pytest.raises(ScrapeError):
        collect.run()
    assert collect.export_state() == before
    data = collect.run().data
    assert data is not None
    assert (data.window_start, data.timestamp, total(data)) == (100, 160, 30)


def test_two_scrapes_in_the_same_second_send_nothing_and_lose_nothing() -> None:
    collect = use_case(
        scrape(100.1, [(ok("a"), 10.0)]),
        scrape(130.2, [(ok("a"), 12.0)]),
        scrape(130.9, [(ok("a"), 15.0)]),
        scrape(160.0, [(ok("a"), 20.0)]),
    )
    collect.run()
    assert total(collect.run().data) == 2
    same_second = collect.run()
    assert same_second.data is None
    assert same_second.stats.no_data_reason
    data = collect.run().data
    assert (data.window_start, data.timestamp, total(data)) == (130, 160, 8)  # type: ignore[union-attr]


def test_clock_going_backwards_is_not_an_interval() -> None:
    collect = use_case(
        scrape(200, [(ok("a"), 1.0)]), scrape(150, [(ok("a"), 5.0)]), scrape(230, [(ok("a"), 9.0)])
    )
    collect.run()
    assert collect.run().data is None
    data = collect.run().data
    assert (data.window_start, data.timestamp, total(data)) == (200, 230, 8)  # type: ignore[union-attr]


def test_state_survives_a_restart() -> None:
    collect = use_case(
        scrape(100, [(ok("a"), 10.0), (ok("b"), 3.0)]), scrape(130, [(ok("a"), 12.0), (ok("b"), 3.0)])
    )
    assert collect.last_scrape_time is None
    collect.run()
    collect.run()
    assert collect.last_scrape_time == 130.0  # the time the state's counters were read
    state = collect.export_state()
    restarted = use_case(scrape(160, [(ok("a"), 20.0), (ok("b"), 1.0)]))
    restarted.restore_state(state)
    assert restarted.last_scrape_time == 130.0
    data = restarted.run().data
    assert data is not None
    # a: 12 → 20; b restarted: 3 → 1 counts 1.
    assert (data.window_start, data.timestamp, total(data)) == (130, 160, 9)


def test_state_is_json_serialisable_and_bad_states_are_refused() -> None:
    import json

    collect = use_case(scrape(100, [(ok("a"), 10.0)]))
    collect.run()
    state = json.loads(json.dumps(collect.export_state()))
    assert state["last_timestamp"] == 100
    for bad in ({}, {"version": 99, "counters": {}}, {"version": 1, "counters": []},
                {"version": 1, "counters": {}, "last_timestamp": "100"}):
        with pytest.raises(ValueError):
            collect.restore_state(bad)


def test_routes_failure_keeps_the_last_good_routes_and_is_reported() -> None:
    route = Route(name="web", namespace="shop", domain="shop.example.com", service_key="shop-web-80",
                  service_name="web", service_port=80, tls=True)
    routes = FakeRoutes([route], RuntimeError("API down"), [])
    collect = use_case(*(scrape(100 + 30 * i, [(ok("a"), 10.0 + i)]) for i in range(4)), routes=routes)
    collect.run()
    assert collect.run().data.routes == [route]  # type: ignore[union-attr]
    failed = collect.run()
    assert failed.data is not None and failed.data.routes == [route]
    assert failed.stats.routes_error == "RuntimeError: API down"
    recovered = collect.run()
    assert recovered.data.routes == [] and recovered.stats.routes_error is None  # type: ignore[union-attr]


def test_stats_count_series_by_reason() -> None:
    samples = [
        (ok("a"), 10.0),
        (series("response_total", pod="a", route_name="probe", **WEB), 4.0),
        (series("response_total", pod="a", srv_port="4191", **WEB), 4.0),
        (series("response_total", pod="a", **{**WEB, "namespace": "linkerd"}), 4.0),
        (series("response_total", pod="a", namespace="shop", direction="inbound"), 4.0),
        (series("nginx_ingress_controller_requests", namespace="", service="", status="404"), 1.0),
        (ok("nan"), float("nan")),
    ]
    collect = use_case(scrape(100, samples), scrape(130, samples))
    collect.run()
    stats = collect.run().stats
    assert stats.filtered == {"probe": 1, "admin_port": 1, "excluded_namespace": 1}
    assert stats.skipped == {"no_workload": 1, "no_backend_key": 1}
    assert stats.series_kept == 2  # ok("a") and the NaN series (dropped by the delta stage)
    assert stats.invalid_values == 1
    assert stats.deltas_emitted == 2  # ok("a") and the probe counter
    assert stats.series_dropped == 5


def test_empty_interval_is_a_valid_snapshot_without_items() -> None:
    collect = use_case(scrape(100, [(ok("a"), 10.0)]), scrape(130, [(ok("a"), 10.0)]))
    collect.run()
    data = collect.run().data
    assert data is not None
    assert (data.services, data.edges, data.ingress) == ([], [], [])


def test_a_scrape_without_samples_forgets_everything() -> None:
    collect = use_case(scrape(100, [(ok("a"), 10.0)]), scrape(130, []), scrape(160, [(ok("a"), 50.0)]),
                       scrape(190, [(ok("a"), 55.0)]))
    collect.run()
    collect.run()
    assert collect.run().data.services == []  # type: ignore[union-attr]
    assert total(collect.run().data) == 5


def test_series_churn_that_empties_the_role_cache_loses_nothing() -> None:
    # A big scrape then a small one: the role cache is pruned, the small scrape's deltas still count.
    many = [(ok(f"pod-{index}"), 1.0) for index in range(3000)]
    collect = use_case(
        scrape(100, many), scrape(130, [(ok("pod-1"), 4.0)]), scrape(160, [(ok("pod-1"), 6.0)])
    )
    collect.run()
    assert total(collect.run().data) == 3
    assert total(collect.run().data) == 2


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_failed_and_same_second_scrapes_lose_nothing(data: st.DataObject) -> None:
    """Whatever mix of good, failed and same-second scrapes: the snapshots tile time without gaps or
    overlaps, and each one holds the growth since the previous snapshot's scrape, the discarded
    scrapes in between included."""
    parts = [ok(f"pod-{index}") for index in range(3)]
    values = [float(data.draw(st.integers(0, 100))) for _ in parts]
    observed = list(values)  # what the previous snapshot's scrape saw
    now = 1000.0
    source = FakeMetricsSource(scrape(now, list(zip(parts, values, strict=True))))
    collect = CollectUseCase(source, FakeRoutes([]), OPTIONS)
    collect.run()
    windows: list[tuple[int, int]] = []
    for _ in range(data.draw(st.integers(1, 12))):
        event = data.draw(st.sampled_from(["good", "good", "failed", "same_second"]))
        if event == "failed":
            source.push(ScrapeError("timeout"))
            with pytest.raises(ScrapeError):
                collect.run()
            continue
        advances = event == "good"
        now = float(int(now) + data.draw(st.integers(1, 60))) if advances else int(now) + 0.5
        expected = 0.0
        for index in range(len(values)):
            # A restart is observable when the counter comes back below what was last seen.
            if advances and observed[index] > 0 and data.draw(st.booleans()):
                values[index] = float(data.draw(st.integers(0, int(observed[index]) - 1)))
                expected += values[index]
            else:
                values[index] += data.draw(st.integers(0, 30))
                expected += values[index] - observed[index]
        source.push(scrape(now, list(zip(parts, values, strict=True))))
        result = collect.run()
        if not advances:
            assert result.data is None
            continue
        assert result.data is not None
        windows.append((result.data.window_start, result.data.timestamp))
        assert sum(s.total_request_delta for s in result.data.services) == expected
        observed = list(values)
    assert all(earlier[1] == later[0] for earlier, later in itertools.pairwise(windows))


class ScrapeAtClock:
    """A metrics source whose scrapes are taken at the (fake) clock's time."""

    def __init__(self) -> None:
        self.now = 5000.2
        self.value = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def scrape(self) -> Scrape:
        self.value += 7
        return scrape(self.now, [(ok("pod-1"), self.value)])

    def healthy(self) -> bool:
        return True


def test_a_cycle_in_the_same_second_waits_for_the_next_one_instead_of_discarding_its_scrape() -> None:
    source = ScrapeAtClock()
    collect = CollectUseCase(source, FakeRoutes([]), OPTIONS, clock=source.clock, sleep=source.sleep)
    collect.run()  # baseline at 5000
    source.now = 5000.7
    result = collect.run()
    assert source.slept == [pytest.approx(0.3)]
    assert result.data is not None
    assert (result.data.window_start, result.data.timestamp) == (5000, 5001)
    assert total(result.data) == 7


def test_no_wait_once_the_second_has_passed_or_when_the_clock_went_back() -> None:
    source = ScrapeAtClock()
    collect = CollectUseCase(source, FakeRoutes([]), OPTIONS, clock=source.clock, sleep=source.sleep)
    collect.run()
    source.now = 5030.0
    assert collect.run().data is not None
    source.now = 4000.0  # clock stepped back: no sleeping for a thousand seconds
    assert collect.run().data is None
    assert source.slept == []
