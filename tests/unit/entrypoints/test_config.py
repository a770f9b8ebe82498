from pathlib import Path

import pytest
from pydantic import Field

from entrypoints.config import ByteSize, CommaList, Duration, ProcessSettings, load_settings, parse_duration


class ExampleSettings(ProcessSettings):
    cluster_id: str = Field(description="cluster name")
    interval: Duration = 30.0
    exclude_namespaces: CommaList = Field(default_factory=lambda: ["linkerd", "kube-system"])
    probe_compensation: bool = True
    agent_listen: str = Field("0.0.0.0:9464", json_schema_extra={"flag": "--listen"})
    max_body: ByteSize = 8 * 1024 * 1024


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLUSTER_ID", "INTERVAL", "EXCLUDE_NAMESPACES", "PROBE_COMPENSATION", "AGENT_LISTEN",
                 "MAX_BODY", "CONFIG"):
        monkeypatch.delenv(f"MESHSLO_{name}", raising=False)


def test_flags_win_over_environment_which_wins_over_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text("cluster_id: from-file\ninterval: 5s\nmax_body: 1KiB\nexclude_namespaces: [a]\n")
    monkeypatch.setenv("MESHSLO_INTERVAL", "1m")
    monkeypatch.setenv("MESHSLO_EXCLUDE_NAMESPACES", "x, y")
    settings = load_settings(ExampleSettings, ["--config", str(config), "--interval", "2.5"], "test")
    assert settings.cluster_id == "from-file"
    assert settings.interval == 2.5
    assert settings.exclude_namespaces == ["x", "y"]
    assert settings.max_body == 1024


def test_toml_file_and_custom_flag_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "agent.toml"
    config.write_text('cluster_id = "toml"\nprobe_compensation = false\n')
    settings = load_settings(ExampleSettings, ["--config", str(config), "--listen", ":9999"], "test")
    assert settings.cluster_id == "toml"
    assert settings.probe_compensation is False
    assert settings.agent_listen == ":9999"
    monkeypatch.setenv("MESHSLO_AGENT_LISTEN", "")
    assert load_settings(ExampleSettings, ["--cluster-id", "c"], "test").agent_listen == ""


def test_boolean_flags_have_a_negative_form() -> None:
    on = load_settings(ExampleSettings, ["--cluster-id", "c", "--probe-compensation"], "test")
    off = load_settings(ExampleSettings, ["--cluster-id", "c", "--no-probe-compensation"], "test")
    assert on.probe_compensation and not off.probe_compensation


def test_invalid_values_exit_2_naming_flag_and_env(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        load_settings(ExampleSettings, ["--interval", "soon"], "meshslo agent")
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--interval / MESHSLO_INTERVAL" in err and "not a duration" in err
    assert "--cluster-id / MESHSLO_CLUSTER_ID: Field required" in err


def test_missing_config_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        load_settings(ExampleSettings, ["--config", str(tmp_path / "nope.yaml")], "test")
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "seconds"), [("30", 30), ("30s", 30), ("5m", 300), ("48h", 172800),
                                               ("90d", 7776000), ("0.5", 0.5), ("250ms", 0.25)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
