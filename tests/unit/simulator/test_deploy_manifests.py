"""deploy/: the manifests parse, use only settings the processes know, and grant the RBAC the agent needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from entrypoints.agent_settings import AgentSettings
from entrypoints.config import ProcessSettings, env_of
from entrypoints.master_settings import MasterSettings

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def container_env(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = of_kind(docs, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {item["name"]: item for item in container["env"]}


@pytest.mark.parametrize(("manifest", "settings"), [("master.yaml", MasterSettings),
                                                    ("agent.yaml", AgentSettings)])
def test_every_environment_variable_is_a_known_setting(
    manifest: str, settings: type[ProcessSettings]
) -> None:
    known = {env_of(name) for name in settings.model_fields}
    env = container_env(documents(manifest))
    assert set(env) <= known, set(env) - known
    for name, item in env.items():
        if "valueFrom" not in item:
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        secrets = {s["metadata"]["name"]: s for s in of_kind(documents(manifest), "Secret")}
        assert ref["key"] in secrets[ref["name"]]["stringData"], name


def test_agent_may_list_and_watch_ingressroutes_of_both_groups_and_ingresses() -> None:
    docs = documents("agent.yaml")
    (role,) = of_kind(docs, "ClusterRole")
    granted = {(group, resource) for rule in role["rules"] if {"list", "watch"} <= set(rule["verbs"])
               for group in rule["apiGroups"] for resource in rule["resources"]}
    assert granted == {("traefik.io", "ingressroutes"), ("traefik.containo.us", "ingressroutes"),
                       ("networking.k8s.io", "ingresses")}
    (binding,) = of_kind(docs, "ClusterRoleBinding")
    (account,) = of_kind(docs, "ServiceAccount")
    (deployment,) = of_kind(docs, "Deployment")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0]["name"] == account["metadata"]["name"]
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == account["metadata"]["name"]
    env = container_env(docs)
    assert {"MESHSLO_CLUSTER_ID", "MESHSLO_MASTER_URL", "MESHSLO_INGEST_TOKEN"} <= set(env)


def test_master_keeps_its_database_on_the_volume_and_probes_health() -> None:
    docs = documents("master.yaml")
    (deployment,) = of_kind(docs, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    (claim,) = of_kind(docs, "PersistentVolumeClaim")
    database = container_env(docs)["MESHSLO_DATABASE_URL"]["value"]
    data_volume = next(n for n, v in volumes.items() if "persistentVolumeClaim" in v)
    assert volumes[data_volume]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert database.removeprefix("sqlite:///").startswith(mounts[data_volume])
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_collector_federates_linkerd_and_exports_with_the_agents_prefix() -> None:
    (config,) = documents("otel-collector.yaml")
    jobs = {job["job_name"]: job for job in config["receivers"]["prometheus"]["config"]["scrape_configs"]}
    federate = jobs["linkerd-federate"]
    assert federate["metrics_path"] == "/federate" and federate["honor_labels"] is True
    selectors = " ".join(federate["params"]["match[]"])
    assert "response_total" in selectors and "response_latency_ms_" in selectors
    assert {"traefik", "ingress-nginx"} <= set(jobs)
    exporter = config["exporters"]["prometheus"]
    assert exporter["namespace"] == "otel" and exporter["endpoint"].endswith(":8889")
    assert config["extensions"]["health_check"]["endpoint"].endswith(":13133")
    pipeline = config["service"]["pipelines"]["metrics"]
    assert pipeline["receivers"] == ["prometheus"] and pipeline["exporters"] == ["prometheus"]
    defaults = AgentSettings.model_fields
    assert defaults["metric_prefix"].default == exporter["namespace"] + "_"
    assert ":8889/" in defaults["metrics_url"].default and ":13133/" in defaults["health_url"].default
