"""The Kubernetes route source against a local fake API server (SPEC §1.3)."""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
import yaml
from tests.unit.adapters.ingress_routes.fake_kube_api import FakeKubeApi, list_body, not_found, serve

from adapters.ingress_routes.factory import kubernetes_route_source, route_source_from_setting
from adapters.ingress_routes.kube_access import (
    KubernetesAccess,
    KubernetesConfigError,
    in_cluster_access,
    kubeconfig_access,
)
from adapters.ingress_routes.kubernetes import KubernetesRouteSource, RouteSourceError

NEW_GROUP = "/apis/traefik.io/v1alpha1/ingressroutes"
OLD_GROUP = "/apis/traefik.containo.us/v1alpha1/ingressroutes"
INGRESSES = "/apis/networking.k8s.io/v1/ingresses"

INGRESSROUTE = {
    "metadata": {"name": "shop", "namespace": "shop"},
    "spec": {"routes": [{"match": "Host(`shop.example.com`)", "services": [{"name": "web", "port": 80}]}],
             "tls": {}},
}


def ingress(name: str, host: str, service: str) -> dict[str, object]:
    return {
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"rules": [{"host": host, "http": {"paths": [
            {"path": "/", "backend": {"service": {"name": service, "port": {"number": 8080}}}}
        ]}}]},
    }


def source_for(api: FakeKubeApi, token: str = "sekret") -> KubernetesRouteSource:
    return KubernetesRouteSource(KubernetesAccess(server=api.url, token=lambda: token), refresh_seconds=0)


def test_falls_back_to_the_older_traefik_group_and_pages_through_ingresses() -> None:
    api = FakeKubeApi()
    api.answer(OLD_GROUP, (200, list_body([INGRESSROUTE])))
    api.answer(INGRESSES, (200, list_body([ingress("a", "a.example.com", "a")], continue_token="page2")),
               (200, list_body([ingress("b", "b.example.com", "b")])))
    with serve(api):
        source = source_for(api)
        routes = source.routes()
        assert [(r.domain, r.service_key, r.tls) for r in routes] == [
            ("shop.example.com", "shop-web-80", True),
            ("a.example.com", "shop-a-8080", False),
            ("b.example.com", "shop-b-8080", False),
        ]
        assert api.paths() == [NEW_GROUP, OLD_GROUP, INGRESSES, INGRESSES]
        assert api.requests[3].query == {"limit": ["500"], "continue": ["page2"]}
        assert all(r.headers.get("Authorization") == "Bearer sekret" for r in api.requests)
        # The group that answered is asked first from then on.
        api.requests.clear()
        source.routes()
        assert api.paths()[0] == OLD_GROUP


def test_routes_are_read_again_only_after_the_refresh_interval() -> None:
    api = FakeKubeApi()
    api.answer(INGRESSES, (200, list_body([ingress("a", "a.example.com", "a")])),
               (200, list_body([ingress("b", "b.example.com", "b")])))
    now = [1000.0]
    with serve(api):
        access = KubernetesAccess(server=api.url)
        source = KubernetesRouteSource(access, refresh_seconds=60, clock=lambda: now[0])
        assert [r.domain for r in source.routes()] == ["a.example.com"]
        now[0] += 59
        assert [r.domain for r in source.routes()] == ["a.example.com"]
        assert api.paths().count(INGRESSES) == 1
        now[0] += 2
        assert [r.domain for r in source.routes()] == ["b.example.com"]


def test_a_failed_refresh_raises_and_is_retried_on_the_next_call() -> None:
    api = FakeKubeApi()
    good = list_body([ingress("a", "a.example.com", "a")])
    api.answer(INGRESSES, (500, {"message": "etcd timeout"}), (200, good))
    with serve(api):
        source = KubernetesRouteSource(KubernetesAccess(server=api.url), refresh_seconds=60)
        with pytest.raises(RouteSourceError, match="HTTP 500: etcd timeout"):
            source.routes()
        assert [r.domain for r in source.routes()] == ["a.example.com"]


