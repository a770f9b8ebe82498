"""The canonical text of a series identity (SPEC §2.3): ``family{a="1",b="x\\"y"}``.

Labels are sorted by name and values escaped as in the exposition format, so
the same counter gets the same key whatever order its labels arrive in. A
series without labels is keyed by its bare family name. Label names that are
not classic Prometheus names (UTF-8 names such as ``service.name``) are quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CLASSIC_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def escape(value: str) -> str:
    if "\\" not in value and '"' not in value and "\n" not in value:
        return value
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _label_name(name: str) -> str:
    return name if _CLASSIC_LABEL.fullmatch(name) else f'"{escape(name)}"'


def series_key(family: str, labels: Iterable[tuple[str, str]]) -> str:
    """``family`` followed by the sorted, escaped label block (nothing when there are no labels)."""
    pairs = sorted(labels)
    if not pairs:
        return family
    block = ",".join(f'{_label_name(name)}="{escape(value)}"' for name, value in pairs)
    return f"{family}{{{block}}}"
