"""``--routes`` setting → route source: ``kubernetes``, ``file:PATH`` or ``none``."""

from __future__ import annotations

import os
from pathlib import Path

from adapters.ingress_routes.kube_access import KubernetesConfigError, in_cluster_access, kubeconfig_access
from adapters.ingress_routes.kubernetes import KubernetesRouteSource
from adapters.ingress_routes.none import NoRouteSource
from adapters.ingress_routes.static import StaticRouteSource
from application.ports.agent import RouteSource

DEFAULT_KUBECONFIG = Path("~/.kube/config")


def kubernetes_route_source(kubeconfig: str | None = None) -> KubernetesRouteSource:
    """An explicit kubeconfig, else the in-cluster service account, else $KUBECONFIG or ~/.kube/config."""
    if kubeconfig:
        return KubernetesRouteSource(kubeconfig_access(kubeconfig))
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return KubernetesRouteSource(in_cluster_access())
    candidate = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or str(DEFAULT_KUBECONFIG)
    if Path(candidate).expanduser().is_file():
        return KubernetesRouteSource(kubeconfig_access(candidate))
    raise KubernetesConfigError(
        "routes from Kubernetes need the in-cluster service account or a kubeconfig "
        f"(--kubeconfig, $KUBECONFIG or {DEFAULT_KUBECONFIG}); none was found"
    )


def route_source_from_setting(setting: str, kubeconfig: str | None = None) -> RouteSource:
    value = setting.strip()
    if value == "none":
        return NoRouteSource()
    if value == "kubernetes":
        return kubernetes_route_source(kubeconfig)
    if value.startswith("file:") and value[len("file:"):]:
        return StaticRouteSource(value[len("file:"):])
    raise ValueError(f"routes setting {setting!r}: expected 'kubernetes', 'file:PATH' or 'none'")