def test_prefers_the_current_traefik_group() -> None:
    api = FakeKubeApi()
    api.answer(NEW_GROUP, (200, list_body([INGRESSROUTE])))
    api.answer(OLD_GROUP, (200, list_body([])))
    api.answer(INGRESSES, (200, list_body([])))
    with serve(api):
        assert [r.service_key for r in source_for(api).routes()] == ["shop-web-80"]
        assert OLD_GROUP not in api.paths()


def test_cluster_without_traefik_or_ingress_api_has_no_routes() -> None:
    api = FakeKubeApi()
    with serve(api):
        assert source_for(api).routes() == []


def test_forbidden_is_an_error_naming_the_resource() -> None:
    api = FakeKubeApi()
    message = (
        'ingresses.networking.k8s.io is forbidden: User "system:serviceaccount:otel:meshslo" '
        'cannot list resource "ingresses"'
    )
    api.answer(INGRESSES, (403, {"kind": "Status", "message": message}))
    with serve(api), pytest.raises(RouteSourceError) as error:
        source_for(api).routes()
    assert INGRESSES in str(error.value) and "403" in str(error.value) and "cannot list" in str(error.value)


@pytest.mark.parametrize("body", [b"<html>proxy error</html>", b"[1, 2]", {"kind": "List", "items": "nope"}])
def test_answers_that_are_not_lists_are_errors(body: object) -> None:
    api = FakeKubeApi()
    api.answer(INGRESSES, (200, body))
    with serve(api), pytest.raises(RouteSourceError, match=INGRESSES):
        source_for(api).routes()


def test_unreachable_api_is_an_error() -> None:
    api = FakeKubeApi()
    with serve(api):
        url = api.url
    source = KubernetesRouteSource(KubernetesAccess(server=url), timeout=2)
    with pytest.raises(RouteSourceError, match="ConnectError"):
        source.routes()


def test_not_found_helper_is_a_status() -> None:
    assert not_found("/x")[0] == 404


# --- credentials ------------------------------------------------------------------------------

def test_in_cluster_service_account_token_is_read_for_every_request(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("first\n")
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "6443"}
    access = in_cluster_access(env, tmp_path)
    assert access.server == "https://10.0.0.1:6443"
    assert access.headers() == {"Authorization": "Bearer first"}
    (tmp_path / "token").write_text("rotated")
    assert access.headers() == {"Authorization": "Bearer rotated"}
    ipv6 = in_cluster_access({"KUBERNETES_SERVICE_HOST": "fd00::1"}, tmp_path)
    assert ipv6.server == "https://[fd00::1]:443"


