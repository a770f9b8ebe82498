"""Validation errors as one readable line per problem, naming the field path."""

from __future__ import annotations

from pydantic import ValidationError


def field_path(location: tuple[int | str, ...]) -> str:
    """``("slo_data", "services", 0, "delta")`` → ``slo_data.services[0].delta``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def describe_validation_error(error: ValidationError, limit: int = 20) -> str:
    """All problems (up to ``limit``) of a rejected body, separated by ``; ``."""
    problems = [f"{field_path(item['loc'])}: {item['msg']}" for item in error.errors(include_url=False)]
    if len(problems) > limit:
        problems = [*problems[:limit], f"… and {len(problems) - limit} more"]
    return "; ".join(problems)


def nul_character_path(document: object, location: tuple[int | str, ...] = ()) -> str | None:
    """Path of the first string holding a NUL character (PostgreSQL text cannot store one)."""
    if isinstance(document, str):
        return field_path(location) if "\x00" in document else None
    if isinstance(document, dict):
        for key, value in document.items():
            found = nul_character_path(key, location) or nul_character_path(value, (*location, key))
            if found:
                return found
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found = nul_character_path(value, (*location, index))
            if found:
                return found
    return None
