"""The simulated cluster: deterministic traffic, pod churn, restarts, and exact ground truth.

One call to :meth:`ClusterModel.advance` is one step: lifecycle events first
(pods that were seen draining vanish, scheduled restarts and rollouts), then
one step of traffic. :meth:`ClusterModel.render` shows the state after the
step; :meth:`ClusterModel.observed` tells the model the client received that
scrape in full. The model only makes changes an agent can recover from the
scrapes it actually receives:

- restarts happen only right after a received scrape (the agent holds the
  pre-restart values) and the restarted series stay below them until seen
  again (see :mod:`adapters.simulator.series`);
- new series appear at 0 and count only once seen;
- a vanishing pod stops counting first and disappears only after a received
  scrape showed its final values.

So with scrapes failing in between, the next received scrape still covers the
gap, and truth between any two received scrapes is exact.
"""

from __future__ import annotations

import math
import random
from collections import deque
from decimal import Decimal

from adapters.simulator.incident import Incident, incident_outcomes
from adapters.simulator.ingress import add_noise, ingress_series
from adapters.simulator.scenario import (
    ADMIN_PORT,
    LINKERD_BOUNDS_MS,
    NGINX_BOUNDS_S,
    PROBE_LATENCY_MS,
    TRAEFIK_BOUNDS_S,
    Backend,
    Latency,
    Outcome,
    Scenario,
    Workload,
    backend_key,
    default_scenario,
)
from adapters.simulator.series import HistogramSeries, Labels
from adapters.simulator.source import Source
from adapters.simulator.truth import StepTruth, Truth, linkerd_bucket_keys, truth_between
from adapters.simulator.writer import ExpositionWriter
from domain import families
from domain.contract import INF_KEY
from domain.histogram import format_bound

INF = math.inf
METHODS = (("GET", 70), ("POST", 20), ("PUT", 4), ("DELETE", 3), ("PATCH", 2), ("OPTIONS", 1))
IDENTITY = "{sa}.{ns}.serviceaccount.identity.linkerd.cluster.local"


def ms_key(seconds_text: str) -> str:
    """A bound in seconds as the agent keys it in milliseconds, exactly (``"0.3"`` → ``"300"``)."""
    value = Decimal(seconds_text) * 1000
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _quantise(value: float, step: float) -> float:
    # Dyadic steps keep sums of observations exact in binary floating point.
    return max(step, round(value / step) * step)


