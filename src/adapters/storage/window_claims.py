"""A cluster's snapshot windows never overlap: the claim of a window in ``snapshot_log``.

A snapshot counts the increments of ``(window_start, ts]``; two stored windows that share
seconds count those seconds' requests twice (an agent resumed from an old state file sends
again intervals the master already has). So a window is claimed only when it overlaps none
of its cluster's stored windows; the identical re-send (same ``ts`` and ``window_start``)
is the idempotent duplicate, and anything else that overlaps is refused with the stored
windows named.

Race-free without reading the cluster's history: the claim and its check are one
``INSERT … SELECT … WHERE NOT EXISTS`` in the snapshot's transaction, serialised per cluster.
On PostgreSQL a transaction-level advisory lock on the cluster is taken first (READ
COMMITTED: the claim, a later statement, then sees every window committed before the lock
was granted). On SQLite the claim is the transaction's first statement and a write, so it
holds the database's single write lock while it reads.

The check is a range scan of the primary key (cluster_id, ts): a stored window (c, d]
overlaps (a, b] exactly when c < b and a < d, and since no window is longer than
``MAX_WINDOW_SECONDS``, c >= d - MAX_WINDOW_SECONDS, so d lies in (a, b + MAX_WINDOW_SECONDS].
"""

from __future__ import annotations

from sqlalchemy import Select, and_, exists, literal, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from adapters.storage import schema
from adapters.storage.dialect import insert
from adapters.storage.locks import lock_key
from application.ports.ingest import SnapshotHeader, Window, WindowOverlap
from domain.contract import MAX_WINDOW_SECONDS  # ingest refuses longer windows: it bounds the scan

# Stored windows named in a refusal; one is enough to act on, a few show a pattern.
NAMED_WINDOWS = 3
_LOCK_PREFIX = "snapshot-window:"


def claim_window(connection: Connection, header: SnapshotHeader) -> bool:
    """Log the snapshot's window: True when claimed, False for the identical re-send.

    Raises ``WindowOverlap`` (nothing written; the caller's transaction rolls back) when
    the window overlaps another stored window of the cluster.
    """
    serialise_cluster(connection, header.cluster_id)
    if _insert_unless_overlapping(connection, header):
        return True
    if _stored_start(connection, header) == header.window_start:
        return False
    stored = overlapping_windows(connection, header)
    if not stored:
        # Under the cluster's lock whatever blocked the claim is visible; an empty answer is a
        # database not behaving as described, and retrying is the safe reaction (503).
        raise RuntimeError(f"window ({header.window_start}, {header.ts}] of cluster {header.cluster_id} "
                           "could not be claimed, yet overlaps no stored window")
    raise WindowOverlap(header.cluster_id, (header.window_start, header.ts), stored[:NAMED_WINDOWS],
                        more=len(stored) > NAMED_WINDOWS)


def serialise_cluster(connection: Connection, cluster_id: str) -> None:
    """Make concurrent snapshots of one cluster claim their windows one at a time."""
    if connection.dialect.name == "postgresql":
        # Released at commit or rollback; a different key space from the job locks (their names).
        key = lock_key(_LOCK_PREFIX + cluster_id)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    # SQLite: the claim below is the transaction's first statement and takes the write lock.


def overlapping_windows(connection: Connection, header: SnapshotHeader) -> list[Window]:
    """Stored windows of the cluster that share seconds with the snapshot's, oldest first
    (one more than ``NAMED_WINDOWS`` at most, to tell that there are more)."""
    return [(start, end) for start, end in connection.execute(overlap_query(header))]


def overlap_query(header: SnapshotHeader) -> Select[tuple[int, int]]:
    log = schema.snapshot_log
    return (
        select(log.c.window_start, log.c.ts)
        .where(_overlaps(header))
        .order_by(log.c.ts)
        .limit(NAMED_WINDOWS + 1)
    )


def _stored_start(connection: Connection, header: SnapshotHeader) -> int | None:
    """The start of the stored window ending at the snapshot's timestamp, if there is one."""
    log = schema.snapshot_log
    query = select(log.c.window_start).where(log.c.cluster_id == header.cluster_id, log.c.ts == header.ts)
    return connection.execute(query).scalar_one_or_none()


def _overlaps(header: SnapshotHeader) -> ColumnElement[bool]:
    log = schema.snapshot_log
    return and_(
        log.c.cluster_id == header.cluster_id,
        log.c.ts > header.window_start,
        log.c.ts <= header.ts + MAX_WINDOW_SECONDS,
        log.c.window_start < header.ts,
    )


def _insert_unless_overlapping(connection: Connection, header: SnapshotHeader) -> bool:
    log = schema.snapshot_log
    values = header.header()
    columns = list(values)
    row = select(*(literal(values[name], log.c[name].type).label(name) for name in columns))
    # The identical re-send overlaps itself, so it is found by the same test.
    row = row.where(~exists().where(_overlaps(header)))
    statement = (
        insert(connection, log)
        .from_select(columns, row)
        .on_conflict_do_nothing(index_elements=["cluster_id", "ts"])
        .returning(log.c.ts)
    )
    # RETURNING rather than rowcount: psycopg reports -1 for this statement's rowcount.
    return connection.execute(statement).first() is not None
