"""Exact unit conversion of histogram bounds (SPEC §2.4).

Bucket bounds are decimal strings on the wire. Converting them through binary
floats would turn ``0.3`` s into ``299.99999999999994`` ms and split one bucket
into two keys, so bounds are converted with :class:`decimal.Decimal`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from domain.contract import INF_KEY

_MS_PER_SECOND = Decimal(1000)
_INF_SPELLINGS = frozenset({"+inf", "inf"})
_MAX_PLAIN_LENGTH = 32


class BadBound(ValueError):
    """A bucket bound that is not a finite number or +Inf."""


def _parse(bound: str) -> Decimal | None:
    """The bound as a decimal; ``None`` for +Inf."""
    text = bound.strip()
    if text.lower() in _INF_SPELLINGS:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadBound(f"bucket bound {bound!r} is not a number") from None
    if not value.is_finite():
        raise BadBound(f"bucket bound {bound!r} is not a finite number or +Inf")
    return value


def format_decimal(value: Decimal) -> str:
    """Shortest exact plain text: ``10.0`` → ``10``, ``1E+3`` → ``1000``, ``2.5E-2`` → ``0.025``.

    Plain notation keeps keys identical to the ones Linkerd writes; only an
    absurd bound (``-5e-324`` s would be a 325-character key) keeps its exponent.
    """
    if value.is_zero():
        return "0"
    normalised = value.normalize()
    fixed = format(normalised, "f")
    return fixed if len(fixed) <= _MAX_PLAIN_LENGTH else str(normalised)


def canonical_ms_key(bound: str) -> str:
    """A millisecond bound in canonical form (Linkerd's ``10.0`` and ``10`` are one bucket)."""
    value = _parse(bound)
    return INF_KEY if value is None else format_decimal(value)


def seconds_key_to_ms(bound: str) -> str:
    """A bound in seconds as a millisecond key: ``0.3`` → ``300``, ``2.5e-05`` → ``0.025``."""
    value = _parse(bound)
    return INF_KEY if value is None else format_decimal(value * _MS_PER_SECOND)


def seconds_to_ms(value: float) -> float:
    """A sum of durations in seconds, in milliseconds."""
    return value * 1000.0
