"""Prometheus text / OpenMetrics exposition parsing."""

from adapters.exposition.parser import ExpositionParser

__all__ = ["ExpositionParser"]
