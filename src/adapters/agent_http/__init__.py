"""The agent's own HTTP endpoints: /healthz and /metrics."""
