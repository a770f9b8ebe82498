"""Label sets that live inside the series key.

A large scrape keeps ~300,000 series alive between cycles. Their canonical keys
already spell every label, so a separate dict per series (~450 bytes each)
would store everything twice. ``KeyLabels`` is a read-only mapping over the key
instead: 40 bytes per series, the labels read back when asked for.

Labels are consulted in bursts — the agent classifies a series once, with a
handful of lookups in a row, and caches the outcome by key — so the last label
set read is remembered and the burst costs one read of the key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar, overload

from adapters.exposition.line import plain_pairs, read_series


class KeyLabels(Mapping[str, str]):
    """The labels of a canonical series key (``family{a="1",b="x\\"y"}``), read on demand."""

    __slots__ = ("_key",)

    # (key object, its labels): the label set read last, shared by all instances.
    _last: ClassVar[tuple[str, dict[str, str]]] = ("", {})

    def __init__(self, key: str) -> None:
        self._key = key

    def _labels(self) -> dict[str, str]:
        last = KeyLabels._last
        if last[0] is self._key:
            return last[1]
        key = self._key
        if "\\" in key or '"=' in key:
            # Escapes or quoted label names: the full grammar.
            labels = dict(read_series(key).labels)
        else:
            brace = key.find("{")
            labels = dict(plain_pairs(key[brace + 1 : -1])) if brace > 0 else {}
        KeyLabels._last = (key, labels)
        return labels

    def __getitem__(self, name: str) -> str:
        return self._labels()[name]

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, /, default: str) -> str: ...
    @overload
    def get(self, name: str, /, default: object) -> object: ...
    def get(self, name: str, /, default: object = None) -> object:
        return self._labels().get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._labels()

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels())

    def __len__(self) -> int:
        return len(self._labels())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._labels() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking mapping semantics, as dict

    def __repr__(self) -> str:
        return f"KeyLabels({self._labels()!r})"