class ClusterModel:
    def __init__(
        self,
        seed: int = 1,
        scenario: Scenario | None = None,
        prefix: str = "otel_",
        restart_every: int = 4,
        rollout_every: int = 9,
        controller_restart_every: int = 7,
        warmup_steps: int = 3,
        history: int = 720,
        traffic_scale: float = 1.0,
        incident: Incident | None = None,
    ) -> None:
        self.scenario = scenario or default_scenario()
        self.prefix = prefix
        self.rng = random.Random(seed)
        self.restart_every = restart_every
        self.rollout_every = rollout_every
        self.controller_restart_every = controller_restart_every
        self.traffic_scale = traffic_scale
        self.incident = incident
        self.step = 0
        self.first_observed: int | None = None
        self.last_observed: int | None = None
        self.sources: list[Source] = []
        self._pending_restarts: list[Source] = []
        # Per-step truth is kept for the last ``history`` steps only (tens of KB each).
        self._steps: deque[tuple[int, StepTruth]] = deque(maxlen=history)
        self._truth_keys: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._pod_counter = 0
        self.restart_count = 0  # restarts done (not merely scheduled)
        self.rollout_count = 0
        self._writer: ExpositionWriter | None = None
        self._linkerd_bounds = (*map(float, LINKERD_BOUNDS_MS), INF)
        self._linkerd_le = [format_bound(b) for b in self._linkerd_bounds]
        self._ingress_bounds = {
            "traefik": ((*map(float, TRAEFIK_BOUNDS_S), INF), [*TRAEFIK_BOUNDS_S, INF_KEY]),
            "nginx": ((*map(float, NGINX_BOUNDS_S), INF), [*NGINX_BOUNDS_S, INF_KEY]),
        }
        self._ingress_ms_keys = {c: [ms_key(t) for t in texts[:-1]] + [INF_KEY]
                                 for c, (_, texts) in self._ingress_bounds.items()}
        # The collector's exporter appends _total to counters; without a prefix the endpoint
        # stands for a controller scraped directly, which names the family without it.
        self._nginx_requests = families.NGINX_REQUESTS_TOTAL if prefix else families.NGINX_REQUESTS
        self._backend_keys = {b: backend_key(b, self.scenario.routes) for b in self.scenario.backends}
        self._callers = self._callers_by_workload()
        self._build()
        self._warm_up(warmup_steps)

    # ------------------------------------------------------------------ building

    def _callers_by_workload(self) -> dict[str, list[str]]:
        callers: dict[str, list[str]] = {w.id: [] for w in self.scenario.workloads}
        for edge in self.scenario.edges:
            if not edge.external:
                callers[edge.dst].append(edge.src)
        return callers

    def _random_name(self, length: int) -> str:
        return "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(length))

    def _ip(self) -> str:
        self._pod_counter += 1
        return f"10.42.{self._pod_counter // 250}.{self._pod_counter % 250 + 2}"

    def _new_proxy(self, workload: Workload, ordinal: int, template_hash: str) -> Source:
        if workload.kind == "statefulset":
            pod = f"{workload.name}-{ordinal}"
        elif workload.kind == "daemonset":
            pod = f"{workload.name}-{self._random_name(5)}"
        else:
            pod = f"{workload.name}-{template_hash}-{self._random_name(5)}"
        labels: list[tuple[str, str]] = [
            ("namespace", workload.namespace), ("pod", pod), (workload.kind, workload.name),
            ("job", "linkerd-proxy"), ("instance", f"{self._ip()}:4191"),
        ]
        if workload.kind == "deployment":
            labels.append(("pod_template_hash", template_hash))
        return Source(pod, "proxy", workload.id, tuple(labels))

    def _build(self) -> None:
        for workload in self.scenario.workloads:
            template_hash = self._random_name(10)
            for ordinal in range(workload.replicas):
                self.sources.append(self._new_proxy(workload, ordinal, template_hash))
        for bare in self.scenario.unlabelled_pods:
            namespace, pod = bare.split("/")
            labels = (("namespace", namespace), ("pod", pod), ("job", "linkerd-proxy"),
                      ("instance", f"{self._ip()}:4191"))
            self.sources.append(Source(pod, "proxy", "", labels))
        for controller in ("traefik", "nginx"):
            if any(b.controller == controller for b in self.scenario.backends):
                for _ in range(self.scenario.controller_replicas):
                    self.sources.append(self._new_controller(controller))

    def _new_controller(self, controller: str) -> Source:
        if controller == "traefik":
            pod = f"traefik-{self._random_name(9)}-{self._random_name(5)}"
            labels = (("job", "traefik"), ("instance", f"{self._ip()}:9100"), ("pod", pod))
        else:
            pod = f"ingress-nginx-controller-{self._random_name(9)}-{self._random_name(5)}"
            labels = (("job", "ingress-nginx"), ("instance", f"{self._ip()}:10254"),
                      ("controller_pod", pod), ("controller_namespace", "ingress-nginx"),
                      ("controller_class", "k8s.io/ingress-nginx"))
        return Source(pod, controller, controller, labels)

    def _warm_up(self, steps: int) -> None:
        """Give counters a history, as in a cluster that ran long before the agent came."""
        for _ in range(steps):
            self._traffic(StepTruth(), record=False)

    # ------------------------------------------------------------------ stepping

    def advance(self) -> int:
        self.step += 1
        self._lifecycle()
        truth = StepTruth(self._truth_keys)
        self._traffic(truth, record=True)
        self._steps.append((self.step, truth))
        return self.step

    def observed(self, step: int) -> None:
        """The client received the scrape of ``step`` in full."""
        if step != self.step:
            return  # the model moved on since; that scrape no longer shows the current values
        for source in self.sources:
            source.seen()
        self.last_observed = step
        if self.first_observed is None:
            self.first_observed = step

    def _lifecycle(self) -> None:
        previous_seen = self.last_observed == self.step - 1
        self.sources = [s for s in self.sources if not s.drain_seen]
        if self.rollout_every and self.step % self.rollout_every == 0:
            self._rollout()
        if self.restart_every and self.step % self.restart_every == 0:
            self._schedule_restart("proxy")
        if self.controller_restart_every and self.step % self.controller_restart_every == 0:
            self._schedule_restart("traefik", "nginx")
        if previous_seen and self._pending_restarts:
            for source in self._pending_restarts:
                if source in self.sources and not source.draining and not source.capped:
                    source.restart()
                    self.restart_count += 1
            self._pending_restarts = []

    def _schedule_restart(self, *kinds: str) -> None:
        candidates = [s for s in self.sources if s.kind in kinds and not s.draining and s.workload]
        if candidates:
            self._pending_restarts.append(self.rng.choice(candidates))

    def _rollout(self) -> None:
        """Replace one pod of a deployment or daemonset: the old one drains, a new one appears."""
        movable = [w for w in self.scenario.workloads if w.kind in ("deployment", "daemonset")]
        workload = self.rng.choice(movable)
        pods = [s for s in self.sources if s.workload == workload.id and not s.draining]
        if not pods:
            return
        self.rng.choice(pods).draining = True
        self.sources.append(self._new_proxy(workload, 0, self._random_name(10)))
        self.rollout_count += 1

    # ------------------------------------------------------------------ traffic

    def _count(self, mean: float) -> int:
        mean *= self.traffic_scale
        return max(0, round(mean * self.rng.uniform(0.6, 1.4)))

    def _latency_ms(self, shape: Latency) -> float:
        value = shape.median_ms * math.exp(self.rng.gauss(0, shape.sigma))
        if self.rng.random() < shape.tail_share:
            value *= shape.tail_factor
        return _quantise(min(value, 60_000.0), 0.125)

    def _outcomes_of(self, workload: Workload) -> tuple[Outcome, ...]:
        incident = self.incident
        if incident is not None and incident.active(workload.id, self.step):
            return incident_outcomes(workload.outcomes, incident.failure_share)
        return workload.outcomes

    def _outcome(self, outcomes: tuple[Outcome, ...]) -> Outcome:
        return self.rng.choices(outcomes, weights=[o.weight for o in outcomes])[0]

    def _traffic(self, truth: StepTruth, record: bool) -> None:
        by_workload: dict[str, list[Source]] = {}
        for source in self.sources:
            by_workload.setdefault(source.workload, []).append(source)
        gate = record
        for source in self.sources:
            if source.draining:
                continue
            if source.kind == "proxy":
                self._proxy_traffic(source, truth, gate)
            add_noise(source, self._count)
        for backend in self.scenario.backends:
            replicas = [s for s in by_workload.get(backend.controller, []) if not s.draining]
            if replicas:
                self._ingress_traffic(backend, replicas, truth, gate)

    def _linkerd_histogram(self, source: Source, labels: Labels) -> HistogramSeries:
        return source.histogram(families.LINKERD_LATENCY, labels, self._linkerd_bounds)

    def _request(self, source: Source, labels: Labels, hist: HistogramSeries, latency: float,
                 gate: bool) -> bool:
        counter = source.counter(families.LINKERD_RESPONSES, labels)
        if not gate:
            counter.add(1)
            hist.observe(latency)
            return True
        return source.try_request(counter, hist, latency)

    def _proxy_traffic(self, source: Source, truth: StepTruth, gate: bool) -> None:
        scenario = self.scenario
        workload = scenario.workload(source.workload) if source.workload else None
        counted = workload is not None and workload.namespace not in scenario.excluded_namespaces
        base = source.base_labels
        port = workload.port if workload else "8080"
        shape = workload.latency if workload else Latency(5)
        outcomes = self._outcomes_of(workload) if workload else (Outcome("200", "success", 1),)
        rate = workload.rate if workload else 3
        tls_share = workload.tls_share if workload else 0.0
        callers = self._callers.get(source.workload, []) if workload else []
        wid = source.workload
        inbound = (*base, ("direction", "inbound"), ("srv_port", port))

        for _ in range(self._count(rate)):
            if self.rng.random() < tls_share:
                caller = self.rng.choice(callers) if callers else "traefik/traefik"
                ns, sa = caller.split("/")
                tls_labels: Labels = (("tls", "true"), ("client_id", IDENTITY.format(sa=sa, ns=ns)))
                tls = "true"
            elif self.rng.random() < 0.7:
                tls_labels = (("tls", "no_identity"), ("no_tls_reason", "no_tls_from_remote"))
                tls = "no_identity"
            else:
                tls_labels = (("tls", "false"),)
                tls = "false"
            outcome = self._outcome(outcomes)
            latency = self._latency_ms(shape)
            labels = (*inbound, ("route_name", "default"), *tls_labels,
                      ("status_code", outcome.status_code), ("classification", outcome.classification),
                      ("grpc_status", outcome.grpc_status), ("error", outcome.error))
            hist = self._linkerd_histogram(source, (*inbound, tls_labels[0]))
            if self._request(source, labels, hist, latency, gate) and counted:
                truth.add(("w", wid, "req", outcome.status_code, outcome.classification, tls))
                truth.add(("w", wid, "bucket", self._linkerd_le[hist.bucket_of(latency)]))
                truth.add(("w", wid, "sum"), latency)

        # Kubelet probes: filtered from response_total by route_name, but they land in the
        # latency histogram, which has no route_name (the agent compensates per pod).
        probe_hist = self._linkerd_histogram(source, (*inbound, ("tls", "no_identity")))
        probe_labels = (*inbound, ("route_name", "probe"), ("tls", "no_identity"),
                        ("no_tls_reason", "no_tls_from_remote"), ("status_code", "200"),
                        ("classification", "success"), ("grpc_status", ""), ("error", ""))
        for _ in range(2):
            if self._request(source, probe_labels, probe_hist, PROBE_LATENCY_MS, gate) and counted:
                truth.add(("w", wid, "sum"), PROBE_LATENCY_MS)

        # Prometheus scraping the proxy's admin port: never part of the workload's traffic.
        admin = (*base, ("direction", "inbound"), ("srv_port", ADMIN_PORT), ("tls", "true"))
        admin_labels = (*admin, ("route_name", "default"),
                        ("client_id", IDENTITY.format(sa="prometheus", ns="linkerd-viz")),
                        ("status_code", "200"), ("classification", "success"),
                        ("grpc_status", ""), ("error", ""))
        self._request(source, admin_labels, self._linkerd_histogram(source, admin),
                      self._latency_ms(Latency(0.6, 0.2, 0)), gate)

        if workload is not None:
            for edge in scenario.edges:
                if edge.src == wid:
                    self._outbound(source, edge.dst, edge.rate, edge.external, counted, truth, gate)

    def _outbound(self, source: Source, dst: str, rate: int, external: bool, counted: bool,
                  truth: StepTruth, gate: bool) -> None:
        base = (*source.base_labels, ("direction", "outbound"))
        if external:
            target = (*base, ("authority", dst), ("tls", "no_identity"),
                      ("no_tls_reason", "not_provided_by_service_discovery"))
            shape, outcomes = Latency(180, 0.4), (Outcome("200", "success", 97), Outcome("502", "failure", 3))
        else:
            callee = self.scenario.workload(dst)
            authority = f"{callee.name}.{callee.namespace}.svc.cluster.local:{callee.port}"
            target = (*base, ("authority", authority),
                      ("dst_namespace", callee.namespace), (f"dst_{callee.kind}", callee.name),
                      ("dst_service", callee.name), ("tls", "true"),
                      ("server_id", IDENTITY.format(sa=callee.name, ns=callee.namespace)))
            shape, outcomes = callee.latency, self._outcomes_of(callee)
        hist = self._linkerd_histogram(source, target)
        eid = f"{source.workload}->{dst}"
        for _ in range(self._count(rate)):
            outcome = self._outcome(outcomes)
            latency = self._latency_ms(shape) + 0.5  # the caller's proxy adds its own hop
            labels = (*target, ("status_code", outcome.status_code),
                      ("classification", outcome.classification),
                      ("grpc_status", outcome.grpc_status), ("error", outcome.error))
            if self._request(source, labels, hist, latency, gate) and counted and not external:
                truth.add(("e", eid, "req"))
                if outcome.classification == "failure":
                    truth.add(("e", eid, "fail"))
                truth.add(("e", eid, "sum"), latency)
                truth.add(("e", eid, "count"))

    def _ingress_traffic(self, backend: Backend, replicas: list[Source], truth: StepTruth,
                         gate: bool) -> None:
        bounds, _ = self._ingress_bounds[backend.controller]
        key = self._backend_keys[backend]
        methods, weights = zip(*METHODS, strict=True)
        for _ in range(self._count(backend.rate)):
            replica = self.rng.choice(replicas)
            method = self.rng.choices(methods, weights=weights)[0]
            if self.rng.random() < backend.server_error_share:
                code = self.rng.choice(("500", "502", "503"))
            else:
                code = self.rng.choices(("200", "201", "304", "404"), weights=(85, 5, 6, 4))[0]
            seconds = _quantise(self._latency_ms(backend.latency) / 1000, 1 / 4096)
            counter, hist = ingress_series(backend, replica, code, method, bounds, self._nginx_requests)
            if not gate:
                counter.add(1)
                hist.observe(seconds)
                continue
            if replica.try_request(counter, hist, seconds):
                truth.add(("b", key, "req", code, method))
                bound_key = self._ingress_ms_keys[backend.controller][hist.bucket_of(seconds)]
                truth.add(("b", key, "bucket", backend.controller, bound_key))
                truth.add(("b", key, "sum"), seconds * 1000)

    # ------------------------------------------------------------------ exposition

    def render(self, garbage: bool = False) -> str:
        """The exposition after the current step, ``# HELP``/``# TYPE`` and ``otel_`` prefix."""
        if self._writer is None:
            les = {families.LINKERD_LATENCY: self._linkerd_le,
                   families.TRAEFIK_DURATION: self._ingress_bounds["traefik"][1],
                   families.NGINX_DURATION: self._ingress_bounds["nginx"][1]}
            self._writer = ExpositionWriter(self.prefix, les)
        return self._writer.render(self.sources, self.step, garbage)

    # ------------------------------------------------------------------ truth

    def truth(self, from_step: int | None = None, to_step: int | None = None) -> Truth:
        """Exact increments of the steps ``from_step+1 … to_step``.

        Defaults: from the first scrape the client received (its baseline), or
        the oldest step still kept, to the last scrape it received.
        """
        keys = {"linkerd": linkerd_bucket_keys(LINKERD_BOUNDS_MS), **self._ingress_ms_keys}
        return truth_between(self._steps, self.step, self.first_observed, self.last_observed, keys,
                             from_step, to_step)

    def routes(self) -> list[dict[str, object]]:
        return [route.model_dump() for route in self.scenario.routes]
