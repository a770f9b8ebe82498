"""Compare what the page shows with the numbers the API returned.

The page rounds for people ("1.04 rps", "95.19 %", "1.2 s", "1,800"); a shown
value matches when it is within one unit of its last shown digit of the API's value.
"""

from __future__ import annotations

import re

DASH = "–"
_NUMBER = re.compile(r"(-?[\d,]+(?:\.(\d+))?)\s*(rps|ms|s|%)?")


def parse_display(text: str) -> tuple[float, float]:
    """(value, tolerance) of a displayed number; seconds are converted to ms."""
    match = _NUMBER.search(text)
    if match is None:
        raise AssertionError(f"no number in {text!r}")
    value = float(match.group(1).replace(",", ""))
    decimals = len(match.group(2) or "")
    tolerance = 10.0**-decimals
    if match.group(3) == "s":
        value, tolerance = value * 1000, tolerance * 1000
    return value, tolerance


def assert_shows(text: str, expected: float | None, what: str) -> None:
    text = text.strip()
    if expected is None:
        assert text.startswith(DASH), f"{what}: API has no value, page shows {text!r}"
        return
    shown, tolerance = parse_display(text)
    assert abs(shown - expected) <= tolerance + 1e-9, f"{what}: page shows {text!r}, API says {expected}"
