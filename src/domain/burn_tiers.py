"""Multi-window, multi-burn-rate alert tiers (SPEC §11, after the Google SRE workbook).

Each tier pairs a long and a short window that scale with the objective's window
length ``W`` (30 d for ``month``, 7 d for ``week``): ``long = L × W / 30d`` and
``short = long / 12``, computed exactly and rounded to the nearest whole minute
(halves up), at least one minute. A tier fires while both windows burn faster than
its factor and the long window holds enough bad events that one lone failure in a
quiet service never pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from domain.objectives import Events, burn_rate
from domain.slo_windows import nominal_length

MINUTE, HOUR, DAY = 60, 3600, 86400
_REFERENCE_WINDOW = 30 * DAY
DEFAULT_MIN_BAD_EVENTS = 3


@dataclass(frozen=True, slots=True)
class Tier:
    number: int
    severity: str  # "page" or "ticket"
    long_at_30d: int  # seconds
    factor: float


TIERS: tuple[Tier, ...] = (
    Tier(1, "page", HOUR, 14.4),
    Tier(2, "page", 6 * HOUR, 6.0),
    Tier(3, "ticket", DAY, 3.0),
    Tier(4, "ticket", 3 * DAY, 1.0),
)


@dataclass(frozen=True, slots=True)
class TierWindows:
    long: int  # seconds, a whole number of minutes
    short: int


def _whole_minutes(seconds: Fraction) -> int:
    minutes = seconds / MINUTE
    rounded = (minutes + Fraction(1, 2)).__floor__()  # halves up
    return max(1, rounded) * MINUTE


def tier_windows(tier: Tier, slo_window: str) -> TierWindows:
    long = Fraction(tier.long_at_30d * nominal_length(slo_window), _REFERENCE_WINDOW)
    return TierWindows(long=_whole_minutes(long), short=_whole_minutes(long / 12))


def window_label(seconds: int) -> str:
    """``3d``, ``6h``, ``144m``: whole days, else whole hours, else minutes."""
    if seconds % DAY == 0:
        return f"{seconds // DAY}d"
    if seconds % HOUR == 0:
        return f"{seconds // HOUR}h"
    return f"{seconds // MINUTE}m"


@dataclass(frozen=True, slots=True)
class TierVerdict:
    tier: Tier
    windows: TierWindows
    burn_long: float | None
    burn_short: float | None
    bad_long: float
    firing: bool


def judge(
    tier: Tier,
    windows: TierWindows,
    long_events: Events,
    short_events: Events,
    target: float,
    min_bad_events: float = DEFAULT_MIN_BAD_EVENTS,
) -> TierVerdict:
    """Fires when both burn rates are strictly above the factor and the long window holds at
    least ``min_bad_events`` bad events; a window without requests has no burn rate."""
    firing = (
        _burns_faster(long_events, target, tier.factor)
        and _burns_faster(short_events, target, tier.factor)
        and long_events.bad >= min_bad_events
    )
    return TierVerdict(tier, windows, burn_rate(long_events, target), burn_rate(short_events, target),
                       long_events.bad, firing)


def _burns_faster(events: Events, target: float, factor: float) -> bool:
    """``burn > factor`` in exact arithmetic: at exactly the factor a tier must not fire, and
    binary floats put 144 errors in 1,000 at a 99 % target on either side of 14.4."""
    if events.total <= 0:
        return False
    allowed = (100 - Fraction(repr(float(target)))) / 100
    return Fraction(events.bad) / Fraction(events.total) > Fraction(repr(float(factor))) * allowed
