"""Fill the read cache at start, so that the first dashboard after a start answers as fast as the next.

A cold read of 7 days sums a few hundred thousand hourly rows and decodes
their bucket JSON (seconds on a large mesh); a warm one reads only the
snapshots that arrived since. The warm-up asks, for every cluster, what the
dashboard asks first (topology and domains over its usual ranges), through the
query service, so the cache holds exactly the parts those requests need.

Nothing is trusted from the warm-up later: every read re-checks the rollup
states and snapshot stamps the cached parts were built from, so an answer
after new snapshots is the same as without the warm-up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from application.ports.query import QueryService

log = logging.getLogger(__name__)

HOUR = 3600
# The dashboard's default range (1h), and the two that cost most when cold.
WARM_RANGES: tuple[int, ...] = (HOUR, 24 * HOUR, 7 * 24 * HOUR)


class ReadCacheWarmUp:
    """``run()`` once at start; ``ready`` (a readiness port) is True once it finished, failed or stopped."""

    def __init__(
        self,
        service: QueryService,
        clock: Callable[[], float] = time.time,
        ranges: Sequence[int] = WARM_RANGES,
    ) -> None:
        self._service = service
        self._clock = clock
        self._ranges = tuple(ranges)
        self._done = threading.Event()

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def run(self, stop: threading.Event | None = None) -> None:
        started = time.perf_counter()
        try:
            for info in self._service.clusters():
                for seconds in self._ranges:
                    if stop is not None and stop.is_set():
                        return
                    end = int(self._clock())
                    self._service.topology(info.cluster_id, end - seconds, end)
                    self._service.domains(info.cluster_id, end - seconds, end)
        except Exception:  # a cold cache is slower, never wrong: start serving anyway
            log.exception("warming the read cache failed; the first requests read cold")
        else:
            log.info("read cache warmed in %.1f s", time.perf_counter() - started)
        finally:
            self._done.set()
