"""In-process cache of summed row groups for the stitched reader.

Two kinds of parts are worth keeping between requests (a dashboard asks the
same "last 24 hours" every few seconds):

- the sum of a run of complete hours read from hourly rows, valid while the
  ``rollup_state`` rows of those hours are unchanged (hourly rows are only
  rewritten together with their state). When the window slides by an hour, a
  cached run is reused by adding and taking away the hours that differ;
- the sum of the raw rows of an hour's first snapshots (a prefix of the hour),
  identified by the exact set of snapshot timestamps it contains. Raw rows of
  one snapshot never change once stored (one transaction, idempotent), so a
  cached prefix is extended by reading only the snapshots it lacks — late
  (spooled) ones included — and is unusable as soon as one of its snapshots
  is gone (retention).

Entries are immutable once stored; the cache is bounded (least recently used
entries go first) and safe to share between request threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

V = TypeVar("V")

# A full prefix entry holds one sum per key (a few thousand keys at most).
DEFAULT_MAX_ENTRIES = 96
PREFIXES_PER_HOUR = 3
# Ranges asked for at once: the API's (1h, 24h, 7d, 30d, previous periods) and the status checker's.
RUNS_PER_KEY = 8


class PartCache(Generic[V]):
    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._prefixes: OrderedDict[Hashable, list[tuple[frozenset[int], V]]] = OrderedDict()
        self._runs: OrderedDict[Hashable, list[HourRun[V]]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            self._trim()

    def best_prefix(self, key: Hashable, stamps: frozenset[int]) -> tuple[frozenset[int], V] | None:
        """The largest cached prefix whose snapshots are all among ``stamps``."""
        with self._lock:
            candidates = self._prefixes.get(key)
            if not candidates:
                return None
            self._prefixes.move_to_end(key)
            usable = [entry for entry in candidates if entry[0] <= stamps]
            return max(usable, key=lambda entry: len(entry[0])) if usable else None

    def put_prefix(self, key: Hashable, stamps: frozenset[int], value: V) -> None:
        with self._lock:
            entries = [entry for entry in self._prefixes.get(key, []) if entry[0] != stamps]
            entries.append((stamps, value))
            self._prefixes[key] = entries[-PREFIXES_PER_HOUR:]
            self._prefixes.move_to_end(key)
            self._trim()

    def runs(self, key: Hashable) -> list[HourRun[V]]:
        with self._lock:
            found = self._runs.get(key, [])
            if found:
                self._runs.move_to_end(key)
            return list(found)

    def put_run(self, key: Hashable, run: HourRun[V]) -> None:
        with self._lock:
            same = (run.lo, run.hi, run.states)
            kept = [r for r in self._runs.get(key, []) if (r.lo, r.hi, r.states) != same]
            kept.append(run)
            self._runs[key] = kept[-RUNS_PER_KEY:]
            self._runs.move_to_end(key)
            self._trim()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._prefixes.clear()
            self._runs.clear()

    def _trim(self) -> None:
        maps: list[OrderedDict[Hashable, Any]] = [self._entries, self._prefixes, self._runs]
        while sum(len(m) for m in maps) > self._max:
            max(maps, key=len).popitem(last=False)


@dataclass(frozen=True, slots=True)
class HourRun(Generic[V]):
    """The sum of the hourly rows of the included hours in ``[lo, hi)``.

    ``states`` maps each included hour to its ``rollup_state`` row (or None
    when it had none) as it was when the rows were read.
    """

    lo: int
    hi: int
    states: tuple[tuple[int, Hashable], ...]
    value: V

    def hours(self) -> dict[int, Hashable]:
        return dict(self.states)


def run_delta(
    cached: dict[int, Hashable], wanted: dict[int, Hashable]
) -> tuple[list[int], list[int]] | None:
    """Hours to add and to take away to turn a cached run into the wanted one.

    None when an hour in both has changed state since: its old rows cannot
    be taken away any more, so the cached run is of no use. (The caller also
    checks that the hours to take away are unchanged.)
    """
    add = sorted(h for h in wanted if h not in cached)
    remove = sorted(h for h in cached if h not in wanted)
    if any(cached[h] != wanted[h] for h in wanted if h in cached):
        return None
    return add, remove
