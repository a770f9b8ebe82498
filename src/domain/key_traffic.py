"""The traffic a target key stands for (SPEC §10): a workload, a domain or one backend.

A ``service`` key ``ns/name`` is one workload. An ``ingress`` key is a domain —
the backends its routes point at, each once — or, when no route names it as a
domain, one backend key ``ns-svc-port``. Status, queries and alerts all resolve
keys here so that they judge the same requests.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.rollup import WorkloadKey
from domain.totals import IngressTotals, WorkloadTotals

SERVICE, INGRESS = "service", "ingress"


def workload_key(key: str) -> WorkloadKey:
    namespace, _, name = key.partition("/")
    return namespace, name


class KeyTraffic:
    def __init__(
        self,
        workloads: Mapping[WorkloadKey, WorkloadTotals],
        backends: Mapping[str, IngressTotals],
        routes: Mapping[str, set[str]],
    ) -> None:
        self._workloads = workloads
        self._backends = backends
        self._routes = routes

    def of(self, target_type: str, key: str) -> list[WorkloadTotals] | list[IngressTotals]:
        if target_type == SERVICE:
            found = self._workloads.get(workload_key(key))
            return [found] if found is not None else []
        backends = sorted(self._routes[key]) if key in self._routes else [key]
        return [self._backends[b] for b in backends if b in self._backends]

    def keys(self) -> set[tuple[str, str]]:
        """Workloads with traffic and routed domains: what defaults apply to."""
        out = {(SERVICE, f"{namespace}/{name}") for namespace, name in self._workloads}
        out |= {(INGRESS, domain) for domain in self._routes}
        return out
