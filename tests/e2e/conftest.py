"""Fixtures shared by the agent's end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.e2e.agent_servers import Counter, MetricsEndpoint


@pytest.fixture
def metrics(counters: dict[str, Counter]) -> Iterator[MetricsEndpoint]:
    """A metrics endpoint serving the module's ``counters`` fixture."""
    with MetricsEndpoint(counters) as endpoint:
        yield endpoint
