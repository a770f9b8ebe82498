"""``StateStore`` on one file, replaced atomically (temp + fsync + rename).

Format 2: one JSON line (the header: cluster, times, the pending snapshot, the
collect state's small fields), then the counter values as little-endian
float64, one per series. The series keys, which rarely change between cycles,
live in a sibling ``<name>.series-<digest>`` (one key per line), written once
per series set before any state that refers to it, and removed only once no
saved state does; the header holds its digest and size. A cycle therefore
writes ~8 bytes per series instead of the whole JSON of every key.

A missing file is a first start. An unreadable one (truncated by a full
disk, edited by hand) is renamed ``<name>.corrupt`` and the agent starts
fresh with a warning: losing one interval beats refusing to run. A file of
another layout is ignored the same way, and a pending snapshot that cannot be
read is skipped while the counters are still restored. A series file that is
missing or does not match makes the first scrape a baseline (the pending
snapshot is still delivered). Format 1 (the whole state as one JSON object) is
still read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from adapters.atomic_file import write_atomically
from adapters.master_client.snapshot_json import snapshot_json
from application.ports.delivery import SavedState
from domain.contract import SLOSnapshot

log = logging.getLogger(__name__)

STATE_FORMAT = 2
OLD_FORMAT = 1  # one JSON object holding everything
SERIES_SUFFIX = ".series-"


class StateFileError(Exception):
    """The state could not be written."""


class StateFile:
    def __init__(self, path: Path | str) -> None:
        self._path = Path(path)
        # The series column written last (by identity), its file name and digest.
        self._series: tuple[Sequence[str], str, str] | None = None

    @property
    def path(self) -> Path:
        return self._path

    def load(self) -> SavedState | None:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("cannot read state file %s (%s); starting fresh", self._path, error)
            return None
        head, _, body = raw.partition(b"\n")
        try:
            state = json.loads(head)
        except ValueError as error:
            self._set_aside(f"not valid JSON ({error})")
            return None
        if not isinstance(state, dict):
            self._set_aside(f"holds a {type(state).__name__}, not an object")
            return None
        columns = state.get("columns")
        if state.get("format") == STATE_FORMAT and isinstance(state.get("collect"), dict) and columns:
            state["collect"].update(self._read_columns(columns, body))
        elif state.get("format") == OLD_FORMAT:
            log.info("state file %s is in the previous format; the next save rewrites it", self._path)
        return state_from_document(state)

    def save(self, state: SavedState) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            document = state_document(state)
            collect = document["collect"]
            series, values = collect.get("series"), collect.get("values")
            body = b""
            if _is_column(series) and _is_column(values) and len(series) == len(values):
                del collect["series"], collect["values"]
                name, digest = self._write_series(series)
                document["columns"] = {"series_file": name, "sha256": digest, "count": len(series)}
                column = array("d", values)
                if sys.byteorder == "big":
                    column.byteswap()
                body = column.tobytes()
            # Counters may legitimately be NaN or ±Inf in an exposition; JSON's extension keeps them.
            head = json.dumps(document, separators=(",", ":"), allow_nan=True).encode()
            write_atomically(self._path, head + b"\n" + body)
        except OSError as error:
            raise StateFileError(f"cannot write state file {self._path}: {error}") from error
        self._remove_other_series()

    def _write_series(self, series: Sequence[str]) -> tuple[str, str]:
        """The series file for this column, written unless it is the one written last."""
        last = self._series
        if last is not None and last[0] is series:
            return last[1], last[2]
        data = "\n".join(series).encode("utf-8", "surrogateescape")
        digest = hashlib.sha256(data).hexdigest()
        name = f"{self._path.name}{SERIES_SUFFIX}{digest[:16]}"
        target = self._path.with_name(name)
        if not target.exists():
            write_atomically(target, data)
        self._series = (series, name, digest)
        return name, digest

    def _remove_other_series(self) -> None:
        """Series files no saved state refers to any more (the file just written names its own)."""
        current = self._series[1] if self._series is not None else None
        with contextlib.suppress(OSError):
            for path in self._path.parent.glob(f"{self._path.name}{SERIES_SUFFIX}*"):
                if path.name != current:
                    path.unlink()

    def _read_columns(self, columns: object, body: bytes) -> dict[str, Any]:
        """The series and values columns; empty ones (a baseline) when they cannot be trusted."""
        try:
            if not isinstance(columns, dict):
                raise ValueError("the header's columns entry is not an object")
            name, digest, count = columns.get("series_file"), columns.get("sha256"), columns.get("count")
            if not isinstance(name, str) or "/" in name or not isinstance(count, int):
                raise ValueError("the header's columns entry is incomplete")
            data = self._path.with_name(name).read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                raise ValueError(f"{name} does not match the digest the state recorded")
            if len(body) != 8 * count:
                raise ValueError(f"{len(body)} bytes of values for {count} series")
            values = array("d")
            values.frombytes(body)
            if sys.byteorder == "big":
                values.byteswap()
            series = data.decode("utf-8", "surrogateescape").split("\n") if count else []
            if len(series) != count:
                raise ValueError(f"{name} holds {len(series)} series, not {count}")
        except (OSError, ValueError) as error:
            log.warning("saved counters cannot be used (%s); the first scrape is a baseline", error)
            return {"series": [], "values": [], "last_timestamp": None}
        return {"series": series, "values": values.tolist()}

    def _set_aside(self, reason: str) -> None:
        aside = self._path.with_name(self._path.name + ".corrupt")
        log.warning("state file %s %s; moved to %s, starting fresh", self._path, reason, aside)
        with contextlib.suppress(OSError):
            os.replace(self._path, aside)


def state_document(state: SavedState) -> dict[str, Any]:
    """The file's JSON object; the pending snapshot is kept as its wire JSON text."""
    pending = state.pending
    return {
        "format": STATE_FORMAT,
        "cluster_id": state.cluster_id,
        "saved_at": state.saved_at,
        "scraped_at": state.scraped_at,
        "collect": dict(state.collect),  # a copy: saving moves its columns out
        "pending": snapshot_json(pending).decode() if pending is not None else None,
    }


def state_from_document(document: dict[str, Any]) -> SavedState | None:
    """Read back :func:`state_document`; None for a layout this version does not know."""
    collect = document.get("collect")
    if document.get("format") not in (STATE_FORMAT, OLD_FORMAT) or not isinstance(collect, dict):
        log.warning("saved state has an unknown layout; starting fresh")
        return None
    saved_at = _seconds(document.get("saved_at"))
    pending = None
    text = document.get("pending")
    if isinstance(text, str):
        try:
            pending = SLOSnapshot.model_validate_json(text)
        except ValidationError as error:
            log.warning("the previous run's last snapshot is unreadable and is skipped: %s", error)
    return SavedState(
        cluster_id=str(document.get("cluster_id")),
        collect=collect,
        saved_at=saved_at,
        pending=pending,
        scraped_at=_seconds(document.get("scraped_at")),
    )


def _is_column(value: object) -> bool:
    return isinstance(value, list | tuple)


def _seconds(value: object) -> float | None:
    """A time in the file, or None when absent or not a number (a file of an earlier version)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
