"""The SLO gauges on ``/metrics`` show the last round only; notification counts accumulate."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from adapters.observability.alert_metrics import AlertMetricsCollector
from application.ports.alerts import ObjectiveGauge

CART = ObjectiveGauge("c1", "service", "shop/cart", "availability", "30d", 0.999, 0.998, -1.0,
                      {"1h": 2.0, "5m": 0.0})
SHOP = ObjectiveGauge("c1", "ingress", "shop.example", "latency", "7d", 0.99, None, None, {})


def _text(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()


def test_the_last_rounds_gauges_and_firing_counts_replace_the_previous_ones() -> None:
    registry = CollectorRegistry(auto_describe=True)
    metrics = AlertMetricsCollector(registry, receivers=["alertmanager"])
    metrics.evaluated([CART, SHOP], {"page": 2})
    text = _text(registry)
    labels = 'cluster="c1",key="shop/cart",sli="availability",slo_window="30d",target_type="service"'
    assert f"meshslo_slo_objective_ratio{{{labels}}} 0.999" in text
    assert f"meshslo_slo_good_ratio{{{labels}}} 0.998" in text
    assert f"meshslo_slo_error_budget_remaining_ratio{{{labels}}} -1.0" in text
    assert f'meshslo_slo_burn_rate{{{labels},window="1h"}} 2.0' in text
    assert 'meshslo_alerts_firing{severity="page"} 2.0' in text
    assert 'meshslo_alerts_firing{severity="ticket"} 0.0' in text
    assert 'meshslo_alert_notifications_total{outcome="failed",receiver="alertmanager"} 0.0' in text
    assert text.count('key="shop.example"') == 1  # no traffic: only its objective is shown

    metrics.evaluated([SHOP], {})
    metrics.notification("alertmanager", "failed")
    text = _text(registry)
    assert "shop/cart" not in text and 'meshslo_alerts_firing{severity="page"} 0.0' in text
    assert 'meshslo_alert_notifications_total{outcome="failed",receiver="alertmanager"} 1.0' in text
