"""The agent's pure pipeline: per-series counter deltas, series roles, aggregation (SPEC §2)."""
