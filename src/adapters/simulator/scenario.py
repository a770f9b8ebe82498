"""What the simulated cluster runs: workloads, call edges, ingress backends and routes.

The default scenario spans three application namespaces (shop, payments,
identity) plus the excluded ``linkerd`` namespace, all three workload kinds,
Traefik and ingress-nginx backends (one nginx backend labelled with its port,
one whose port comes from its route, one with neither) and routes for them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.contract import Route

LINKERD_BOUNDS_MS = (1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500,
                     1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000)
TRAEFIK_BOUNDS_S = ("0.1", "0.3", "1.2", "5")
NGINX_BOUNDS_S = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10")
ADMIN_PORT = "4191"
PROBE_LATENCY_MS = 0.5  # kubelet probes are the fastest requests: all in the lowest bucket


@dataclass(frozen=True)
class Outcome:
    """One kind of response and how often it happens (relative weight)."""

    status_code: str
    classification: str  # "success" / "failure"
    weight: float
    grpc_status: str = ""
    error: str = ""


@dataclass(frozen=True)
class Latency:
    """Log-normal latency: median (ms), spread, and a slow tail."""

    median_ms: float
    sigma: float = 0.5
    tail_share: float = 0.02
    tail_factor: float = 8.0


HEALTHY = (Outcome("200", "success", 90), Outcome("201", "success", 4), Outcome("404", "success", 3),
           Outcome("500", "failure", 1), Outcome("503", "failure", 1))
FLAKY = (Outcome("200", "success", 80), Outcome("503", "failure", 8), Outcome("504", "failure", 4),
         Outcome("", "failure", 3, error="response timeout"))
# Sign-in is kept clear of its strict objective (99.9 %): only the scheduled incident pages it.
RELIABLE = (Outcome("200", "success", 94), Outcome("201", "success", 3), Outcome("404", "success", 3),
            Outcome("503", "failure", 0.05))
GRPC = (Outcome("200", "success", 92), Outcome("200", "failure", 5, grpc_status="14"),
        Outcome("200", "failure", 3, grpc_status="4"))


@dataclass(frozen=True)
class Workload:
    namespace: str
    name: str
    kind: str  # deployment / statefulset / daemonset
    replicas: int
    port: str
    rate: int  # inbound requests per pod per step (mean)
    outcomes: tuple[Outcome, ...] = HEALTHY
    latency: Latency = Latency(20)
    tls_share: float = 0.9  # share of inbound requests from meshed clients

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Edge:
    src: str  # workload id
    dst: str  # workload id, or a host outside the mesh when external
    rate: int  # calls per caller pod per step (mean)
    external: bool = False


@dataclass(frozen=True)
class Backend:
    controller: str  # "traefik" / "nginx"
    namespace: str
    service: str
    port: int
    rate: int  # requests per step over all replicas (mean)
    latency: Latency
    host: str = ""
    path: str = "/"
    ingress: str = ""
    port_label: bool = True  # nginx: whether series carry service_port
    provider: str = "kubernetescrd"  # traefik: the part after '@'
    server_error_share: float = 0.02


@dataclass(frozen=True)
class Scenario:
    workloads: tuple[Workload, ...]
    edges: tuple[Edge, ...]
    backends: tuple[Backend, ...]
    routes: tuple[Route, ...]
    excluded_namespaces: frozenset[str] = frozenset({"linkerd", "linkerd-viz", "kube-system", "otel"})
    controller_replicas: int = 2
    unlabelled_pods: tuple[str, ...] = ("shop/debug-shell",)  # meshed pods without a workload label

    def workload(self, workload_id: str) -> Workload:
        return next(w for w in self.workloads if w.id == workload_id)


def default_scenario() -> Scenario:
    w = Workload
    workloads = (
        w("shop", "frontend", "deployment", 3, "8080", 40, HEALTHY, Latency(45, 0.6)),
        w("shop", "catalog", "deployment", 2, "8080", 30, HEALTHY, Latency(12, 0.5), tls_share=1.0),
        w("shop", "cart", "deployment", 2, "8080", 20, HEALTHY, Latency(8, 0.4)),
        w("shop", "checkout", "deployment", 2, "8080", 12, FLAKY, Latency(120, 0.7)),
        w("shop", "redis", "statefulset", 2, "6379", 25, HEALTHY, Latency(0.8, 0.4, 0.01), tls_share=1.0),
        w("payments", "gateway", "deployment", 2, "8443", 15, FLAKY, Latency(90, 0.5)),
        w("payments", "ledger", "statefulset", 3, "5432", 10, GRPC, Latency(30, 0.6, 0.05)),
        w("payments", "fraud", "deployment", 2, "9000", 8, GRPC, Latency(250, 0.4)),
        w("payments", "webhooks", "deployment", 2, "8080", 6, HEALTHY, Latency(15, 0.5), tls_share=0.5),
        w("identity", "auth", "deployment", 2, "8080", 25, RELIABLE, Latency(18, 0.5), tls_share=0.7),
        w("identity", "users", "deployment", 2, "8080", 15, HEALTHY, Latency(6, 0.5)),
        w("identity", "sessions", "statefulset", 2, "6379", 20, HEALTHY, Latency(1.5, 0.3), tls_share=1.0),
        w("identity", "geoip", "daemonset", 3, "8080", 5, HEALTHY, Latency(3, 0.3), tls_share=1.0),
        # Control plane: its traffic is real but excluded by namespace.
        w("linkerd", "linkerd-destination", "deployment", 1, "8086", 30, HEALTHY, Latency(2, 0.3)),
        w("linkerd", "linkerd-identity", "deployment", 1, "8080", 5, HEALTHY, Latency(4, 0.3)),
    )
    e = Edge
    edges = (
        e("shop/frontend", "shop/catalog", 12), e("shop/frontend", "shop/cart", 8),
        e("shop/frontend", "shop/checkout", 4), e("shop/frontend", "identity/auth", 6),
        e("shop/cart", "shop/redis", 10), e("shop/checkout", "shop/cart", 4),
        e("shop/checkout", "payments/gateway", 4), e("payments/gateway", "payments/fraud", 4),
        e("payments/gateway", "payments/ledger", 4), e("payments/fraud", "payments/ledger", 3),
        e("payments/webhooks", "payments/ledger", 2), e("identity/auth", "identity/users", 6),
        e("identity/auth", "identity/sessions", 8), e("identity/auth", "identity/geoip", 3),
        # Calls leaving the mesh carry no destination workload: the agent skips them.
        e("payments/gateway", "api.stripe.com:443", 3, external=True),
    )
    b = Backend
    backends = (
        b("traefik", "shop", "frontend", 80, 60, Latency(60, 0.6), provider="kubernetescrd"),
        b("traefik", "shop", "catalog", 8080, 30, Latency(25, 0.5), provider="kubernetescrd"),
        b("traefik", "identity", "users", 8080, 15, Latency(12, 0.5), provider="kubernetes"),
        b("nginx", "payments", "gateway", 8443, 20, Latency(150, 0.6), host="pay.example.com",
          path="/", ingress="payments", port_label=True, server_error_share=0.04),
        b("nginx", "identity", "auth", 8080, 25, Latency(30, 0.5), host="login.example.com",
          path="/", ingress="login", port_label=False),
        b("nginx", "payments", "webhooks", 80, 6, Latency(20, 0.4), host="hooks.example.com",
          path="/hooks/{provider}", ingress="webhooks", port_label=False),
    )
    r = Route
    routes = (
        r(name="shop", namespace="shop", domain="shop.example.com", path_prefix="/",
          service_key="shop-frontend-80", service_name="frontend", service_port=80, tls=True),
        r(name="shop", namespace="shop", domain="shop.example.com", path_prefix="/api",
          service_key="shop-catalog-8080", service_name="catalog", service_port=8080, tls=True),
        r(name="api", namespace="identity", domain="api.example.com", path_prefix="/users",
          service_key="identity-users-8080", service_name="users", service_port=8080, tls=False),
        r(name="payments", namespace="payments", domain="pay.example.com", path_prefix="/",
          service_key="payments-gateway-8443", service_name="gateway", service_port=8443, tls=True),
        # The nginx series of this backend carry no service_port: the agent takes it from here.
        r(name="login", namespace="identity", domain="login.example.com", path_prefix="/",
          service_key="identity-auth-8080", service_name="auth", service_port=8080, tls=True),
        # payments/webhooks has no route: the agent builds one from the nginx host/path labels.
    )
    return Scenario(workloads, edges, backends, routes)


def backend_key(backend: Backend, routes: tuple[Route, ...]) -> str:
    """The key the agent builds for a backend (SPEC §1.2)."""
    if backend.controller == "traefik" or backend.port_label:
        return f"{backend.namespace}-{backend.service}-{backend.port}"
    ports = [r.service_port for r in routes
             if r.namespace == backend.namespace and r.service_name == backend.service]
    if ports:
        return f"{backend.namespace}-{backend.service}-{min(ports)}"
    return f"{backend.namespace}-{backend.service}"


def compact_scenario() -> Scenario:
    """A small cluster with every case of the default one (all three workload kinds, an excluded
    namespace, a call leaving the mesh, a pod without workload label, every ingress key rule),
    for checks that scrape many times."""
    full = default_scenario()
    w = Workload
    workloads = (
        w("shop", "frontend", "deployment", 2, "8080", 20, HEALTHY, Latency(45, 0.6)),
        w("shop", "redis", "statefulset", 1, "6379", 10, HEALTHY, Latency(0.8, 0.4, 0.01), tls_share=1.0),
        w("payments", "gateway", "deployment", 1, "8443", 8, FLAKY, Latency(90, 0.5)),
        w("payments", "ledger", "statefulset", 2, "5432", 6, GRPC, Latency(30, 0.6, 0.05)),
        w("identity", "geoip", "daemonset", 2, "8080", 5, HEALTHY, Latency(3, 0.3), tls_share=0.6),
        w("linkerd", "linkerd-destination", "deployment", 1, "8086", 10, HEALTHY, Latency(2, 0.3)),
    )
    e = Edge
    edges = (
        e("shop/frontend", "shop/redis", 6), e("shop/frontend", "payments/gateway", 3),
        e("shop/frontend", "identity/geoip", 2), e("payments/gateway", "payments/ledger", 3),
        e("payments/gateway", "api.stripe.com:443", 2, external=True),
    )
    backends = tuple(replace(b, rate=max(3, b.rate // 3)) for b in full.backends)
    return Scenario(workloads, edges, backends, full.routes)
