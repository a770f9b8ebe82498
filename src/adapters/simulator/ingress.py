"""Series of the simulated ingress controllers, and the unrelated families every source writes."""

from __future__ import annotations

from collections.abc import Callable

from adapters.simulator.scenario import Backend
from adapters.simulator.series import CounterSeries, HistogramSeries, Labels
from adapters.simulator.source import Source
from domain import families


def ingress_series(
    backend: Backend, replica: Source, code: str, method: str, bounds: tuple[float, ...], nginx_requests: str
) -> tuple[CounterSeries, HistogramSeries]:
    """The requests counter and duration histogram of one controller replica for one request kind,
    labelled as Traefik or ingress-nginx label them."""
    if backend.controller == "traefik":
        labels: Labels = (*replica.base_labels, ("service",
                          f"{backend.namespace}-{backend.service}-{backend.port}@{backend.provider}"),
                          ("code", code), ("method", method), ("protocol", "http"))
        return (replica.counter(families.TRAEFIK_REQUESTS, labels),
                replica.histogram(families.TRAEFIK_DURATION, labels, bounds))
    port = (("service_port", str(backend.port)),) if backend.port_label else ()
    labels = (*replica.base_labels, ("canary", ""), ("host", backend.host),
              ("ingress", backend.ingress), ("method", method),
              ("namespace", backend.namespace), ("path", backend.path),
              ("service", backend.service), *port, ("status", code))
    return replica.counter(nginx_requests, labels), replica.histogram(families.NGINX_DURATION, labels, bounds)


def add_noise(source: Source, count: Callable[[float], int]) -> None:
    """Families the agent must ignore: they share prefixes and labels with the real ones."""
    if source.kind == "proxy":
        inbound = (*source.base_labels, ("direction", "inbound"))
        source.counter("request_total", inbound).add(count(10))
        source.counter("tcp_open_total", inbound).add(count(2))
        source.counter("route_response_total", (*inbound, ("rt_route", "GET /"), ("status_code", "200"),
                                                ("classification", "success"))).add(count(5))
    elif source.kind == "traefik":
        source.counter("traefik_entrypoint_requests_total", (*source.base_labels, ("code", "200"),
                                                             ("entrypoint", "websecure"),
                                                             ("method", "GET"), ("protocol", "http"))
                       ).add(count(50))
    source.counter("process_cpu_seconds_total", source.base_labels).add(count(1))
