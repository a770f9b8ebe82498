"""Exact seconds → milliseconds bucket keys and canonical millisecond keys (SPEC §2.4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.agent.units import BadBound, canonical_ms_key, seconds_key_to_ms, seconds_to_ms
from domain.contract import validate_bucket_key


@pytest.mark.parametrize(
    ("seconds", "ms"),
    [
        ("0.3", "300"),
        ("1.2", "1200"),
        ("0.005", "5"),
        ("2.5e-05", "0.025"),
        ("0.1", "100"),
        ("5", "5000"),
        ("10", "10000"),
        ("0.025", "25"),
        ("2.5", "2500"),
        ("1e-3", "1"),
        ("0", "0"),
        ("+Inf", "+Inf"),
        ("Inf", "+Inf"),
        ("+inf", "+Inf"),
    ],
)
def test_seconds_to_ms_keys_are_exact(seconds: str, ms: str) -> None:
    assert seconds_key_to_ms(seconds) == ms


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("10.0", "10"), ("10", "10"), ("+Inf", "+Inf"), ("1e3", "1000"), ("0.50", "0.5"), ("1000.000", "1000")],
)
def test_linkerd_ms_keys_are_canonical(raw: str, canonical: str) -> None:
    assert canonical_ms_key(raw) == canonical


def test_tiny_negative_bound_stays_short_and_exact() -> None:
    # ingress-nginx 1.2.0 exposes le="-5e-324" on idle histograms.
    key = seconds_key_to_ms("-5e-324")
    assert len(key) < 12
    assert Decimal(key) == Decimal("-5e-321")
    assert validate_bucket_key(key) == key


@pytest.mark.parametrize("bad", ["", "abc", "NaN", "-Inf", "1,5", "0x10"])
def test_bad_bounds_are_refused(bad: str) -> None:
    with pytest.raises(BadBound):
        seconds_key_to_ms(bad)
    with pytest.raises(BadBound):
        canonical_ms_key(bad)


@given(st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10**6), places=6, allow_nan=False))
def test_conversion_is_exactly_times_one_thousand(seconds: Decimal) -> None:
    key = seconds_key_to_ms(str(seconds))
    assert Decimal(key) == seconds * 1000
    assert "E" not in key  # ordinary bounds stay in plain notation
    assert canonical_ms_key(key) == key


def test_sums_are_scaled_by_one_thousand() -> None:
    assert seconds_to_ms(1.5) == 1500.0
    assert seconds_to_ms(0.0) == 0.0
