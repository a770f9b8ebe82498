"""Writes the simulated sources as one Prometheus text exposition, as the OTel Collector would."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

from adapters.simulator import exposition
from adapters.simulator.exposition import Family, render_labels
from adapters.simulator.series import Labels
from adapters.simulator.source import Source

# Label texts repeat every scrape; past this many distinct sets the cache starts again.
_LABEL_CACHE_LIMIT = 200_000


class ExpositionWriter:
    def __init__(self, prefix: str, bucket_les: Mapping[str, Sequence[str]]) -> None:
        self.prefix = prefix
        self._les = bucket_les
        self._label_cache: dict[Labels, str] = {}

    def _labels(self, labels: Labels) -> str:
        text = self._label_cache.get(labels)
        if text is None:
            if len(self._label_cache) > _LABEL_CACHE_LIMIT:
                self._label_cache.clear()
            text = self._label_cache[labels] = render_labels(labels)
        return text

    def render(self, sources: Iterable[Source], step: int, garbage: bool = False) -> str:
        """Every counter and histogram of ``sources``; ``garbage`` mixes in malformed lines."""
        p = self.prefix
        counters: dict[str, Family] = {}
        histograms: dict[str, Family] = {}
        for source in sources:
            for (family, labels), counter in source.counters.items():
                fam = counters.get(family)
                if fam is None:
                    fam = counters[family] = Family(p + family, "counter", family.replace("_", " "))
                fam.sample(p + family, self._labels(labels), counter.value)
            for (family, labels), hist in source.histograms.items():
                fam = histograms.get(family)
                if fam is None:
                    fam = histograms[family] = Family(p + family, "histogram", family.replace("_", " "))
                text = self._labels(labels)
                for le, cumulative in zip(self._les[family], hist.cumulative(), strict=True):
                    fam.sample(f"{p}{family}_bucket", f'{text},le="{le}"', cumulative)
                fam.sample(f"{p}{family}_sum", text, hist.total)
                fam.sample(f"{p}{family}_count", text, hist.count)
        body = exposition.render([*counters.values(), *histograms.values()])
        if garbage:
            body = exposition.with_garbage(body, p, random.Random(step))
        return body
