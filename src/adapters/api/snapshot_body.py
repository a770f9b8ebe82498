"""A snapshot body as the contract: pydantic's JSON parser, plus the two things it does not do.

- **Repeated keys.** Like most JSON parsers, pydantic keeps the last of an
  object's repeated keys, so ``{"cluster_id": "a", "cluster_id": "b"}`` would be
  stored for ``b``. They are refused, naming the object. Checking every body with
  ``json.loads`` and an ``object_pairs_hook`` would cost about as much again as the
  parse itself, so the exact check runs only when a cheap count cannot rule
  repeated keys out (see ``_keys_surely_distinct``).
- **Integral floats for integers.** JSON Schema, and so the OpenAPI document,
  counts ``1.0`` and ``1e3`` as integers; pydantic's strict mode does not. Such
  values are taken as the integer they are; ``1.5`` and ``"5"`` stay refused.
  The fast path is untouched: the conversion runs only for a body that failed
  the strict parse on integral floats alone.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ValidationError

from adapters.api.errors import describe_validation_error, field_path
from domain.contract import SLOSnapshot

# Whitespace right before a colon: a key separated from its colon by spaces escapes the count.
_SPACE_BEFORE_COLON = (b" :", b"\t:", b"\n:", b"\r:")
_KEY_END = b'":'


class InvalidBody(ValueError):
    """A body that is not a valid snapshot; the message names the field."""


def parse_snapshot(body: bytes) -> SLOSnapshot:
    """The snapshot in ``body``; raises InvalidBody naming the field otherwise."""
    try:
        snapshot = SLOSnapshot.model_validate_json(body)
    except ValidationError as error:
        return _parse_with_integral_floats(body, error)
    if not _keys_surely_distinct(body, snapshot):
        _load_refusing_repeated_keys(body)
    return snapshot


def _keys_surely_distinct(body: bytes, snapshot: SLOSnapshot) -> bool:
    """True when a count proves that no object of ``body`` repeats a key.

    Without whitespace before any colon, every key of the body (repeated ones
    included) ends in its own ``":``, so there are at least as many ``":`` as
    keys; other ``":`` come only from escaped quotes inside strings. The parsed
    snapshot holds one field or bucket per distinct key it knows. If both counts
    are equal, the body has no key beyond those: none repeated, none unknown.
    Otherwise (unknown fields, ``\\":`` in a string, a repeated key) the exact
    check decides.
    """
    key_ends = body.count(_KEY_END)
    # Every colon right after a quote (the usual compact body): no whitespace before any colon.
    # Only otherwise are the four two-byte patterns looked for (a millisecond each on 767 KiB).
    if body.count(b":") != key_ends and any(pattern in body for pattern in _SPACE_BEFORE_COLON):
        return False
    return key_ends == _known_keys(snapshot)


def _fields(model: BaseModel) -> int:
    return len(model.model_fields_set)


def _known_keys(snapshot: SLOSnapshot) -> int:
    """How many keys of the body the snapshot's models took (each one distinct)."""
    data = snapshot.slo_data
    count = _fields(snapshot) + _fields(data) + sum(map(_fields, data.edges)) + sum(map(_fields, data.routes))
    for service in data.services:
        count += _fields(service) + len(service.latency_buckets) + sum(map(_fields, service.requests))
    for ingress in data.ingress:
        count += _fields(ingress) + len(ingress.latency_buckets) + sum(map(_fields, ingress.requests))
    return count


class _RepeatedKeys(dict[str, Any]):
    """An object of the body that gave a key more than once (the first such key is kept)."""

    repeated: str = ""


def _pairs_to_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) == len(pairs):
        return document
    marked = _RepeatedKeys(document)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            marked.repeated = key
            break
        seen.add(key)
    return marked


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _load_refusing_repeated_keys(body: bytes) -> Any:
    """The body as Python objects; raises InvalidBody naming the first object that repeats a key."""
    try:
        document = json.loads(body, object_pairs_hook=_pairs_to_object, parse_constant=_refuse_constant)
    except ValueError as error:  # pydantic took it, so this is an edge of the json module's own
        raise InvalidBody(f"body: not valid JSON ({error})") from None
    found = _first_repeated(document, ())
    if found is not None:
        location, key = found
        raise InvalidBody(f"{field_path(location)}: duplicate key {key!r}")
    return document


Location = tuple[int | str, ...]


def _first_repeated(document: Any, location: Location) -> tuple[Location, str] | None:
    """Path and key of the first object, in document order, that repeats a key."""
    if isinstance(document, dict):
        if isinstance(document, _RepeatedKeys):
            return location, document.repeated
        for key, value in document.items():
            if isinstance(value, dict | list) and (found := _first_repeated(value, (*location, key))):
                return found
    elif isinstance(document, list):
        for index, value in enumerate(document):
            if isinstance(value, dict | list) and (found := _first_repeated(value, (*location, index))):
                return found
    return None


def _is_integral_float(problem: Any) -> bool:
    value = problem["input"]
    if problem["type"] != "int_type" or type(value) is not float:
        return False
    return math.isfinite(value) and value.is_integer()


def _parse_with_integral_floats(body: bytes, error: ValidationError) -> SLOSnapshot:
    """The snapshot with integral floats read as integers; the other problems are reported as they are."""
    integral = [problem for problem in error.errors(include_url=False) if _is_integral_float(problem)]
    if not integral:
        raise InvalidBody(describe_validation_error(error)) from None
    document = _load_refusing_repeated_keys(body)
    for problem in integral:
        *parents, last = problem["loc"]
        target = document
        for step in parents:
            target = target[step]
        target[last] = int(problem["input"])
    try:
        return SLOSnapshot.model_validate(document)
    except ValidationError as second:
        raise InvalidBody(describe_validation_error(second)) from None
