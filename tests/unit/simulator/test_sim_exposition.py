"""Rendering: label escaping, values, families, and malformed lines kept apart from good ones."""

from __future__ import annotations

import random

from adapters.exposition.parser import ExpositionParser
from adapters.simulator.exposition import (
    Family,
    format_value,
    garbage_lines,
    render,
    render_labels,
    with_garbage,
)


def test_awkward_label_values_survive_a_round_trip_through_the_parser() -> None:
    awkward = 'a "quoted" \\ back\nslash, {brace}'
    family = Family("otel_traefik_service_requests_total", "counter", "requests")
    labels = (("service", "ns-svc-80@kubernetes"), ("code", "200"), ("method", awkward))
    family.sample(family.name, render_labels(labels), 7)
    scrape = ExpositionParser("otel_").parse([render([family]).encode()], timestamp=1.0)
    ((series, value),) = scrape.samples
    assert value == 7 and series.labels["method"] == awkward and scrape.stats.malformed_lines == 0


def test_labels_are_sorted_and_values_exact() -> None:
    assert render_labels((("b", "2"), ("a", "1"))) == 'a="1",b="2"'
    values = (3, 3.0, 0.125, 1e16, 2.5e-05)
    assert [format_value(v) for v in values] == ["3", "3", "0.125", "1e+16", "2.5e-05"]


def test_garbage_goes_between_lines_and_every_line_of_it_is_malformed() -> None:
    body = "# TYPE otel_response_total counter\n" + "".join(
        f'otel_response_total{{direction="inbound",namespace="shop",deployment="a",pod="p{i}"}} {i}\n'
        for i in range(50))
    mixed = with_garbage(body, "otel_", random.Random(3))
    assert set(body.splitlines()) <= set(mixed.splitlines())
    assert len(mixed.splitlines()) == len(body.splitlines()) + len(garbage_lines("otel_"))
    scrape = ExpositionParser("otel_").parse([mixed.encode()], timestamp=1.0)
    assert len(scrape.samples) == 50
    relevant_garbage = [g for g in garbage_lines("otel_") if g.startswith("otel_")]
    assert scrape.stats.malformed_lines >= len(relevant_garbage)
