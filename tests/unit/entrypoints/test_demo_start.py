"""``meshslo demo`` start-up: a busy port is refused before anything starts; a fresh agent state."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from entrypoints.demo_cmd import Demo, DemoSettings


class NeverStarted:
    """Stands in for a child: starting it is a test failure."""

    name = "child"

    def start(self) -> None:
        raise AssertionError("nothing may start when the port is taken")


def test_a_taken_port_is_refused_with_a_hint_and_nothing_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", 0))
        other_server.listen()
        port = other_server.getsockname()[1]
        demo = Demo(DemoSettings(demo_data_dir=tmp_path / "d", demo_port=port))
        demo.master = demo.simulator = demo.agent = NeverStarted()  # type: ignore[assignment]
        assert demo.run() == 1
    error = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in error
    assert "--port" in error
    assert "dashboard at" not in error
    assert not (tmp_path / "d").exists()


def test_each_run_starts_the_agent_from_a_fresh_state(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    state = data / "agent-state.json"
    state.write_text('{"counters": "of the previous simulator"}')
    demo = Demo(DemoSettings(demo_data_dir=data, demo_port=0, demo_start_timeout="0.1s"))
    assert str(state) in demo.agent.args
    demo.stop_requested.set()  # stop as soon as the children are started
    try:
        demo.run()
    finally:
        demo.shutdown()
    assert not state.exists()
