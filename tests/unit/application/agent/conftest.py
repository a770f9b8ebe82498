"""Fixtures shared by the delivery tests: a fake master and a real spool in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.application.agent.delivery_fakes import FakeMasterClient

from adapters.master_client.spool import DiskSpool


@pytest.fixture
def master() -> FakeMasterClient:
    return FakeMasterClient()


@pytest.fixture
def spool(tmp_path: Path) -> DiskSpool:
    return DiskSpool(tmp_path / "spool", max_items=100)
