"""Alert and budget answers in the shapes of SPEC §11, for pages whose master
does not evaluate alerts in the test's time: served by route interception."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.e2e.browser.known_data import CLUSTER

# tier: severity, long and short window at a 30d objective (SPEC §11's table)
TIERS = {
    1: ("page", "1h", "5m"),
    2: ("page", "6h", "30m"),
    3: ("ticket", "1d", "2h"),
    4: ("ticket", "3d", "6h"),
}


def alert(
    target_type: str, key: str, tier: int, state: str, *, burn_long: float, burn_short: float,
    started_at: int, resolved_at: int | None = None, sli: str = "availability", slo_window: str = "30d",
) -> dict[str, Any]:  # fmt: skip
    severity, long_window, short_window = TIERS[tier]
    labels = {
        "alertname": "MeshsloErrorBudgetBurn" if sli == "availability" else "MeshsloLatencyBudgetBurn",
        "severity": severity, "cluster": CLUSTER, "target_type": target_type, "key": key,
        "slo_window": slo_window, "long_window": long_window, "short_window": short_window,
        "burn_tier": str(tier),
    }  # fmt: skip
    if target_type == "service":
        labels["namespace"], labels["workload"] = key.split("/", 1)
    return {
        "labels": labels,
        "annotations": {
            "summary": f"{key} burns its {slo_window} {sli} budget {burn_long:.1f}x too fast",
            "description": f"tier {tier}: {long_window} and {short_window} windows above the factor",
            "burn_rate_long": f"{burn_long:.1f}",
            "burn_rate_short": f"{burn_short:.1f}",
            "error_budget_remaining": "-12.5",
            "dashboard": "http://dashboard.example/",
        },
        "state": state,
        "started_at": started_at,
        "resolved_at": resolved_at,
        "burn_rate_long": burn_long,
        "burn_rate_short": burn_short,
    }


def burn_down(start: int, step: int, values: list[float | None], window: str = "30d") -> dict[str, Any]:
    points = [{"timestamp": start + i * step, "budget_remaining": v} for i, v in enumerate(values)]
    return {"sli": "availability", "window": window, "target": 99.0, "threshold_ms": None, "points": points}


@dataclass
class AlertRoutes:
    """What the intercepted /alerts and /budget answer, and the queries they were asked."""

    alerts: list[dict[str, Any]] = field(default_factory=list)
    budget: list[dict[str, Any]] = field(default_factory=list)
    asked: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def install(self, page: Any) -> None:
        page.route("**/api/v2/slo/alerts*", self._alerts)
        page.route("**/api/v2/slo/budget*", self._budget)

    @staticmethod
    def _query(route: Any) -> dict[str, str]:
        return {name: values[0] for name, values in parse_qs(urlsplit(route.request.url).query).items()}

    def _alerts(self, route: Any) -> None:
        query = self._query(route)
        self.asked.append(("alerts", query))
        state = query.get("state", "firing")
        chosen = [
            row
            for row in self.alerts
            if state in ("all", row["state"])
            and query.get("target_type") in (None, row["labels"]["target_type"])
            and query.get("key") in (None, row["labels"]["key"])
        ]
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"alerts": chosen}))

    def _budget(self, route: Any) -> None:
        self.asked.append(("budget", self._query(route)))
        body = json.dumps({"objectives": self.budget})
        route.fulfill(status=200, content_type="application/json", body=body)
