import pytest
from pydantic import ValidationError

from entrypoints.master_settings import MasterSettings


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.startswith("MESHSLO_")]:
        monkeypatch.delenv(name)


def test_spec_defaults() -> None:
    settings = MasterSettings()
    assert settings.raw_retention == 48 * 3600
    assert settings.hourly_retention == 90 * 86400
    assert settings.max_body == 8 * 1024 * 1024


def test_raw_retention_must_outlive_the_hourly_rollup() -> None:
    with pytest.raises(ValidationError) as caught:
        MasterSettings(raw_retention="2h")
    [error] = caught.value.errors()
    assert error["loc"] == ("raw_retention",)
    assert "at least 3h" in error["msg"]
    assert MasterSettings(raw_retention="3h").raw_retention == 3 * 3600


def test_hourly_retention_may_not_be_shorter_than_raw() -> None:
    with pytest.raises(ValidationError) as caught:
        MasterSettings(raw_retention="48h", hourly_retention="1d")
    [error] = caught.value.errors()
    assert error["loc"] == ("hourly_retention",)
    assert "--raw-retention" in error["msg"]
    assert MasterSettings(raw_retention="48h", hourly_retention="2d").hourly_retention == 2 * 86400


def test_body_timeout_has_a_flag_an_environment_variable_and_a_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from entrypoints.config import load_settings

    assert MasterSettings().body_timeout == 10
    assert load_settings(MasterSettings, ["--body-timeout", "2.5s"], "meshslo master").body_timeout == 2.5
    monkeypatch.setenv("MESHSLO_BODY_TIMEOUT", "1m")
    assert load_settings(MasterSettings, [], "meshslo master").body_timeout == 60
    with pytest.raises(ValidationError) as caught:
        MasterSettings(body_timeout="0s")
    assert caught.value.errors()[0]["loc"] == ("body_timeout",)
