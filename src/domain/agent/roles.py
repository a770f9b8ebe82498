"""What each series is for (SPEC §2.2 filters and §2.4 keys), decided once per series.

A role depends only on the series' family and labels and on the filter options,
never on the scrape, so :class:`SeriesClassifier` caches it by series key: label
sets repeat from one scrape to the next. The one route-dependent decision (the
port of an ingress-nginx backend without ``service_port``) is left to the
aggregation, which has the routes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from domain import families
from domain.agent.keys import dst_workload_name, nginx_backend_key, traefik_backend_key, workload_name
from domain.agent.units import BadBound, canonical_ms_key, seconds_key_to_ms
from domain.rollup import EdgeKey, WorkloadKey
from domain.series import Series
from domain.slo import is_server_error

# Limits of the contract's string fields: a label longer than these could never be sent.
MAX_NAME = 253
MAX_CODE = 16
MAX_METHOD = 32


class Part(Enum):
    """Which counter of a family a series is."""

    TOTAL = "total"
    BUCKET = "bucket"
    SUM = "sum"
    COUNT = "count"


class Source(Enum):
    LINKERD_RESPONSES = "linkerd_responses"
    LINKERD_LATENCY = "linkerd_latency"
    TRAEFIK_REQUESTS = "traefik_requests"
    TRAEFIK_DURATION = "traefik_duration"
    NGINX_REQUESTS = "nginx_requests"
    NGINX_DURATION = "nginx_duration"


def _family_table() -> dict[str, tuple[Source, Part]]:
    table = {
        families.LINKERD_RESPONSES: (Source.LINKERD_RESPONSES, Part.TOTAL),
        families.TRAEFIK_REQUESTS: (Source.TRAEFIK_REQUESTS, Part.TOTAL),
        families.NGINX_REQUESTS: (Source.NGINX_REQUESTS, Part.TOTAL),
        families.NGINX_REQUESTS_TOTAL: (Source.NGINX_REQUESTS, Part.TOTAL),
    }
    histograms = {
        families.LINKERD_LATENCY: Source.LINKERD_LATENCY,
        families.TRAEFIK_DURATION: Source.TRAEFIK_DURATION,
        families.NGINX_DURATION: Source.NGINX_DURATION,
    }
    parts = {"_bucket": Part.BUCKET, "_sum": Part.SUM, "_count": Part.COUNT}
    for family, source in histograms.items():
        for suffix, part in parts.items():
            table[family + suffix] = (source, part)
    return table


FAMILY_TABLE = _family_table()


class Reason(StrEnum):
    """Why a series is not aggregated. Filters are deliberate (§2.2); skips are series that cannot be used."""

    # filtered
    UNRELATED_FAMILY = "unrelated_family"
    PROBE = "probe"
    ADMIN_PORT = "admin_port"
    EXCLUDED_NAMESPACE = "excluded_namespace"
    UNUSED = "unused"  # outbound latency buckets: edges carry only sum and count
    # skipped
    NO_WORKLOAD = "no_workload"
    NO_NAMESPACE = "no_namespace"
    NO_DIRECTION = "no_direction"
    NO_DST_WORKLOAD = "no_dst_workload"
    NO_BACKEND_KEY = "no_backend_key"
    BAD_BUCKET = "bad_bucket"
    LABEL_TOO_LONG = "label_too_long"


FILTER_REASONS = frozenset(
    {Reason.UNRELATED_FAMILY, Reason.PROBE, Reason.ADMIN_PORT, Reason.EXCLUDED_NAMESPACE, Reason.UNUSED}
)


class Dropped:
    """A series left out, and why. One shared instance per reason, so that counting
    dropped series per scrape hashes by identity instead of by value."""

    __slots__ = ("filtered", "reason")
    _instances: dict[Reason, Dropped] = {}
    reason: Reason
    filtered: bool

    def __new__(cls, reason: Reason) -> Dropped:
        instance = cls._instances.get(reason)
        if instance is None:
            instance = super().__new__(cls)
            instance.reason = reason
            instance.filtered = reason in FILTER_REASONS
            cls._instances[reason] = instance
        return instance

    def __repr__(self) -> str:
        return f"Dropped({self.reason.value})"


# Equal roles are interned by the classifier into one object with its own slot number, so the
# collect use case can sum a cycle's deltas per role with integer keys before aggregating them.
# Not part of a role's value: it takes no part in equality or hashing.
def _slot() -> Any:
    return field(default=-1, compare=False, repr=False)

PodKey = tuple[str, str, str]  # (namespace, workload, pod)


@dataclass(frozen=True, slots=True)
class WorkloadRequests:
    workload: WorkloadKey
    status_code: str
    classification: str
    tls: bool
    slot: int = _slot()


@dataclass(frozen=True, slots=True)
class WorkloadLatency:
    workload: WorkloadKey
    pod: PodKey
    part: Part
    le: str  # canonical millisecond key for buckets, "" otherwise
    compensable: bool  # no route_name label: probes are inside it (§2.4 probe compensation)
    slot: int = _slot()


@dataclass(frozen=True, slots=True)
class ProbeRequests:
    pod: PodKey
    slot: int = _slot()


@dataclass(frozen=True, slots=True)
class EdgeRequests:
    edge: EdgeKey
    failure: bool
    slot: int = _slot()


@dataclass(frozen=True, slots=True)
class EdgeLatency:
    edge: EdgeKey
    part: Part
    slot: int = _slot()


@dataclass(frozen=True, slots=True)
class Backend:
    """An ingress backend as its series name it.

    ``key`` is set when the series alone determines it (Traefik, ingress-nginx
    with ``service_port``); otherwise the route index supplies the port.
    ``host``/``path``/``ingress`` let the agent infer a route (§1.2).
    """

    key: str
    namespace: str = ""
    service: str = ""
    host: str = ""
    path: str = ""
    ingress: str = ""


@dataclass(frozen=True, slots=True)
class BackendRequests:
    backend: Backend
    code: str
    method: str
    slot: int = _slot()


@dataclass(frozen=True, slots=True)
class BackendLatency:
    backend: Backend
    part: Part
    le: str  # millisecond key for buckets, "" otherwise
    slot: int = _slot()


Role = (
    Dropped
    | WorkloadRequests
    | WorkloadLatency
    | ProbeRequests
    | EdgeRequests
    | EdgeLatency
    | BackendRequests
    | BackendLatency
)


@dataclass(frozen=True)
class FilterOptions:
    exclude_namespaces: frozenset[str] = frozenset()
    admin_port: str = "4191"


def classification_of(labels: Mapping[str, str]) -> str:
    """Linkerd's own classification; derived from the status code when it is missing or unknown."""
    classification = labels.get("classification", "")
    if classification in ("success", "failure"):
        return classification
    return "failure" if is_server_error(labels.get("status_code", "")) else "success"


