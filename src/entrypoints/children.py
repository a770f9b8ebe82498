"""Child processes of ``meshslo demo``: start, watch, stop cleanly, and tell what went wrong."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1
# Settings a user may well want the demo's children to share; every other MESHSLO_* variable
# (a config file, another database, another prefix…) was meant for some other process.
PASSED_SETTINGS = frozenset({"MESHSLO_INGEST_TOKEN", "MESHSLO_READ_TOKEN", "MESHSLO_LOG_LEVEL"})


def child_environment(environ: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in environ.items() if not k.startswith("MESHSLO_") or k in PASSED_SETTINGS}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Linux: the child gets SIGTERM if the demo itself is killed without a chance to clean up.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process(process: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
    """``sig`` (unless it already exited), wait up to ``timeout``, then SIGKILL: returns the exit code."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


class Child:
    """One ``meshslo`` subcommand run as ``python -m entrypoints.cli``, its output in a log file."""

    def __init__(self, name: str, args: list[str], log_path: Path) -> None:
        self.name = name
        self.args = args
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", *self.args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own session: a Ctrl-C in the terminal reaches the demo only, which stops
                # the children in order instead of letting them race each other down.
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
                env=child_environment(dict(os.environ)),
            )

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def exit_code(self) -> int | None:
        """None while running (or never started)."""
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait, then SIGKILL: returns the exit code."""
        return None if self.process is None else stop_process(self.process, timeout=timeout)

    def tail(self, lines: int = 20) -> str:
        try:
            with self.log_path.open("rb") as log:
                last = deque(log, maxlen=lines)
        except OSError:
            return ""
        return b"".join(last).decode("utf-8", "replace")
