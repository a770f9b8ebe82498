"""A simulated cluster: an OpenTelemetry-Collector-style metrics endpoint with known ground truth."""
