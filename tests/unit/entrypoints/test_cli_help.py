"""What a new user sees first: ``--version``, the defaults in ``--help``, flag errors."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from entrypoints import cli
from entrypoints.agent_settings import AgentSettings
from entrypoints.config import build_parser, format_duration, load_settings, parse_duration
from entrypoints.master_settings import MasterSettings


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"meshslo {version('meshslo')}"
    assert "--version" in cli.usage()


def master_help() -> str:
    # Wide enough that argparse keeps each option's help on one line.
    return " ".join(build_parser(MasterSettings, "meshslo master", "").format_help().split())


def test_help_prints_durations_as_typed_and_none_for_no_value() -> None:
    text = master_help()
    assert "[env MESHSLO_STATUS_INTERVAL; default 1m]" in text
    assert "[env MESHSLO_AGGREGATE_INTERVAL; default 5m]" in text
    assert "[env MESHSLO_RAW_RETENTION; default 48h]" in text
    assert "[env MESHSLO_INGEST_TOKEN; default none]" in text
    assert "None" not in text
    assert ".0]" not in text
    assert "[env MESHSLO_DEFAULT_P95_MS; default 300]" in text


def test_agent_interval_default_is_in_seconds() -> None:
    text = " ".join(build_parser(AgentSettings, "meshslo agent", "").format_help().split())
    assert "[env MESHSLO_INTERVAL; default 30s]" in text


def test_listen_help_says_a_bare_port_listens_everywhere() -> None:
    assert "a bare :PORT listens on every interface (0.0.0.0)" in master_help()


@pytest.mark.parametrize(
    ("seconds", "text"), [(30.0, "30s"), (300.0, "5m"), (3600, "1h"), (172800, "2d"), (90, "90s"),
                          (0.5, "500ms"), (0, "0s"), (1.5, "1500ms")],
)
def test_durations_print_in_the_largest_exact_unit(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "argv", [["--status-interval", "-1m"], ["--status-interval=-1m"], ["--status-interval", "-5"]]
)
def test_a_negative_duration_flag_exits_2_naming_the_flag(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        load_settings(MasterSettings, argv, "meshslo master")
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "--status-interval / MESHSLO_STATUS_INTERVAL" in error
    assert "negative" in error
    assert "expected one argument" not in error


def test_a_negative_duration_in_the_environment_is_refused_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MESHSLO_STATUS_INTERVAL", "-30s")
    with pytest.raises(SystemExit) as stopped:
        load_settings(MasterSettings, [], "meshslo master")
    assert stopped.value.code == 2
    assert "MESHSLO_STATUS_INTERVAL: '-30s' is negative" in capsys.readouterr().err


def test_an_option_after_a_value_flag_is_still_an_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        load_settings(MasterSettings, ["--status-interval", "--help"], "meshslo master")
    assert stopped.value.code == 2
    assert "expected one argument" in capsys.readouterr().err
