"""A bounded on-disk FIFO of snapshots that the master has not taken yet.

One file per snapshot, named by a zero-padded sequence number so that names
sort in arrival order. Every file is written to a temporary name, fsynced and
renamed, so a crash leaves either the whole snapshot or nothing. The directory
is re-read on start: a restarted agent resends what its predecessor spooled.
Unreadable files are moved to ``corrupt/`` (the newest few kept for a human to
look at) instead of blocking the queue.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

from pydantic import ValidationError

from adapters.atomic_file import TEMP_PREFIX, write_atomically
from adapters.master_client.snapshot_json import snapshot_json
from application.ports.delivery import SpooledSnapshot, SpoolError
from domain.contract import SLOSnapshot

log = logging.getLogger(__name__)

SUFFIX = ".json"
CORRUPT_DIR = "corrupt"
LOCK_FILE = ".lock"
KEEP_CORRUPT = 50
SEQUENCE_DIGITS = 20
_NAME = re.compile(rf"^(\d{{{SEQUENCE_DIGITS}}}){re.escape(SUFFIX)}$")


class DiskSpool:
    """The ``SnapshotSpool`` port on a directory; at most ``max_items`` snapshots, oldest dropped first."""

    def __init__(self, directory: Path | str, max_items: int) -> None:
        if max_items < 1:
            raise ValueError(f"spool bound must be at least 1, got {max_items}")
        self._dir = Path(directory)
        self._max = max_items
        self._dropped = 0
        self._corrupt = 0
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SpoolError(f"cannot create spool directory {self._dir}: {error}") from error
        self._lock_fd: int | None = self._lock()
        self._sequences: list[int] = self._scan()
        self._next = (self._sequences[-1] + 1) if self._sequences else 1
        if self._sequences:
            log.info("spool %s holds %d snapshot(s) from a previous run", self._dir, len(self._sequences))
        self._enforce_bound()

    @property
    def directory(self) -> Path:
        return self._dir

    @property
    def max_items(self) -> int:
        return self._max

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def corrupt(self) -> int:
        return self._corrupt

    def __len__(self) -> int:
        return len(self._sequences)

    def close(self) -> None:
        """Release the directory for another agent (also done by the OS when the process ends)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _lock(self) -> int | None:
        # Two agents draining one directory would send snapshots twice and
        # interleave their sequence numbers: the second one is refused at start.
        try:
            import fcntl
        except ImportError:  # no advisory locks on this platform
            return None
        path = self._dir / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise SpoolError(f"cannot open {path}: {error}") from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise SpoolError(
                f"spool directory {self._dir} is in use by another agent (pid {holder}); "
                "give each agent its own --spool-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        return fd

    def append(self, snapshot: SLOSnapshot) -> None:
        sequence = self._next
        try:
            write_atomically(self._path(sequence), snapshot_json(snapshot))
        except OSError as error:
            raise SpoolError(f"cannot write to spool {self._dir}: {error}") from error
        self._next = sequence + 1
        self._sequences.append(sequence)
        self._enforce_bound()

    def oldest(self) -> SpooledSnapshot | None:
        while self._sequences:
            sequence = self._sequences[0]
            path = self._path(sequence)
            try:
                snapshot = SLOSnapshot.model_validate_json(path.read_bytes())
            except FileNotFoundError:
                log.warning("spooled snapshot %s vanished; skipping it", path)
                self._sequences.pop(0)
                continue
            except (OSError, ValueError, ValidationError) as error:
                self._move_aside(path, error)
                self._sequences.pop(0)
                continue
            return SpooledSnapshot(ref=path.name, snapshot=snapshot)
        return None

    def remove(self, item: SpooledSnapshot) -> None:
        match = _NAME.match(item.ref)
        if match is None:
            raise ValueError(f"{item.ref!r} is not a spool entry")
        sequence = int(match.group(1))
        try:
            self._path(sequence).unlink()
        except FileNotFoundError:
            pass
        except OSError as error:
            # Forgotten here all the same: a restart may send it again, which the master ignores.
            log.error("cannot delete delivered snapshot %s (%s)", self._path(sequence), error)
        with contextlib.suppress(ValueError):
            self._sequences.remove(sequence)

    def _path(self, sequence: int) -> Path:
        return self._dir / f"{sequence:0{SEQUENCE_DIGITS}d}{SUFFIX}"

    def _scan(self) -> list[int]:
        sequences = []
        for entry in self._dir.iterdir():
            if entry.name.startswith(TEMP_PREFIX):
                # A write interrupted by a crash: never renamed, so never acknowledged.
                with contextlib.suppress(OSError):
                    entry.unlink()
                continue
            match = _NAME.match(entry.name)
            if match and entry.is_file():
                sequences.append(int(match.group(1)))
        sequences.sort()
        return sequences

    def _enforce_bound(self) -> None:
        while len(self._sequences) > self._max:
            sequence = self._sequences.pop(0)
            with contextlib.suppress(FileNotFoundError):
                self._path(sequence).unlink()
            self._dropped += 1
            log.warning(
                "spool %s is full (%d snapshots): dropped the oldest, %s (%d dropped so far)",
                self._dir, self._max, self._path(sequence).name, self._dropped,
            )

    def _move_aside(self, path: Path, error: Exception) -> None:
        self._corrupt += 1
        corrupt_dir = self._dir / CORRUPT_DIR
        log.error("spooled snapshot %s is unreadable (%s); moving it to %s", path, error, corrupt_dir)
        try:
            corrupt_dir.mkdir(exist_ok=True)
            os.replace(path, corrupt_dir / path.name)
            kept = sorted(corrupt_dir.iterdir())
            for old in kept[:-KEEP_CORRUPT]:
                old.unlink()
        except OSError as move_error:
            log.error("cannot move %s aside (%s); deleting it", path, move_error)
            with contextlib.suppress(OSError):
                path.unlink()
