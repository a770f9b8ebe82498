"""Turning a file's text into documents: JSON, or YAML with one or more documents."""

from __future__ import annotations

import json
from typing import Any

import yaml

from application.ports.targets_api import SloFileError


def load_documents(text: str, source: str) -> list[Any]:
    """The file's documents (empty ones dropped). JSON when the name or the text says so, else YAML."""
    looks_json = text.lstrip().startswith(("{", "["))
    if source.lower().endswith(".json") or looks_json:
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as error:
            if source.lower().endswith(".json"):
                raise SloFileError([f"{source}: line {error.lineno}: not valid JSON: {error.msg}"]) from None
            # A YAML flow mapping also starts with "{": let the YAML parser have its say.
    try:
        return [document for document in yaml.safe_load_all(text) if document is not None]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        problem = getattr(error, "problem", None) or str(error)
        raise SloFileError([f"{source}: {where}: not valid YAML: {problem}"]) from None


def dump_yaml(documents: list[Any]) -> str:
    """Stable text: keys in the order given, block style, no aliases."""

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return yaml.dump_all(documents, Dumper=_NoAliases, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, explicit_start=len(documents) > 1)