class SeriesClassifier:
    """Roles of series, cached by series key (bounded by what the last scrapes held)."""

    def __init__(self, options: FilterOptions) -> None:
        self._options = options
        self._cache: dict[str, Role] = {}
        self._backends: dict[Backend, Backend] = {}
        self._interned: dict[Role, Role] = {}
        self._by_slot: list[Role] = []

    def role(self, series: Series) -> Role:
        role = self._cache.get(series.key)
        if role is None:
            role = self._intern_role(self.classify(series))
            self._cache[series.key] = role
        return role

    def _intern_role(self, role: Role) -> Role:
        if isinstance(role, Dropped):
            return role
        existing = self._interned.get(role)
        if existing is not None:
            return existing
        object.__setattr__(role, "slot", len(self._by_slot))
        self._by_slot.append(role)
        self._interned[role] = role
        return role

    def role_of_slot(self, slot: int) -> Role:
        return self._by_slot[slot]

    def known_roles(self) -> Mapping[str, Role]:
        """Roles by series key of every series classified since the last prune (read-only use)."""
        return self._cache

    def prune(self, live_series: int) -> bool:
        """Forget cached roles once the cache is well past what one scrape holds; True when it
        did (role slots handed out before then mean nothing any more)."""
        if len(self._cache) <= 2 * live_series + 1024:
            return False
        self._cache.clear()
        self._backends.clear()
        self._interned.clear()
        self._by_slot.clear()
        return True

    def classify(self, series: Series) -> Role:
        entry = FAMILY_TABLE.get(series.family)
        if entry is None:
            return Dropped(Reason.UNRELATED_FAMILY)
        source, part = entry
        labels = series.labels
        if labels.get("srv_port") == self._options.admin_port:
            return Dropped(Reason.ADMIN_PORT)
        if source is Source.LINKERD_RESPONSES or source is Source.LINKERD_LATENCY:
            return self._linkerd(source, part, labels)
        if labels.get("route_name") == "probe":
            return Dropped(Reason.PROBE)
        if source is Source.TRAEFIK_REQUESTS or source is Source.TRAEFIK_DURATION:
            return self._traefik(source, part, labels)
        return self._nginx(source, part, labels)

    # Linkerd ---------------------------------------------------------------------------

    def _linkerd(self, source: Source, part: Part, labels: Mapping[str, str]) -> Role:
        namespace = labels.get("namespace", "")
        if namespace in self._options.exclude_namespaces:
            return Dropped(Reason.EXCLUDED_NAMESPACE)
        direction = labels.get("direction", "")
        workload = workload_name(labels)
        if labels.get("route_name") == "probe":
            # Kept aside: the pod's probe count compensates its latency histogram.
            if source is Source.LINKERD_RESPONSES and direction == "inbound":
                return ProbeRequests((namespace, workload, labels.get("pod", "")))
            return Dropped(Reason.PROBE)
        if not workload:
            return Dropped(Reason.NO_WORKLOAD)
        if not namespace:
            return Dropped(Reason.NO_NAMESPACE)
        if len(workload) > MAX_NAME or len(namespace) > MAX_NAME:
            return Dropped(Reason.LABEL_TOO_LONG)
        if direction == "inbound":
            return self._inbound(source, part, labels, (namespace, workload))
        if direction == "outbound":
            return self._outbound(source, part, labels, namespace, workload)
        return Dropped(Reason.NO_DIRECTION)

    def _inbound(self, source: Source, part: Part, labels: Mapping[str, str], workload: WorkloadKey) -> Role:
        if source is Source.LINKERD_RESPONSES:
            status_code = labels.get("status_code", "")
            if len(status_code) > MAX_CODE:
                return Dropped(Reason.LABEL_TOO_LONG)
            tls = labels.get("tls") == "true"
            return WorkloadRequests(workload, status_code, classification_of(labels), tls)
        le = ""
        if part is Part.BUCKET:
            try:
                le = canonical_ms_key(labels.get("le", ""))
            except BadBound:
                return Dropped(Reason.BAD_BUCKET)
        pod = (workload[0], workload[1], labels.get("pod", ""))
        return WorkloadLatency(workload, pod, part, le, compensable=not labels.get("route_name"))

    def _outbound(
        self, source: Source, part: Part, labels: Mapping[str, str], namespace: str, workload: str
    ) -> Role:
        dst_namespace = labels.get("dst_namespace", "")
        dst_workload = dst_workload_name(labels)
        if not dst_namespace or not dst_workload:
            return Dropped(Reason.NO_DST_WORKLOAD)
        if len(dst_namespace) > MAX_NAME or len(dst_workload) > MAX_NAME:
            return Dropped(Reason.LABEL_TOO_LONG)
        edge = (namespace, workload, dst_namespace, dst_workload)
        if source is Source.LINKERD_RESPONSES:
            return EdgeRequests(edge, classification_of(labels) == "failure")
        if part is Part.BUCKET:
            return Dropped(Reason.UNUSED)
        return EdgeLatency(edge, part)

    # Ingress controllers ------------------------------------------------------------------

    def _traefik(self, source: Source, part: Part, labels: Mapping[str, str]) -> Role:
        # Traefik's series name no backend namespace (a `namespace` label, if any, is the
        # controller's own), so namespace exclusion does not apply to them.
        key = traefik_backend_key(labels.get("service", ""))
        if not key:
            return Dropped(Reason.NO_BACKEND_KEY)
        if len(key) > MAX_NAME:
            return Dropped(Reason.LABEL_TOO_LONG)
        return self._ingress(source, part, labels, self._intern_backend(Backend(key)), labels.get("code", ""))

    def _nginx(self, source: Source, part: Part, labels: Mapping[str, str]) -> Role:
        namespace = labels.get("namespace", "")
        if namespace in self._options.exclude_namespaces:
            return Dropped(Reason.EXCLUDED_NAMESPACE)
        service = labels.get("service", "")
        port = labels.get("service_port", "")
        if not nginx_backend_key(namespace, service, port):
            return Dropped(Reason.NO_BACKEND_KEY)
        # The longest key the route index could build: ns-svc plus a five-digit port.
        if len(nginx_backend_key(namespace, service, port or "65535")) > MAX_NAME:
            return Dropped(Reason.LABEL_TOO_LONG)
        backend = Backend(
            key=nginx_backend_key(namespace, service, port) if port else "",
            namespace=namespace,
            service=service,
            host=labels.get("host", ""),
            path=labels.get("path", ""),
            ingress=labels.get("ingress", ""),
        )
        return self._ingress(source, part, labels, self._intern_backend(backend), labels.get("status", ""))

    def _ingress(
        self, source: Source, part: Part, labels: Mapping[str, str], backend: Backend, code: str
    ) -> Role:
        if part is Part.TOTAL:
            method = labels.get("method", "")
            if len(code) > MAX_CODE or len(method) > MAX_METHOD:
                return Dropped(Reason.LABEL_TOO_LONG)
            return BackendRequests(backend, code, method)
        le = ""
        if part is Part.BUCKET:
            try:
                le = seconds_key_to_ms(labels.get("le", ""))
            except BadBound:
                return Dropped(Reason.BAD_BUCKET)
        return BackendLatency(backend, part, le)

    def _intern_backend(self, backend: Backend) -> Backend:
        # One object per backend keeps the per-cycle key resolution to one lookup per backend.
        return self._backends.setdefault(backend, backend)
