"""The agent's run loop: collect, persist, deliver — at a fixed rate (SPEC §2).

Ordering within a cycle is what makes restarts lossless and never double
counting. The counters' state is saved together with the snapshot built from
it (``pending``) *before* that snapshot is sent, in one atomic write, and only
while every earlier snapshot is safe (sent or spooled). A restart resumes from
that state and re-delivers ``pending``: if the master already had it, it
ignores the repeat (it is idempotent on cluster and timestamp); if not, the
interval is not lost. Either way the first cycle after the restart covers
exactly the downtime. A clean shutdown saves the state without ``pending``,
so nothing is ever re-sent after one.

When the state cannot be saved (full disk), the loop goes on delivering: the
saved state only grows older. A restart then resumes from it, and its first
interval covers seconds the master already has; the master refuses it (409,
``Outcome.ALREADY_STORED``) and the interval after starts at that scrape. So the
cost is the seconds between the last delivered interval and the first scrape
after the restart, as a baseline would cost, never a double count. Deleting
the stale state instead would gain nothing and lose more: when the master has
nothing past it (it was away, the spool was full too), the stale state's first
interval is accepted and covers the whole outage.

A state older than ``state_max_age`` is not resumed: one delta spanning hours
would smear an outage's traffic over a single interval, so the first scrape is
a baseline instead. Its ``pending`` snapshot is still re-delivered, being an
interval already counted.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from application.agent.gc_pause import CycleGarbage
from application.agent.send import Outcome, SendUseCase
from application.agent.status import AgentStatus
from application.ports.agent import Collector, ScrapeError, StopSignal
from application.ports.delivery import SavedState, StateStore
from domain.agent.stats import CollectStats
from domain.contract import SLOSnapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoopOptions:
    cluster_id: str  # whose saved state this agent may resume from
    interval: float
    cycles: int = 0  # 0: until stopped
    flush_timeout: float = 30.0
    state_max_age: float = 3600.0  # seconds since the saved state's scrape; 0: no bound

    @property
    def flush_pause(self) -> float:
        """Pause between spool flush attempts once the scrapes are done."""
        return min(self.interval, 5.0)


class AgentLoop:
    def __init__(
        self,
        collector: Collector,
        sender: SendUseCase,
        options: LoopOptions,
        stop: StopSignal,
        status: AgentStatus | None = None,
        state_store: StateStore | None = None,
        health_check: Callable[[], bool] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        garbage: CycleGarbage | None = None,
    ) -> None:
        self._collector = collector
        self._sender = sender
        self._options = options
        self._stop = stop
        self._state_store = state_store
        self._health_check = health_check
        self._monotonic = monotonic
        self._wall = wall_clock
        self.status = status if status is not None else AgentStatus()
        self._state_dirty = False
        self._pending_saved = False  # the saved state carries a snapshot to re-deliver on restart
        self._recovered: SLOSnapshot | None = None
        self._saved_scrape: float | None = None  # the scrape time of the state saved last (or restored)
        self._garbage = garbage if garbage is not None else CycleGarbage()

    # -- the whole run -----------------------------------------------------

    def run(self) -> int:
        """Run until ``cycles`` scrapes are done or a stop is asked for.

        Returns 0, or 1 when snapshots are left undelivered after a ``cycles`` run
        or could not be kept at all."""
        options = self._options
        self.start()
        scrapes = 0
        next_tick = self._monotonic()
        while not self._stop.is_set():
            self.run_cycle()
            scrapes += 1
            if options.cycles and scrapes >= options.cycles:
                break
            next_tick = self._next_tick(next_tick)
            if self._stop.wait(max(0.0, next_tick - self._monotonic())):
                break
        return self.shutdown(drain=bool(options.cycles) and not self._stop.is_set())

    def start(self) -> None:
        """Resume from the saved state, re-deliver what the previous run may not have, check the collector."""
        self.status.started_at = self._wall()
        self.restore_state()
        self.redeliver_recovered()
        self.check_collector_health()

    def _next_tick(self, previous: float) -> float:
        # Fixed rate: ticks stay on the original grid; a cycle that overran skips
        # the ticks it missed instead of firing them back to back.
        interval = self._options.interval
        tick = previous + interval
        now = self._monotonic()
        if tick <= now:
            missed = math.floor((now - tick) / interval) + 1
            log.warning("cycle overran the %.3gs interval; skipping %d tick(s)", interval, missed)
            tick += missed * interval
        return tick

    def shutdown(self, drain: bool) -> int:
        """Flush the spool (until empty or ``flush_timeout`` when draining, one pass otherwise), persist."""
        sender = self._sender
        try:
            if sender.backlog:
                if drain:
                    self._drain(self._monotonic() + self._options.flush_timeout)
                else:
                    sender.flush(self._wall())
        except Exception:  # what is spooled stays spooled; still save the state below
            log.exception("flushing the spool failed")
        self._persist(pending=None)
        if sender.backlog == 0:
            return 0
        if sender.durable:
            log.warning("%d snapshot(s) remain in the spool; the next run will send them", sender.backlog)
            return 0 if not drain else 1
        log.error("%d snapshot(s) could not be spooled and are lost on exit", sender.backlog)
        return 1

    def _drain(self, deadline: float) -> None:
        sender = self._sender
        while True:
            taken = sender.flush(self._wall())
            if sender.backlog == 0:
                return
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                log.warning("flush timeout reached with %d snapshot(s) waiting", sender.backlog)
                return
            if taken:  # the master is taking them: no pause
                continue
            if self._stop.wait(min(self._options.flush_pause, remaining)):
                sender.flush(self._wall())
                return

    # -- one cycle ---------------------------------------------------------

    def run_cycle(self) -> None:
        """Collect, persist, deliver; the cyclic collector waits until all three are done."""
        with self._garbage.cycle():
            self._run_cycle()

    def _run_cycle(self) -> None:
        status = self.status
        status.cycles += 1
        started = self._monotonic()
        try:
            result = self._collector.run()
        except ScrapeError as error:
            status.record_scrape_failure(error.reason)
            self._cycle_failed(f"scrape failed: {error}")
            log.warning("scrape failed, the next good one covers the gap: %s", error)
            return
        except Exception as error:  # a bug must not stop the agent; the next cycle tries again
            status.cycle_errors += 1
            self._cycle_failed(f"collect failed: {type(error).__name__}: {error}")
            log.exception("collect failed unexpectedly")
            return
        self._record_collect(result.stats, self._monotonic() - started)
        self._state_dirty = True

        snapshot = result.snapshot
        if snapshot is not None:
            # Earlier snapshots held in memory go to disk first, so the state may move on.
            self._sender.secure_backlog()
            # One too large to send is not kept for re-delivery: a restart would only drop it again.
            self._persist(pending=snapshot if self._sender.admits(snapshot) else None)
            try:
                outcome = self._sender.deliver(snapshot, self._wall())
            except Exception as error:  # a bug in delivery must not stop the agent either
                status.cycle_errors += 1
                self._cycle_failed(f"delivery failed: {type(error).__name__}: {error}")
                log.exception("delivery failed unexpectedly; this interval may be lost")
                return
            data = snapshot.slo_data
            log.info(
                "interval (%d, %d]: %d services, %d edges, %d backends, %d routes -> %s (%d waiting)",
                data.window_start, data.timestamp, len(data.services), len(data.edges),
                len(data.ingress), len(data.routes), outcome.value, self._sender.backlog,
            )
            if outcome is Outcome.IN_MEMORY:
                self._cycle_failed("snapshot could not be spooled")
                return
            if self._state_dirty:
                # The state could not be saved before the send (an earlier snapshot was held
                # only in memory); now that everything is delivered or on disk it must be, or
                # a restart would resume from the older state and count this interval twice.
                self._persist(pending=None)
        else:
            reason = result.stats.no_data_reason or "first scrape: counters remembered"
            log.info("nothing to send this cycle (%s)", reason)
            self._sender.secure_backlog()
            self._persist(pending=None)
        status.last_cycle_ok = True
        status.last_success_at = self._wall()
        status.last_error = None

    def _cycle_failed(self, reason: str) -> None:
        self.status.last_cycle_ok = False
        self.status.last_error = reason

    def _record_collect(self, stats: CollectStats, seconds: float) -> None:
        status = self.status
        status.scrape_seconds_sum += seconds
        status.scrape_seconds_count += 1
        status.last_scrape_seconds = seconds
        status.last_scrape_bytes = stats.bytes_read
        status.collect.add(stats)

    # -- health ------------------------------------------------------------

    def check_collector_health(self) -> bool | None:
        if self._health_check is None:
            return None
        try:
            healthy = bool(self._health_check())
        except Exception as error:
            log.warning("collector health check raised %s: %s", type(error).__name__, error)
            healthy = False
        self.status.collector_healthy = healthy
        if not healthy:
            log.warning("the collector's health endpoint does not answer healthy; scraping anyway")
        return healthy

    # -- state -------------------------------------------------------------

    def restore_state(self) -> None:
        if self._state_store is None:
            return
        saved = self._state_store.load()
        if saved is None:
            log.info("no saved state: the first scrape only remembers counters")
            return
        if saved.cluster_id != self._options.cluster_id:
            log.warning(
                "saved state belongs to cluster %r, not %r; starting fresh",
                saved.cluster_id, self._options.cluster_id,
            )
            return
        age = self._state_age(saved)
        bound = self._options.state_max_age
        if bound > 0 and age is not None and age > bound:
            log.warning(
                "saved state is %.0fs old (since its last scrape), more than the %.0fs bound "
                "(--state-max-age): its counters are not used, the first scrape is a baseline",
                age, bound,
            )
            self._recovered = saved.pending
            return
        try:
            self._collector.restore_state(saved.collect)
        except Exception as error:
            log.warning("saved state cannot be restored (%s: %s); starting fresh",
                        type(error).__name__, error)
            return
        log.info("restored counter state saved at %s", saved.saved_at)
        self._saved_scrape = saved.scraped_at
        self._recovered = saved.pending

    def _state_age(self, saved: SavedState) -> float | None:
        """Seconds since the scrape the state belongs to; a file written before that time was
        recorded only has its save time (a little later, so never an over-estimate)."""
        reference = saved.scraped_at if saved.scraped_at is not None else saved.saved_at
        return None if reference is None else self._wall() - reference

    def redeliver_recovered(self) -> None:
        """Hand over the snapshot the previous run saved with its state but may not have delivered."""
        snapshot, self._recovered = self._recovered, None
        if snapshot is None:
            return
        data = snapshot.slo_data
        log.info("re-delivering interval (%d, %d] from before the restart; the master ignores it if it "
                 "already has it", data.window_start, data.timestamp)
        try:
            self._sender.deliver(snapshot, self._wall())
        except Exception:
            log.exception("re-delivering the previous run's last snapshot failed")

    def _persist(self, pending: SLOSnapshot | None) -> None:
        """Save the counters' state, with the snapshot built from it when one is about to be sent.

        Skipped while a snapshot waits only in memory: the state saved last (with
        that snapshot's predecessor chain safe on disk) is the one a restart must resume from.
        """
        if self._state_store is None or not self._sender.durable:
            return
        if not self._state_dirty and pending is None and not self._pending_saved:
            return
        started = self._monotonic()
        state = SavedState(
            cluster_id=self._options.cluster_id,
            collect=self._collector.export_state(),
            saved_at=self._wall(),
            pending=pending,
            scraped_at=self._collector.last_scrape_time,
        )
        try:
            self._state_store.save(state)
        except Exception as error:
            self._save_failed(error)
            return
        self._state_dirty = False
        self._pending_saved = pending is not None
        self._saved_scrape = state.scraped_at
        self.status.last_state_save_seconds = self._monotonic() - started

    def _save_failed(self, error: Exception) -> None:
        self.status.state_save_failures += 1
        if self._saved_scrape is None:
            consequence = "has no counters to resume from: its first scrape is a baseline"
        else:
            consequence = (f"resumes from the counters of the scrape at {self._saved_scrape:.0f}, and its "
                           "first interval is refused as already stored (409)")
        log.error("could not save state (%s); a restart now %s: the seconds from the last delivered "
                  "interval to the restart would be lost", error, consequence)
