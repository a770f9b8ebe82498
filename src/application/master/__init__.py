"""Use cases of the master: ingest, rollups, retention, status evaluation."""
