"""Real processes for the end-to-end tests: a free port, a clean environment, start, wait, stop.

Every ``meshslo`` process is ``python -m entrypoints.cli …`` with no ``MESHSLO_*``
variable from the caller (settings come from those too) and its output in a log
file, shown when it dies too early or never gets ready.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from entrypoints.children import stop_process

ROOT = Path(__file__).resolve().parents[2]
SRC = str(ROOT / "src")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def local_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment less its ``MESHSLO_*`` settings, with ``src`` importable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESHSLO_")}
    env["PYTHONPATH"] = os.pathsep.join([SRC, env.get("PYTHONPATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "entrypoints.cli", *args]


def run(command: list[str], timeout: float = 60, env: dict[str, str] | None = None,
        cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run to its end, output captured as text."""
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env or clean_env(),
                          cwd=cwd)


@dataclass
class Proc:
    """One process in the background, its output (stdout and stderr) appended to ``log``."""

    name: str
    command: list[str]
    log: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with self.log.open("ab") as handle:
            # Own session: a signal meant for the test run does not reach the process as well.
            self.process = subprocess.Popen(self.command, stdout=handle, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=self.env or clean_env(),
                                            cwd=self.cwd, start_new_session=True)
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        return None if self.process is None else stop_process(self.process, sig, timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, url: str, timeout: float = 30) -> Proc:
        """Until GET ``url`` answers 200; fails with the log if the process exits or time runs out."""
        wait_until(lambda: httpx.get(url, timeout=2).status_code == 200, timeout, f"{self.name} at {url}",
                   [self])
        return self


def meshslo(name: str, args: list[str], log: Path, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> Proc:
    """``meshslo ARGS`` (not started yet)."""
    return Proc(name, cli_command(*args), log, env, cwd)


@contextmanager
def serving(proc: Proc, ready_url: str, timeout: float = 30) -> Iterator[Proc]:
    """``proc`` started and answering 200 at ``ready_url``; stopped afterwards."""
    proc.start()
    try:
        proc.wait_ready(ready_url, timeout)
        yield proc
    finally:
        proc.stop()


def wait_until(check: Callable[[], bool], timeout: float, what: str, procs: Sequence[Proc] = ()) -> None:
    """Until ``check()`` holds (an HTTP or socket error counts as not yet), while every ``procs`` runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        for proc in procs:
            if not proc.running():
                raise AssertionError(f"{proc.name} exited while waiting for {what}:\n{proc.output()[-4000:]}")
        time.sleep(0.2)
    logs = "".join(f"\n----- {proc.name}:\n{proc.output()[-4000:]}" for proc in procs)
    raise AssertionError(f"timed out waiting for {what}{logs}")