def test_in_cluster_without_environment_or_token_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KubernetesConfigError, match="KUBERNETES_SERVICE_HOST"):
        in_cluster_access({}, tmp_path)
    with pytest.raises(KubernetesConfigError, match="no service account token"):
        in_cluster_access({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, tmp_path)


def kubeconfig(tmp_path: Path, server: str, user: dict[str, object], cluster: dict[str, object] | None = None,
               ) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "test",
        "contexts": [{"name": "other", "context": {"cluster": "nope", "user": "nope"}},
                     {"name": "test", "context": {"cluster": "local", "user": "me"}}],
        "clusters": [{"name": "local", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "me", "user": user}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


def test_kubeconfig_token_file_relative_to_the_kubeconfig(tmp_path: Path) -> None:
    (tmp_path / "tok").write_text("from-file")
    api = FakeKubeApi()
    api.answer(INGRESSES, (200, list_body([ingress("a", "a.example.com", "a")])))
    with serve(api):
        source = route_source_from_setting("kubernetes", kubeconfig=str(kubeconfig(tmp_path, api.url,
                                                                                    {"tokenFile": "tok"})))
        assert [r.domain for r in source.routes()] == ["a.example.com"]
    assert api.requests[-1].headers["Authorization"] == "Bearer from-file"


def test_kubeconfig_problems_are_clear(tmp_path: Path) -> None:
    with pytest.raises(KubernetesConfigError, match="exec/auth-provider plugin"):
        kubeconfig_access(kubeconfig(tmp_path, "https://k", {"exec": {"command": "aws"}}))
    with pytest.raises(KubernetesConfigError, match="both a client certificate and key"):
        kubeconfig_access(kubeconfig(tmp_path, "https://k", {"client-certificate-data": "QUJD"}))
    with pytest.raises(KubernetesConfigError, match="no context named 'missing'"):
        kubeconfig_access(kubeconfig(tmp_path, "https://k", {"token": "t"}), context_name="missing")
    with pytest.raises(KubernetesConfigError, match="cannot read kubeconfig"):
        kubeconfig_access(tmp_path / "absent")
    with pytest.raises(KubernetesConfigError, match="cannot read certificate-authority"):
        missing_ca = {"certificate-authority": "ca.pem"}
        kubeconfig_access(kubeconfig(tmp_path, "https://k", {"token": "t"}, missing_ca))
    basic = kubeconfig_access(kubeconfig(tmp_path, "https://k", {"username": "u", "password": "p"}))
    assert basic.headers() == {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}


def test_no_credentials_anywhere_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(KubernetesConfigError, match="in-cluster service account or a kubeconfig"):
        kubernetes_route_source()


# --- TLS: the API's CA and client certificates, as a kubeconfig has them -------------------------

# Elliptic-curve keys: generated in milliseconds, unlike RSA.
EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", *EC_KEY, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
             "-subj", "/CN=test-ca", cwd=d)
    (d / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, subject in (("server", "/CN=127.0.0.1"), ("client", "/CN=meshslo/O=viewers")):
        _openssl("req", *EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=d)
        extra = ["-extfile", "san.cnf"] if name == "server" else []
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.crt", "-days", "2", *extra, cwd=d)
    return d


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def test_https_with_ca_data_and_client_certificate_data(pki: Path, tmp_path: Path) -> None:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(pki / "server.crt", pki / "server.key")
    server_tls.load_verify_locations(pki / "ca.crt")
    server_tls.verify_mode = ssl.CERT_REQUIRED  # the API refuses clients without a certificate
    api = FakeKubeApi()
    api.answer(INGRESSES, (200, list_body([ingress("a", "a.example.com", "a")])))
    with serve(api, tls=server_tls):
        user = {
            "client-certificate-data": _b64(pki / "client.crt"),
            "client-key-data": _b64(pki / "client.key"),
        }
        config = kubeconfig(tmp_path, api.url, user, {"certificate-authority-data": _b64(pki / "ca.crt")})
        routes = route_source_from_setting("kubernetes", kubeconfig=str(config)).routes()
        assert [r.domain for r in routes] == ["a.example.com"]
        assert "Authorization" not in api.requests[-1].headers

        # Without the API's CA the server is not trusted.
        untrusted = kubeconfig(tmp_path, api.url, user)
        with pytest.raises(RouteSourceError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            route_source_from_setting("kubernetes", kubeconfig=str(untrusted)).routes()


def test_https_with_ca_file_relative_to_kubeconfig_and_token(pki: Path, tmp_path: Path) -> None:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(pki / "server.crt", pki / "server.key")
    shutil.copy(pki / "ca.crt", tmp_path / "ca.pem")
    api = FakeKubeApi()
    api.answer(INGRESSES, (200, list_body([ingress("a", "a.example.com", "a")])))
    with serve(api, tls=server_tls):
        config = kubeconfig(tmp_path, api.url, {"token": "abc"}, {"certificate-authority": "ca.pem"})
        assert len(route_source_from_setting("kubernetes", kubeconfig=str(config)).routes()) == 1
        assert api.requests[-1].headers["Authorization"] == "Bearer abc"
        insecure = kubeconfig(tmp_path, api.url, {"token": "abc"}, {"insecure-skip-tls-verify": True})
        assert len(route_source_from_setting("kubernetes", kubeconfig=str(insecure)).routes()) == 1
