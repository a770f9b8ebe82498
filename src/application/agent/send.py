"""Deliver snapshots to the master in order, through the spool when it is away (SPEC §2.5).

Order is the invariant: once anything is queued, every new snapshot joins
the back of the queue and the queue is drained oldest first, so the master
always receives a cluster's snapshots in timestamp order. A snapshot the
master refuses for good (4xx) is dropped, loudly, so it never blocks the ones
behind it. One whose window the master already has (409, after a restart from an
old state file) is done with as if delivered: counted, logged, out of the queue.
When even the spool cannot be written (disk full), snapshots wait in memory,
are moved to the spool as soon as it works again, and ``durable`` turns False
so the caller knows not to persist anything that assumes them safe.
A snapshot over the size limit (the agent's, or the master's 413) is dropped
before it is sent or spooled: it would be refused again however often re-sent.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from application.ports.agent import AlreadyStored, DeliveryError, MasterClient, SnapshotTooLarge
from application.ports.delivery import SnapshotSpool, SpoolError
from domain.contract import SLOSnapshot

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    SENT = "sent"  # the master took it
    SPOOLED = "spooled"  # safe on disk, will be re-sent
    REJECTED = "rejected"  # refused for good by the master; dropped
    IN_MEMORY = "in_memory"  # the spool failed too: lost if the process dies now
    TOO_LARGE = "too_large"  # over the agent's or the master's size limit; dropped, interval lost
    ALREADY_STORED = "already_stored"  # the master has this window's seconds already (409); done with


@dataclass(slots=True)
class DeliveryCounters:
    sent: int = 0
    failed: int = 0  # delivery attempts (after retries) that did not reach the master
    spooled: int = 0
    rejected: int = 0
    too_large: int = 0
    already_stored: int = 0  # answered 409: the window overlaps ones the master has
    spool_errors: int = 0
    last_sent_at: float | None = None
    last_error: str | None = None
    last_spool_error: str | None = None
    last_attempt_ok: bool | None = None  # whether the master took the last snapshot offered to it


class SendUseCase:
    def __init__(
        self,
        client: MasterClient,
        spool: SnapshotSpool,
        max_in_memory: int = 1000,
        flush_budget: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``flush_budget`` bounds the seconds one flush spends re-sending, so that a
        long backlog drains over several cycles instead of holding up the next scrape."""
        self._client = client
        self._spool = spool
        self._memory: deque[SLOSnapshot] = deque()
        self._max_in_memory = max_in_memory
        self._flush_budget = flush_budget
        self._clock = clock
        self.counters = DeliveryCounters()

    @property
    def backlog(self) -> int:
        """Snapshots not yet taken by the master (spooled plus held in memory)."""
        return len(self._spool) + len(self._memory)

    @property
    def durable(self) -> bool:
        """True when every snapshot not yet taken is safe on disk."""
        return not self._memory

    @property
    def spool(self) -> SnapshotSpool:
        return self._spool

    @property
    def stranded(self) -> str | None:
        """Why snapshots can currently be neither delivered nor spooled, or None while either works.

        Set from the moment a snapshot the master did not take also failed to reach the spool,
        until the master takes one again or what waits in memory is secured on disk.
        """
        if self.durable or self.counters.last_attempt_ok is not False:
            return None
        counters = self.counters
        return (
            f"{len(self._memory)} snapshot(s) can be neither delivered nor spooled: "
            f"{counters.last_error}; {counters.last_spool_error}"
        )

    def admits(self, snapshot: SLOSnapshot) -> bool:
        """Whether ``snapshot`` is within the size limit (``deliver`` drops it otherwise)."""
        try:
            self._client.check_size(snapshot)
        except SnapshotTooLarge:
            return False
        return True

    def secure_backlog(self) -> bool:
        """Move snapshots held in memory to the spool if it can take them now; True when all are on disk."""
        self._move_memory_to_spool()
        return self.durable

    def deliver(self, snapshot: SLOSnapshot, now: float | None = None) -> Outcome:
        """Hand one snapshot over: straight to the master when nothing is queued, else queue then drain.

        One over the size limit is dropped first: queued, it would only be refused later, and
        until then hold a place in the spool.
        """
        try:
            self._client.check_size(snapshot)
        except SnapshotTooLarge as error:
            self._reject(snapshot, error)
            return Outcome.TOO_LARGE
        if self.backlog == 0:
            try:
                self._client.send(snapshot)
            except AlreadyStored as error:
                self._note_already_stored(snapshot, error)
                return Outcome.ALREADY_STORED
            except DeliveryError as error:
                if not error.retryable:
                    self._reject(snapshot, error)
                    return Outcome.TOO_LARGE if isinstance(error, SnapshotTooLarge) else Outcome.REJECTED
                self._note_failure(error)
                return self._enqueue(snapshot)
            self._note_sent(now)
            return Outcome.SENT
        outcome = self._enqueue(snapshot)
        self.flush(now)
        if self.backlog == 0:  # it was the newest in the queue, and the queue is gone
            return Outcome.SENT
        return outcome

    def flush(self, now: float | None = None) -> int:
        """Re-send queued snapshots oldest first; stop at the first retryable failure.

        Returns how many the master took.
        """
        self._move_memory_to_spool()
        deadline = None if self._flush_budget is None else self._clock() + self._flush_budget
        taken = 0
        while True:
            if deadline is not None and taken and self._clock() >= deadline:
                log.info("sent %d spooled snapshot(s); %d left for the next cycle", taken, self.backlog)
                return taken
            item = self._spool.oldest()
            if item is None:
                break
            try:
                self._client.send(item.snapshot)
            except AlreadyStored as error:
                self._note_already_stored(item.snapshot, error)
                self._spool.remove(item)
                continue
            except DeliveryError as error:
                if error.retryable:
                    self._note_failure(error)
                    return taken
                self._reject(item.snapshot, error)
                self._spool.remove(item)
                continue
            self._spool.remove(item)
            self._note_sent(now)
            taken += 1
        # Only reached with an empty spool: what waits in memory is next in line.
        while self._memory:
            snapshot = self._memory[0]
            try:
                self._client.send(snapshot)
            except AlreadyStored as error:
                self._note_already_stored(snapshot, error)
                self._memory.popleft()
                continue
            except DeliveryError as error:
                if error.retryable:
                    self._note_failure(error)
                    return taken
                self._reject(snapshot, error)
                self._memory.popleft()
                continue
            self._memory.popleft()
            self._note_sent(now)
            taken += 1
        return taken

    def _enqueue(self, snapshot: SLOSnapshot) -> Outcome:
        self._memory.append(snapshot)
        self._move_memory_to_spool()
        if self._memory:
            if len(self._memory) > self._max_in_memory:
                self._memory.popleft()
                log.error("spool unwritable and %d snapshots held in memory: dropped the oldest",
                          self._max_in_memory)
            return Outcome.IN_MEMORY
        self.counters.spooled += 1
        return Outcome.SPOOLED

    def _move_memory_to_spool(self) -> None:
        # Oldest first, so spool order stays delivery order.
        while self._memory:
            try:
                self._spool.append(self._memory[0])
            except SpoolError as error:
                self.counters.spool_errors += 1
                self.counters.last_spool_error = str(error)
                log.error("%s; %d snapshot(s) held in memory", error, len(self._memory))
                return
            self._memory.popleft()

    def _reject(self, snapshot: SLOSnapshot, error: DeliveryError) -> None:
        data = snapshot.slo_data
        if isinstance(error, SnapshotTooLarge):
            # Refused by design (see SnapshotTooLarge): counted apart, since the fix is a limit
            # to raise rather than a snapshot to correct.
            self.counters.too_large += 1
            log.error(
                "DROPPED snapshot cluster=%s window=(%d, %d], too large: %s. This interval is lost "
                "(%d too large so far)",
                snapshot.cluster_id, data.window_start, data.timestamp, error, self.counters.too_large,
            )
            return
        self.counters.rejected += 1
        self.counters.last_error = str(error)
        log.error(
            "DROPPED snapshot cluster=%s window=(%d, %d]: %s (%d refused so far)",
            snapshot.cluster_id, data.window_start, data.timestamp, error, self.counters.rejected,
        )

    def _note_already_stored(self, snapshot: SLOSnapshot, error: AlreadyStored) -> None:
        # Not an error to retry or alert on by itself: the agent resumed from a state older than
        # what it had delivered (a state file that could not be written, a crash). The master
        # keeps its own copy of those seconds; what this window adds beyond them is lost.
        self.counters.already_stored += 1
        data = snapshot.slo_data
        log.warning(
            "snapshot cluster=%s window=(%d, %d] not stored, the master has these seconds already: %s",
            snapshot.cluster_id, data.window_start, data.timestamp, error,
        )

    def _note_failure(self, error: DeliveryError) -> None:
        self.counters.failed += 1
        self.counters.last_error = str(error)
        self.counters.last_attempt_ok = False
        log.warning("%s; %d snapshot(s) waiting", error, self.backlog)

    def _note_sent(self, now: float | None) -> None:
        self.counters.sent += 1
        self.counters.last_attempt_ok = True
        if now is not None:
            self.counters.last_sent_at = now
