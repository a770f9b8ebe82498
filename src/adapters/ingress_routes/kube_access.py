"""How to reach and authenticate to the Kubernetes API: in-cluster service account or kubeconfig."""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class KubernetesConfigError(ValueError):
    """No usable way to reach the Kubernetes API; the message says what is missing."""


@dataclass
class KubernetesAccess:
    """A server URL, how to trust it, and how to present ourselves.

    ``token`` is a callable so that a projected service-account token, which
    the kubelet rotates, is read afresh for every request.
    """

    server: str
    token: Callable[[], str | None] = lambda: None
    ca_file: str | None = None
    ca_data: str | None = None
    insecure: bool = False
    client_cert: tuple[bytes, bytes] | None = None  # PEM certificate, PEM key
    basic_auth: tuple[str, str] | None = None
    _context: ssl.SSLContext | None = field(default=None, repr=False)

    def headers(self) -> dict[str, str]:
        token = self.token()
        if token:
            return {"Authorization": f"Bearer {token}"}
        if self.basic_auth:
            pair = base64.b64encode(":".join(self.basic_auth).encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        return {}

    def ssl_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = self._build_context()
        return self._context

    def _build_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif self.ca_file or self.ca_data:
            context = ssl.create_default_context(cafile=self.ca_file, cadata=self.ca_data)
        if self.client_cert is not None:
            _load_client_cert(context, *self.client_cert)
        return context


def _load_client_cert(context: ssl.SSLContext, cert: bytes, key: bytes) -> None:
    # The ssl module loads certificates only from files: write them to a private
    # directory just long enough to load them.
    with tempfile.TemporaryDirectory(prefix="meshslo-kube-") as directory:
        cert_path = Path(directory, "client.crt")
        key_path = Path(directory, "client.key")
        for path, data in ((cert_path, cert), (key_path, key)):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        context.load_cert_chain(str(cert_path), str(key_path))


def _read_token(path: Path) -> Callable[[], str | None]:
    def token() -> str | None:
        try:
            return path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    return token


def in_cluster_access(
    environ: Mapping[str, str] | None = None, account_dir: Path = SERVICE_ACCOUNT_DIR
) -> KubernetesAccess:
    """The pod's service account (token and CA) and the API address the kubelet injects."""
    env = os.environ if environ is None else environ
    host = env.get("KUBERNETES_SERVICE_HOST", "")
    port = env.get("KUBERNETES_SERVICE_PORT", "443")
    if not host:
        raise KubernetesConfigError("not running in a cluster: KUBERNETES_SERVICE_HOST is not set")
    token_path = account_dir / "token"
    if not token_path.is_file():
        raise KubernetesConfigError(f"no service account token at {token_path}")
    ca_path = account_dir / "ca.crt"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return KubernetesAccess(
        server=f"https://{host}:{port}",
        token=_read_token(token_path),
        ca_file=str(ca_path) if ca_path.is_file() else None,
    )


def _named(entries: object, name: str, kind: str, source: Path) -> Mapping[str, Any]:
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and entry.get("name") == name:
            value = entry.get(kind)
            if isinstance(value, Mapping):
                return value
    raise KubernetesConfigError(f"{source}: no {kind} named {name!r}")


def _file_or_data(config: Mapping[str, Any], key: str, base: Path) -> bytes | None:
    """``<key>-data`` (base64) or the file ``<key>`` (relative to the kubeconfig's directory)."""
    data = config.get(f"{key}-data")
    if data:
        try:
            return base64.b64decode(str(data), validate=True)
        except ValueError as error:
            raise KubernetesConfigError(f"{key}-data is not valid base64") from error
    path = config.get(key)
    if path:
        full = base / str(path)
        try:
            return full.read_bytes()
        except OSError as error:
            raise KubernetesConfigError(f"cannot read {key} {full}: {error.strerror or error}") from error
    return None


def kubeconfig_access(path: str | os.PathLike[str], context_name: str | None = None) -> KubernetesAccess:
    """Access as ``kubectl`` would have it with this kubeconfig (token, token file,
    client certificate or basic auth; exec and auth-provider plugins are not supported)."""
    source = Path(path).expanduser()
    try:
        config = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise KubernetesConfigError(f"cannot read kubeconfig {source}: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise KubernetesConfigError(f"kubeconfig {source} is not valid YAML: {error}") from error
    if not isinstance(config, Mapping):
        raise KubernetesConfigError(f"kubeconfig {source} is not a mapping")
    name = context_name or config.get("current-context")
    if not name:
        raise KubernetesConfigError(f"{source}: no current-context")
    context = _named(config.get("contexts"), str(name), "context", source)
    cluster = _named(config.get("clusters"), str(context.get("cluster")), "cluster", source)
    user_name = context.get("user")
    user = _named(config.get("users"), str(user_name), "user", source) if user_name else {}
    server = str(cluster.get("server") or "")
    if not server:
        raise KubernetesConfigError(f"{source}: cluster {context.get('cluster')!r} has no server")
    base = source.parent

    if "exec" in user or "auth-provider" in user:
        raise KubernetesConfigError(
            f"{source}: user {user_name!r} uses an exec/auth-provider plugin, which is not supported; "
            "use a token or a client certificate"
        )
    ca = _file_or_data(cluster, "certificate-authority", base)
    cert = _file_or_data(user, "client-certificate", base)
    key = _file_or_data(user, "client-key", base)
    if (cert is None) != (key is None):
        raise KubernetesConfigError(f"{source}: user {user_name!r} needs both a client certificate and key")

    token: Callable[[], str | None]
    if user.get("token"):
        static = str(user["token"])
        token = lambda: static  # noqa: E731
    elif user.get("tokenFile"):
        token = _read_token(base / str(user["tokenFile"]))
    else:
        token = lambda: None  # noqa: E731
    basic = None
    if user.get("username") and user.get("password"):
        basic = (str(user["username"]), str(user["password"]))
    return KubernetesAccess(
        server=server,
        token=token,
        ca_data=ca.decode("ascii", errors="replace") if ca else None,
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        client_cert=(cert, key) if cert is not None and key is not None else None,
        basic_auth=basic,
    )
