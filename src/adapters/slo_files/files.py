"""``SloFiles``: read an SLO file in either format, write targets in the one asked for."""

from __future__ import annotations

import sys
from pathlib import Path

from adapters.slo_files import native, openslo
from adapters.slo_files.documents import load_documents
from adapters.slo_files.fields import Problems
from adapters.slo_files.openslo_writer import write_openslo
from application.ports.targets_api import SloFileError, WireTarget

FORMATS = ("native", "openslo")


def read_text(text: str, source: str) -> list[WireTarget]:
    """Every target of the file; OpenSLO when any document says ``apiVersion: openslo/...``."""
    documents = load_documents(text, source)
    if len(documents) == 1 and isinstance(documents[0], list) and openslo.is_openslo(documents[0]):
        documents = documents[0]  # JSON: one array of OpenSLO documents
    problems = Problems(source)
    reader = openslo if openslo.is_openslo(documents) else native
    targets = reader.targets_from_documents(documents, problems)
    problems.raise_any()
    return targets


def write_text(targets: list[WireTarget], format_name: str) -> str:
    if format_name == "openslo":
        return write_openslo(targets)
    if format_name == "native":
        return native.write_native(targets)
    raise ValueError(f"unknown format {format_name!r} (known: {', '.join(FORMATS)})")


class SloFiles:
    def read(self, path: str) -> list[WireTarget]:
        source = Path(path).name if path != "-" else "stdin"
        try:
            text = Path(path).read_text(encoding="utf-8") if path != "-" else sys.stdin.read()
        except (OSError, UnicodeDecodeError) as error:
            raise SloFileError([f"{path}: cannot read: {error}"]) from None
        return read_text(text, source)

    def write(self, targets: list[WireTarget], format_name: str) -> str:
        return write_text(targets, format_name)

