"""``histogram.quantile`` against SPEC §5 and Prometheus' own ``histogram_quantile`` tests.

The hand-computed cases state the expected number and how it was derived.
The second half replays every classic-histogram expectation of Prometheus'
PromQL test files (``tests/fixtures/prometheus``) that uses a form this small
evaluator understands: ``histogram_quantile(q, X_bucket)``, with an optional
equality matcher, ``rate(...)`` and ``sum(...) by (le, ...)`` /
``sum by (le, ...) (...)``. Other forms (native histograms, ``avg``, regex
matchers, expected failures) are skipped and counted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pytest
from tests.fixtures.paths import PROMETHEUS_TESTS

from domain.histogram import quantile

# --- hand-computed cases (SPEC §5) ---------------------------------------------------------------


def test_interpolates_linearly_inside_the_bucket() -> None:
    # rank 0.5 * 30 = 15 falls in (10, 20] holding 20: 10 + 10 * (15 - 10) / 20.
    assert quantile(0.5, {"10": 10, "20": 30, "+Inf": 30}) == pytest.approx(12.5)


def test_first_bucket_has_lower_bound_zero() -> None:
    # rank 25 of 50 inside (0, 100]: 100 * 25 / 50.
    assert quantile(0.5, {"100": 50, "+Inf": 50}) == pytest.approx(50.0)


def test_rank_in_the_inf_bucket_returns_the_highest_finite_bound() -> None:
    # rank 0.9 * 20 = 18 is above the last finite bucket's 10.
    assert quantile(0.9, {"10": 5, "20": 10, "+Inf": 20}) == 20.0


def test_non_monotonic_buckets_are_made_monotonic_first() -> None:
    # Counts 10, 5, 20 become 10, 10, 20. rank 0.75 * 20 = 15 lies in (20, 30] holding 10:
    # 20 + 10 * (15 - 10) / 10 = 25. Without the fix it would be 20 + 10 * 10 / 15 ≈ 26.7.
    assert quantile(0.75, {"10": 10, "20": 5, "30": 20, "+Inf": 20}) == pytest.approx(25.0)


def test_bounds_written_differently_are_one_bucket() -> None:
    # "1" and "1.0" coalesce to one bucket of 4 + 6 = 10 of 20; rank 10 → exactly its bound.
    assert quantile(0.5, {"1": 4, "1.0": 6, "2": 20, "+Inf": 20}) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "buckets",
    [{}, {"10": 0, "+Inf": 0}, {"+Inf": 5}, {"10": 3, "20": 5}],
    ids=["empty", "no-observations", "only-inf", "no-inf-bucket"],
)
def test_no_value_without_a_usable_histogram(buckets: dict[str, float]) -> None:
    assert quantile(0.5, buckets) is None


def test_q_zero_is_the_lower_edge() -> None:
    assert quantile(0.0, {"10": 3, "20": 10, "+Inf": 10}) == 0.0
    # An empty first bucket makes it 0/0: NaN in Prometheus, no value here.
    assert quantile(0.0, {"10": 0, "20": 10, "+Inf": 10}) is None


def test_q_one_is_the_bound_where_the_last_observation_falls() -> None:
    # rank 10 reached first in (10, 20]: 10 + 10 * 5 / 5.
    assert quantile(1.0, {"10": 5, "20": 10, "+Inf": 10}) == pytest.approx(20.0)
    # Observations above every finite bound: the highest finite bound.
    assert quantile(1.0, {"10": 5, "20": 10, "+Inf": 11}) == 20.0


def test_q_outside_zero_one_is_infinite_and_nan_is_no_value() -> None:
    buckets = {"10": 5, "+Inf": 5}
    assert quantile(-0.1, buckets) == -math.inf
    assert quantile(1.01, buckets) == math.inf
    assert quantile(float("nan"), buckets) is None


# --- Prometheus' PromQL test files ---------------------------------------------------------------

PROMQL_FILES = ("prometheus_promql_histograms.test", "prometheus_promql_histograms_classic_pre-2024-05.test")

Labels = frozenset[tuple[str, str]]
_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SERIES = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?\s+(.*)$")
_LABEL = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def _seconds(text: str) -> int:
    """``50m``, ``1h30m`` or a bare number of seconds."""
    if text.isdigit():
        return int(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"unsupported duration {text!r}")
    return sum(int(n) * _UNITS[u] for n, u in parts)


def _labels(text: str | None) -> dict[str, str] | None:
    """``{a="b", c="d"}`` → dict; None for anything but plain equality pairs."""
    if not text or text == "{}":
        return {}
    body = text.strip()[1:-1]
    out: dict[str, str] = {}
    position = 0
    while position < len(body):
        match = _LABEL.match(body, position)
        if not match:
            return None
        out[match.group(1)] = match.group(2)
        position = match.end()
    return out


def _number(text: str) -> float:
    lowered = text.lower()
    if lowered in ("nan", "+nan"):
        return math.nan
    if lowered in ("inf", "+inf"):
        return math.inf
    if lowered == "-inf":
        return -math.inf
    return float(text)


def _expand(values: str) -> list[float | None] | None:
    """Prometheus test value notation: ``0+5x10``, ``1x3``, ``_``, plain numbers."""
    out: list[float | None] = []
    for token in values.split():
        if token in ("_", "stale"):
            out.append(None)
            continue
        if token.startswith("{{"):
            return None  # a native histogram sample
        match = re.fullmatch(r"([-+]?[0-9.eE]+|[-+]?Inf|NaN)(?:([-+])([0-9.eE]+))?x(\d+)", token)
        if match:
            start = _number(match.group(1))
            step = _number(match.group(3)) if match.group(3) else 0.0
            if match.group(2) == "-":
                step = -step
            out.extend(start + i * step for i in range(int(match.group(4)) + 1))
            continue
        match = re.fullmatch(r"_x(\d+)", token)
        if match:
            out.extend([None] * int(match.group(1)))
            continue
        out.append(_number(token))
    return out


@dataclass
class Series:
    name: str
    labels: dict[str, str]
    samples: dict[int, float] = field(default_factory=dict)  # seconds → value


@dataclass
class Case:
    source: str
    line: int
    at: int
    expression: str
    expected: dict[Labels, float] = field(default_factory=dict)
    fails: bool = False


def parse_promql_test(path: Path) -> list[tuple[Case, list[Series]]]:
    """Each eval with the classic ``_bucket`` series loaded at that point of the file."""
    series: list[Series] = []
    cases: list[tuple[Case, list[Series]]] = []
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        words = line.split()
        if not words or line.lstrip().startswith("#"):
            index += 1
            continue
        if words[0] == "clear":
            series = []
            index += 1
        elif words[0] in ("load", "load_with_nhcb"):
            step = _seconds(words[1])
            index += 1
            while index < len(lines) and lines[index][:1] in (" ", "\t") and lines[index].strip():
                match = _SERIES.match(lines[index].strip())
                index += 1
                if not match or not match.group(1).endswith("_bucket"):
                    continue
                labels = _labels(match.group(2))
                values = _expand(match.group(3))
                if labels is None or values is None:
                    continue
                item = Series(match.group(1), labels)
                for i, value in enumerate(values):
                    if value is not None:
                        item.samples[i * step] = value
                series.append(item)
        elif words[0].startswith("eval"):
            head = re.match(r"^(eval\S*)\s+instant\s+at\s+(\S+)\s+(.*)$", line.strip())
            case = Case(path.name, index + 1, _seconds(head.group(2)) if head else 0,
                        head.group(3) if head else line, fails=not head or "fail" in words[0])
            index += 1
            while index < len(lines) and lines[index][:1] in (" ", "\t") and lines[index].strip():
                body = lines[index].strip()
                index += 1
                if body.startswith("expect"):
                    case.fails = case.fails or "fail" in body
                    continue
                match = re.match(r"^([A-Za-z_:][A-Za-z0-9_:]*)?(\{[^}]*\})?\s+(\S+)$", body)
                labels = _labels(match.group(2)) if match else None
                if match is None or labels is None:
                    case.fails = True  # an expectation this evaluator cannot read
                    continue
                case.expected[frozenset(labels.items())] = _number(match.group(3))
            cases.append((case, list(series)))
        else:
            index += 1
    return cases


_QUANTILE = re.compile(r"^histogram_quantile\(\s*([^,]+?)\s*,\s*(.*)\)$")
_SUM_BY_BEFORE = re.compile(r"^sum\s+by\s*\(([^)]*)\)\s*\((.*)\)$")
_SUM_BY_AFTER = re.compile(r"^sum\((.*)\)\s*by\s*\(([^)]*)\)$")
_RATE = re.compile(r"^rate\((.*)\[(\w+)\]\)$")
_SELECTOR = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*_bucket)(\{[^}]*\})?$")


@dataclass(frozen=True)
class Plan:
    q: float
    name: str
    matchers: dict[str, str]
    rate_seconds: int | None
    group_by: tuple[str, ...] | None  # None: no aggregation


def _q(text: str) -> float | None:
    if text in ("NaN", "Inf", "-Inf", "+Inf"):
        return _number(text)
    if not re.fullmatch(r"[-+]?[0-9.eE]+(\s*/\s*[0-9.eE]+)?", text):
        return None
    if "/" in text:
        a, b = text.split("/")
        return float(a) / float(b)
    return float(text)


def plan_of(expression: str) -> Plan | None:
    match = _QUANTILE.match(expression.strip())
    if not match:
        return None
    q = _q(match.group(1))
    inner = match.group(2).strip()
    if q is None:
        return None
    group_by: tuple[str, ...] | None = None
    for pattern, by_first in ((_SUM_BY_BEFORE, True), (_SUM_BY_AFTER, False)):
        aggregated = pattern.match(inner)
        if aggregated:
            by, inner = (aggregated.group(1), aggregated.group(2)) if by_first else (
                aggregated.group(2), aggregated.group(1))
            labels = tuple(label.strip() for label in by.split(",") if label.strip())
            if "le" not in labels:
                return None
            group_by = tuple(label for label in labels if label != "le")
            inner = inner.strip()
            break
    rate_seconds = None
    rated = _RATE.match(inner)
    if rated:
        rate_seconds = _seconds(rated.group(2))
        inner = rated.group(1).strip()
    selector = _SELECTOR.match(inner)
    if not selector:
        return None
    matchers = _labels(selector.group(2))
    if matchers is None:
        return None
    return Plan(q, selector.group(1), matchers, rate_seconds, group_by)


def _value(series: Series, at: int, rate_seconds: int | None) -> float | None:
    if rate_seconds is None:
        # Instant value: the newest sample within Prometheus' 5 minute lookback.
        times = [t for t in series.samples if at - 300 <= t <= at]
        return series.samples[max(times)] if times else None
    times = sorted(t for t in series.samples if at - rate_seconds <= t <= at)
    if len(times) < 2:
        return None
    values = [series.samples[t] for t in times]
    if any(b < a for a, b in pairwise(values)):
        return None  # counter resets: not modelled here
    # Increase per second between the first and last sample of the range. Every
    # series of a load block shares sample times, so Prometheus' extrapolation
    # scales all buckets alike and leaves the quantile unchanged.
    return (values[-1] - values[0]) / (times[-1] - times[0])


def evaluate(plan: Plan, at: int, series: list[Series]) -> dict[Labels, float | None] | None:
    groups: dict[Labels, dict[str, float]] = {}
    for item in series:
        if item.name != plan.name or any(item.labels.get(k) != v for k, v in plan.matchers.items()):
            continue
        value = _value(item, at, plan.rate_seconds)
        if value is None:
            return None
        if "le" not in item.labels:
            continue
        others = {k: v for k, v in item.labels.items() if k != "le"}
        if plan.group_by is not None:
            others = {k: v for k, v in others.items() if k in plan.group_by}
        buckets = groups.setdefault(frozenset(others.items()), {})
        le = item.labels["le"]
        buckets[le] = buckets.get(le, 0.0) + value
    return {labels: quantile(plan.q, buckets) for labels, buckets in groups.items()}


def _same(actual: float | None, expected: float) -> bool:
    if math.isnan(expected):
        return actual is None
    if actual is None:
        return False
    if math.isinf(expected):
        return actual == expected
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12)


def promql_cases() -> list[tuple[Case, list[Series]]]:
    cases: list[tuple[Case, list[Series]]] = []
    for path in (PROMETHEUS_TESTS / name for name in PROMQL_FILES):
        cases += [(c, s) for c, s in parse_promql_test(path) if "histogram_quantile(" in c.expression]
    return cases


def test_matches_every_classic_histogram_quantile_expectation_of_prometheus() -> None:
    checked = 0
    skipped: list[str] = []
    mismatches: list[str] = []
    for case, series in promql_cases():
        plan = plan_of(case.expression)
        if case.fails or plan is None:
            skipped.append(f"{case.source}:{case.line}")
            continue
        results = evaluate(plan, case.at, series)
        if not results:  # native-histogram only or unsupported data
            skipped.append(f"{case.source}:{case.line}")
            continue
        if set(results) != set(case.expected):
            mismatches.append(f"{case.source}:{case.line} series {set(results)} != {set(case.expected)}")
            continue
        for labels, expected in case.expected.items():
            checked += 1
            if not _same(results[labels], expected):
                mismatches.append(
                    f"{case.source}:{case.line} {case.expression} {dict(labels)}: "
                    f"{results[labels]} != {expected}"
                )
    print(f"checked {checked} expectations against Prometheus, skipped {len(skipped)} evals")
    assert not mismatches, "\n".join(mismatches)
    # Both files hold well over 50 classic expectations; far fewer means the parser broke.
    assert checked >= 50


def test_the_promql_evaluator_itself_reads_the_notation() -> None:
    assert _expand("0+5x3 _ 7 1x2 10-2x2") == [0, 5, 10, 15, None, 7, 1, 1, 1, 10, 8, 6]
    plan = plan_of('histogram_quantile(1./6., sum by (le, job) (rate(x_bucket{a="b"}[5m])))')
    assert plan == Plan(1 / 6, "x_bucket", {"a": "b"}, 300, ("job",))
    assert plan_of("histogram_quantile(0.3, avg(rate(x_bucket[5m])) by (le))") is None
