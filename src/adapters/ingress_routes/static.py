"""Routes from a file (YAML or JSON), for tests and clusters without an ingress API (SPEC §1.3).

Either a top-level list of route objects or ``{"routes": [...]}``; each object
has exactly the fields of :class:`domain.contract.Route`. The file is read
again whenever its modification time changes, so routes can be edited live.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from domain.contract import Route

ROUTE_FIELDS = frozenset(Route.model_fields)


class RoutesFileError(ValueError):
    """The routes file cannot be used; the message names the file and the bad entry."""


def _describe(entry: object, index: int) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    return f"route #{index}" + (f" ({name!r})" if name else "")


def parse_routes_document(document: Any, source: str) -> list[Route]:
    """Routes of a loaded routes document; raises RoutesFileError naming the first bad entry."""
    if isinstance(document, dict):
        unknown = set(document) - {"routes"}
        if unknown:
            raise RoutesFileError(
                f"{source}: unknown top-level field(s) {sorted(unknown)}; expected 'routes'"
            )
        document = document.get("routes")
    if document is None:
        return []
    if not isinstance(document, list):
        raise RoutesFileError(f"{source}: expected a list of routes, got {type(document).__name__}")
    routes: list[Route] = []
    for index, entry in enumerate(document):
        where = f"{source}: {_describe(entry, index)}"
        if not isinstance(entry, dict):
            raise RoutesFileError(f"{where}: expected an object, got {type(entry).__name__}")
        unknown = set(entry) - ROUTE_FIELDS
        if unknown:
            raise RoutesFileError(f"{where}: unknown field(s) {sorted(unknown)}")
        try:
            routes.append(Route.model_validate(entry))
        except ValidationError as error:
            details = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
                for problem in error.errors()
            )
            raise RoutesFileError(f"{where}: {details}") from None
    return routes


class StaticRouteSource:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._loaded_stamp: tuple[int, int] | None = None
        self._routes: list[Route] = []
        self._error: RoutesFileError | None = None

    def routes(self) -> list[Route]:
        try:
            stat = self._path.stat()
        except OSError as error:
            reason = error.strerror or error
            raise RoutesFileError(f"{self._path}: cannot read routes file: {reason}") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._loaded_stamp:
            self._load(stamp)
        if self._error is not None:
            raise self._error
        return list(self._routes)

    def _load(self, stamp: tuple[int, int]) -> None:
        self._loaded_stamp = stamp
        try:
            text = self._path.read_text(encoding="utf-8")
            document = yaml.safe_load(text)
            self._routes = parse_routes_document(document, str(self._path))
            self._error = None
        except RoutesFileError as error:
            self._error = error
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            self._error = RoutesFileError(f"{self._path}: cannot parse routes file: {error}")
