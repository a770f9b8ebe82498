"""``--listen`` parsing, shared by the agent and the master."""

from __future__ import annotations

import pytest

from entrypoints.listen import parse_listen


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.0.0.0:9464", ("0.0.0.0", 9464)), (":9464", ("0.0.0.0", 9464)), ("[::1]:80", ("::1", 80)),
     ("", None), ("  ", None)],
)
def test_parse_listen(value: str, expected: tuple[str, int] | None) -> None:
    assert parse_listen(value) == expected


@pytest.mark.parametrize("value", ["9464", "host:", "host:99999", "host:http"])
def test_parse_listen_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen(value)
