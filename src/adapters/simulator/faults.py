"""Fault plan of the simulated endpoint: which scrapes go wrong, and how.

Syntax: comma-separated ``STEP:KIND`` or ``FIRST-LAST:KIND`` items, steps
counted from 1 (the first ``/metrics`` request). Kinds:

- ``500``: an HTTP 500 answer;
- ``garbage``: a good exposition with malformed lines mixed in between lines
  (the agent must skip them and count everything else);
- ``truncate``: the body is cut in the middle while ``Content-Length`` promises
  all of it, so the client sees an incomplete transfer and must treat the
  scrape as failed. A cut the client cannot detect would make exact counting
  impossible for any agent, so it is not simulated.
"""

from __future__ import annotations

import re

KINDS = ("500", "garbage", "truncate")
_ITEM = re.compile(r"^(\d+)(?:-(\d+))?:(\w+)$")


class FaultPlanError(ValueError):
    pass


def parse_fault_plan(text: str) -> dict[int, str]:
    plan: dict[int, str] = {}
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        match = _ITEM.match(item)
        if not match:
            raise FaultPlanError(f"fault plan item {item!r} is not STEP:KIND or FIRST-LAST:KIND")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        kind = match.group(3)
        if kind not in KINDS:
            raise FaultPlanError(f"fault kind {kind!r} is not one of {', '.join(KINDS)}")
        if first < 1 or last < first:
            raise FaultPlanError(f"fault plan item {item!r}: steps start at 1 and ranges go upwards")
        for step in range(first, last + 1):
            plan[step] = kind
    return plan
