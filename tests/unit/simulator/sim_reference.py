"""A deliberately plain agent for checking the simulator's truth: SPEC §2.2–§2.4 on the rendered text.

It shares no code with the product's agent, so a disagreement with the truth
points at the simulator, not at both.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
WORKLOAD_LABELS = ("deployment", "statefulset", "daemonset")
EXCLUDED = {"linkerd", "linkerd-viz", "kube-system", "otel"}


_HEADS: dict[str, tuple[str, dict[str, str]]] = {}


def parse(body: str, prefix: str = "otel_") -> dict[str, tuple[str, dict[str, str], float]]:
    out: dict[str, tuple[str, dict[str, str], float]] = {}
    for line in body.split("\n"):
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        if "{" not in head or not head.endswith("}") or not head.startswith(prefix):
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        known = _HEADS.get(head)
        if known is None:
            name = head[: head.index("{")]
            known = _HEADS[head] = (name[len(prefix):], dict(LABEL.findall(head[len(name) + 1 : -1])))
        out[head] = (known[0], known[1], number)
    return out


def ms(le: str) -> str:
    if le == "+Inf":
        return le
    value = Decimal(le) * 1000
    return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")


class ReferenceAgent:
    def __init__(self, routes: list[dict[str, Any]]) -> None:
        self.previous: dict[str, float] = {}
        self.routes = routes
        self.totals: dict[tuple[str, ...], float] = defaultdict(float)

    def scrape(self, body: str) -> None:
        current = parse(body)
        deltas = []
        for identity, (family, labels, value) in current.items():
            if identity in self.previous:
                before = self.previous[identity]
                deltas.append((family, labels, value - before if value >= before else value))
        self.previous = {identity: value for identity, (_, _, value) in current.items()}
        self._aggregate(deltas)

    def _backend(self, labels: dict[str, str]) -> str:
        if "service_port" in labels:
            return f"{labels['namespace']}-{labels['service']}-{labels['service_port']}"
        ports = [r["service_port"] for r in self.routes
                 if r["namespace"] == labels["namespace"] and r["service_name"] == labels["service"]]
        suffix = f"-{min(ports)}" if ports else ""
        return f"{labels['namespace']}-{labels['service']}{suffix}"

    def _aggregate(self, deltas: list[tuple[str, dict[str, str], float]]) -> None:
        probes: dict[str, float] = defaultdict(float)
        pod_buckets: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for family, labels, delta in deltas:
            if family.startswith(("response_total", "response_latency_ms")):
                if labels.get("namespace") in EXCLUDED or labels.get("srv_port") == "4191":
                    continue
                workload = next((labels[k] for k in WORKLOAD_LABELS if k in labels), None)
                if workload is None:
                    continue
                wid = f"{labels['namespace']}/{workload}"
                if labels.get("route_name") == "probe":
                    probes[labels["pod"]] += delta
                    continue
                if labels["direction"] == "inbound":
                    if family == "response_total":
                        self.totals[("w", wid, "total")] += delta
                        self.totals[("w", wid, "tls")] += delta if labels["tls"] == "true" else 0
                        failed = labels["classification"] == "failure"
                        self.totals[("w", wid, "errors")] += delta if failed else 0
                    elif family == "response_latency_ms_bucket":
                        pod_buckets[(wid, labels["pod"])][labels["le"]] += delta
                    elif family == "response_latency_ms_sum":
                        self.totals[("w", wid, "sum")] += delta
                    continue
                dst = next((labels[f"dst_{k}"] for k in WORKLOAD_LABELS if f"dst_{k}" in labels), None)
                if dst is None:
                    continue
                eid = f"{wid}->{labels['dst_namespace']}/{dst}"
                if family == "response_total":
                    self.totals[("e", eid, "requests")] += delta
                    failed = labels["classification"] == "failure"
                    self.totals[("e", eid, "failures")] += delta if failed else 0
                elif family == "response_latency_ms_count":
                    self.totals[("e", eid, "count")] += delta
            elif family == "traefik_service_requests_total":
                key = labels["service"].split("@")[0]
                self.totals[("b", key, "total")] += delta
                self.totals[("b", key, "errors")] += delta if labels["code"].startswith("5") else 0
            elif family == "traefik_service_request_duration_seconds_bucket":
                self.totals[("b", labels["service"].split("@")[0], "bucket", ms(labels["le"]))] += delta
            elif family == "nginx_ingress_controller_requests_total":
                key = self._backend(labels)
                self.totals[("b", key, "total")] += delta
                self.totals[("b", key, "errors")] += delta if labels["status"].startswith("5") else 0
            elif family == "nginx_ingress_controller_request_duration_seconds_bucket":
                self.totals[("b", self._backend(labels), "bucket", ms(labels["le"]))] += delta
        # Probe compensation: per pod, probes come off every cumulative bucket, floored at 0.
        for (wid, pod), buckets in pod_buckets.items():
            for le, count in buckets.items():
                self.totals[("w", wid, "bucket", le)] += max(0.0, count - probes.get(pod, 0.0))
