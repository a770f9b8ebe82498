"""The README's configuration reference names every flag and variable the processes accept, and no other."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from entrypoints.agent_settings import AgentSettings
from entrypoints.config import ProcessSettings, env_of, flag_of
from entrypoints.demo_cmd import DemoSettings
from entrypoints.master_settings import MasterSettings
from entrypoints.simulate_cmd import SimulateSettings

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def table_rows(command: str) -> list[str]:
    section = README.split(f"### `meshslo {command}`", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `--")]


@pytest.mark.parametrize(("command", "settings"), [("agent", AgentSettings), ("master", MasterSettings),
                                                   ("demo", DemoSettings), ("simulate", SimulateSettings)])
def test_reference_table_matches_the_settings(command: str, settings: type[ProcessSettings]) -> None:
    rows = table_rows(command)
    documented = {re.findall(r"`(MESHSLO_\w+)`", row)[0]: row for row in rows}
    assert set(documented) == {env_of(name) for name in settings.model_fields}
    for name, field in settings.model_fields.items():
        assert f"`{flag_of(name, field)}`" in documented[env_of(name)], name
