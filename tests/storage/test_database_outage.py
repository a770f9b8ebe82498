"""A database that cannot be reached is ``StorageUnavailable`` naming it, logged once per outage."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from tests.storage.query_dataset import service_of

from adapters.storage.engine import make_engine
from adapters.storage.migrate import upgrade_to_head
from adapters.storage.outage import database_name
from application.ports.storage import StorageUnavailable


def _outage_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "adapters.storage.outage"]


def test_sqlite_outage_starts_and_ends_with_one_line_each(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    directory = tmp_path / "gone"
    url = f"sqlite:///{directory / 'meshslo.db'}"
    engine = make_engine(url)  # its directory does not exist: no connection can be opened
    service = service_of(engine)
    caplog.set_level(logging.INFO, logger="adapters.storage.outage")
    for _ in range(3):
        with pytest.raises(StorageUnavailable) as refused:
            service.clusters()
        assert str(refused.value) == f"database unavailable: sqlite:///{directory / 'meshslo.db'}"
    lines = _outage_lines(caplog)
    assert len(lines) == 1 and lines[0][0] == logging.WARNING
    assert "unable to open database file" in lines[0][1]
    directory.mkdir()
    upgrade_to_head(engine)
    assert service.clusters() == [] and service.clusters() == []
    lines = _outage_lines(caplog)
    assert [level for level, _ in lines] == [logging.WARNING, logging.INFO]
    assert lines[1][1].startswith(f"database reachable again: sqlite:///{directory}")
    engine.dispose()


def test_postgresql_without_a_server(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = make_engine(f"postgresql://meshslo:secret@127.0.0.1:{port}/meshslo")
    caplog.set_level(logging.INFO, logger="adapters.storage.outage")
    for _ in range(2):
        with pytest.raises(StorageUnavailable, match=rf"^database unavailable: postgresql://127.0.0.1:{port}/meshslo$"):
            service_of(engine).clusters()
    assert len(_outage_lines(caplog)) == 1 and "secret" not in caplog.text
    engine.dispose()


def test_names_never_carry_credentials() -> None:
    assert database_name(make_url("postgresql+psycopg://u:pw@db.example:6543/slo")) == "postgresql://db.example:6543/slo"
    assert database_name(make_url("postgresql://db.example/slo")) == "postgresql://db.example/slo"
    assert database_name(make_url("sqlite:////var/lib/meshslo.db")) == "sqlite:////var/lib/meshslo.db"
