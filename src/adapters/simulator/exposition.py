"""Prometheus text exposition as the OpenTelemetry Collector's ``prometheus`` exporter writes it."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from adapters.simulator.series import Labels


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def render_labels(labels: Labels) -> str:
    """``{a="1",b="2"}`` with labels sorted by name, as client_golang writes them."""
    return ",".join(f'{name}="{escape(value)}"' for name, value in sorted(labels))


def format_value(value: float) -> str:
    if isinstance(value, int) or (value == int(value) and abs(value) < 1e15):
        return str(int(value))
    return repr(float(value))


@dataclass
class Family:
    name: str  # with prefix
    type: str  # counter / histogram / gauge
    help: str
    lines: list[str] = field(default_factory=list)

    def sample(self, name: str, labels: str, value: float) -> None:
        self.lines.append(f"{name}{{{labels}}} {format_value(value)}")


def render(families: Iterable[Family]) -> str:
    out: list[str] = []
    for family in families:
        if not family.lines:
            continue
        out.append(f"# HELP {family.name} {family.help}")
        out.append(f"# TYPE {family.name} {family.type}")
        out.extend(family.lines)
    out.append("")
    return "\n".join(out)


def garbage_lines(prefix: str) -> list[str]:
    """Lines no parser may take for a sample: unterminated label sets, missing or bad values."""
    return [
        f'{prefix}response_total{{direction="inbound",namespace="shop",deployment="frontend"',
        f'{prefix}response_total{{direction="inbound",namespace="shop",deployment="frontend",'
        'status_code="200",classification="success",tls="true"} twelve',
        f'{prefix}response_latency_ms_bucket{{direction="inbound",namespace="shop",le="+Inf"}} ',
        f'{prefix}traefik_service_requests_total{{service="shop-frontend-80@kubernetescrd",code="200"',
        f'{prefix}nginx_ingress_controller_requests_total{{namespace="payments"}} 1e+ 12',
        "�� not a metric at all ��",
        '{direction="inbound"} 5',
    ]


def with_garbage(body: str, prefix: str, rng: random.Random) -> str:
    """Mix malformed lines between the sample lines, never inside one."""
    lines = body.split("\n")
    for bad in garbage_lines(prefix):
        lines.insert(rng.randrange(len(lines)), bad)
    return "\n".join(lines)
