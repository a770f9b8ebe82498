"""A snapshot's wire JSON, encoded once however many adapters write it.

A cycle's snapshot is written to the state file (as the pending one), then sent
to the master and, when the master is away, to the spool: the same bytes each
time. Snapshots are frozen, so bytes kept for one can never go stale.
"""

from __future__ import annotations

from domain.contract import SLOSnapshot

# The last snapshot encoded and its bytes, replaced as one tuple (read from one thread at a time
# in the agent, but a torn pair must not be possible even so).
_last: tuple[SLOSnapshot, bytes] | None = None


def snapshot_json(snapshot: SLOSnapshot) -> bytes:
    global _last
    last = _last
    if last is not None and last[0] is snapshot:
        return last[1]
    encoded = snapshot.model_dump_json().encode()
    _last = (snapshot, encoded)
    return encoded
