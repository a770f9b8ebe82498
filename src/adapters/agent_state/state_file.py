"""``StateStore`` on one JSON file, replaced atomically (temp + fsync + rename).

A missing file is a first start. An unreadable one (truncated by a full
disk, edited by hand) is renamed ``<name>.corrupt`` and the agent starts
fresh with a warning: losing one interval beats refusing to run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from adapters.atomic_file import write_atomically

log = logging.getLogger(__name__)


class StateFileError(Exception):
    """The state could not be written."""


class StateFile:
    def __init__(self, path: Path | str) -> None:
        self._path = Path(path)

    @property
    def path(self) -> Path:
        return self._path

    def load(self) -> dict[str, Any] | None:
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
        return state

    def save(self, state: dict[str, Any]) -> None:
        # Counters may legitimately be NaN or ±Inf in an exposition; JSON's extension keeps them.
        data = json.dumps(state, separators=(",", ":"), allow_nan=True).encode()
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
