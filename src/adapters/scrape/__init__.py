"""The metrics endpoint as a ``MetricsSource``."""

from adapters.scrape.http_source import HttpMetricsSource

__all__ = ["HttpMetricsSource"]
