"""deploy/alertmanager.example.yml routes by severity and inhibits a ticket by a page (README "Alerting")."""

from __future__ import annotations

from pathlib import Path

import yaml

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "alertmanager.example.yml"


def test_routes_by_severity_and_inhibits_tickets_by_pages_of_the_same_cluster_and_key() -> None:
    config = yaml.safe_load(EXAMPLE.read_text())
    routes = {tuple(r["matchers"]): r["receiver"] for r in config["route"]["routes"]}
    assert routes == {('severity="page"',): "pager", ('severity="ticket"',): "tickets"}
    [inhibition] = config["inhibit_rules"]
    assert inhibition == {"source_matchers": ['severity="page"'], "target_matchers": ['severity="ticket"'],
                          "equal": ["cluster", "key"]}
    names = {r["name"] for r in config["receivers"]}
    assert set(routes.values()) | {config["route"]["receiver"]} <= names
