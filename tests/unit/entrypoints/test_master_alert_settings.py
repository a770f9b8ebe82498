"""The alerting settings of ``meshslo master`` (SPEC §11): names, defaults, validation at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from entrypoints.config import load_settings
from entrypoints.master_settings import MasterSettings


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.startswith("MESHSLO_")]:
        monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = MasterSettings()
    assert settings.alert_interval == 60 and settings.alertmanager_url == []
    assert settings.alert_webhook_url is None and settings.alert_min_bad_events == 3
    assert settings.alert_on_defaults is False
    assert settings.dashboard_url == "http://127.0.0.1:8080/"


def test_flags_environment_and_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MESHSLO_ALERTMANAGER_URL", "http://am-1:9093, http://am-2:9093")
    monkeypatch.setenv("MESHSLO_ALERT_INTERVAL", "30s")
    config = tmp_path / "master.yaml"
    config.write_text("alert_webhook_url: https://hooks.example/meshslo\nalert_min_bad_events: 5\n")
    argv = ["--config", str(config), "--alert-on-defaults", "--public-url", "https://slo.example/",
            "--alert-interval", "15s"]
    settings = load_settings(MasterSettings, argv, prog="meshslo master")
    assert settings.alertmanager_url == ["http://am-1:9093", "http://am-2:9093"]
    assert settings.alert_interval == 15  # the flag wins over the environment
    assert settings.alert_webhook_url == "https://hooks.example/meshslo"
    assert settings.alert_min_bad_events == 5 and settings.alert_on_defaults is True
    assert settings.dashboard_url == "https://slo.example/"


@pytest.mark.parametrize(("field", "value"), [
    ("alertmanager_url", "am-1:9093"), ("alert_webhook_url", "ftp://hooks"), ("public_url", "slo.example"),
    ("alert_interval", "0s"), ("alert_min_bad_events", 0),
])
def test_invalid_values_are_refused_at_start(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        MasterSettings(**{field: value})
    assert caught.value.errors()[0]["loc"] == (field,)


def test_empty_values_mean_unset() -> None:
    settings = MasterSettings(alert_webhook_url="", public_url="", alertmanager_url="")
    assert settings.alert_webhook_url is None and settings.alertmanager_url == []
    assert settings.dashboard_url == "http://127.0.0.1:8080/"
