"""``meshslo agent`` start-up refusals: unusable spool, routes or listen address exit 2 with a reason."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from entrypoints import agent_cmd

BASE = ["--cluster-id", "c1", "--health-url", "", "--interval", "1", "--cycles", "1"]


@pytest.fixture(autouse=True)
def _no_kube(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("KUBERNETES_SERVICE_HOST", "MESHSLO_CONFIG", "MESHSLO_KUBECONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    # The process-wide logging set-up would outlive the test and write to a closed capture.
    monkeypatch.setattr(agent_cmd, "configure_logging", lambda level: None)


def test_spool_directory_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "spool"
    blocker.write_text("not a directory")
    code = agent_cmd.run([*BASE, "--routes", "none", "--listen", "", "--spool-dir", str(blocker)])
    assert code == 2
    assert "cannot start" in capsys.readouterr().err


def test_kubernetes_routes_without_any_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool = str(tmp_path / "s")
    code = agent_cmd.run([*BASE, "--routes", "kubernetes", "--listen", "", "--spool-dir", spool])
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot start" in err and "kubeconfig" in err


def test_listen_address_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = agent_cmd.run([*BASE, "--routes", "none", "--listen", f"127.0.0.1:{port}",
                              "--spool-dir", str(tmp_path / "s")])
    assert code == 2
    assert "cannot start" in capsys.readouterr().err
