"""Route sources (SPEC §1.3): the Kubernetes API, a static routes file, or none."""
