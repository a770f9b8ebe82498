"""``count_within`` against ``histogram_fraction`` expectations in Prometheus' own test data.

Cases of the form ``histogram_fraction(0 or -Inf, X, name_bucket...)`` over classic
histograms whose bounds are not negative are what a latency SLI is: the share of
observations at or under X.
"""

from __future__ import annotations

import math
import re

import pytest
from tests.fixtures.paths import PROMETHEUS_TESTS
from tests.unit.domain.test_quantiles import Series, parse_promql_test

from domain.latency_share import count_within

FIXTURE = PROMETHEUS_TESTS / "prometheus_promql_histograms.test"
_FRACTION = re.compile(
    r"^histogram_fraction\(\s*(0|-Inf)\s*,\s*([-+0-9.eInf]+)\s*,\s*([A-Za-z_:][A-Za-z0-9_:]*_bucket)\s*\)$"
)


def _cases() -> list[tuple[str, float, dict[frozenset[tuple[str, str]], float], list[Series]]]:
    out = []
    for case, loaded in parse_promql_test(FIXTURE):
        match = _FRACTION.match(case.expression.strip())
        if not match or case.fails:
            continue
        upper = float(match.group(2).replace("Inf", "inf"))
        series = [s for s in loaded if s.name == match.group(3)]
        if series:  # the native-histogram form of the same case has no classic series
            out.append((f"{case.source}:{case.line}", upper, dict(case.expected), series))
    return out


CASES = _cases()


def test_the_fixture_holds_cases() -> None:
    assert len(CASES) >= 8


@pytest.mark.parametrize(("where", "upper", "expected", "series"), CASES, ids=[c[0] for c in CASES])
def test_share_at_or_under_matches_prometheus(
    where: str, upper: float, expected: dict[frozenset[tuple[str, str]], float], series: list[Series]
) -> None:
    groups: dict[frozenset[tuple[str, str]], dict[str, float]] = {}
    for item in series:
        labels = frozenset((k, v) for k, v in item.labels.items() if k != "le")
        at = max(t for t in item.samples if t <= 3000)
        le = item.labels["le"]
        key = "+Inf" if le.lower() in ("+inf", "inf") else le
        groups.setdefault(labels, {})[key] = groups.get(labels, {}).get(key, 0) + item.samples[at]
    checked = 0
    for labels, want in expected.items():
        buckets = groups[labels]
        if any(float(k) < 0 for k in buckets if k != "+Inf"):
            continue  # latency bounds are never negative
        counted = count_within(buckets, upper)
        if counted.total == 0:
            assert math.isnan(want)
            checked += 1
            continue
        assert counted.within / counted.total == pytest.approx(want, rel=1e-12), where
        checked += 1
    assert checked or all(any(float(k) < 0 for k in groups[lb] if k != "+Inf") for lb in expected)
