"""Self-metrics of the meshslo processes (prometheus-client, per-process registries)."""
