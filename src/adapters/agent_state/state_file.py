"""``StateStore`` on one JSON file, replaced atomically (temp + fsync + rename).

A missing file is a first start. An unreadable one (truncated by a full
disk, edited by hand) is renamed ``<name>.corrupt`` and the agent starts
fresh with a warning: losing one interval beats refusing to run. A file of
another layout is ignored the same way, and a pending snapshot that cannot be
read is skipped while the counters are still restored.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from adapters.atomic_file import write_atomically
from adapters.master_client.snapshot_json import snapshot_json
from application.ports.delivery import SavedState
from domain.contract import SLOSnapshot

log = logging.getLogger(__name__)

STATE_FORMAT = 1


class StateFileError(Exception):
    """The state could not be written."""


class StateFile:
    def __init__(self, path: Path | str) -> None:
        self._path = Path(path)

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
        try:
            state = json.loads(raw)
        except ValueError as error:
            self._set_aside(f"not valid JSON ({error})")
            return None
        if not isinstance(state, dict):
            self._set_aside(f"holds a {type(state).__name__}, not an object")
            return None
        return state_from_document(state)

    def save(self, state: SavedState) -> None:
        # Counters may legitimately be NaN or ±Inf in an exposition; JSON's extension keeps them.
        data = json.dumps(state_document(state), separators=(",", ":"), allow_nan=True).encode()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self._path, data)
        except OSError as error:
            raise StateFileError(f"cannot write state file {self._path}: {error}") from error

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
        "collect": state.collect,
        "pending": snapshot_json(pending).decode() if pending is not None else None,
    }


def state_from_document(document: dict[str, Any]) -> SavedState | None:
    """Read back :func:`state_document`; None for a layout this version does not know."""
    collect = document.get("collect")
    if document.get("format") != STATE_FORMAT or not isinstance(collect, dict):
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


def _seconds(value: object) -> float | None:
    """A time in the file, or None when absent or not a number (a file of an earlier version)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
