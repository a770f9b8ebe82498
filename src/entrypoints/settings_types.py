"""Field types shared by the processes' settings classes, with their normalisation built in."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _empty_is_none(value: str | None) -> str | None:
    return value or None


# ``--log-level INFO`` works as well as ``info``.
LogLevel = Annotated[Literal["debug", "info", "warning", "error", "critical"], BeforeValidator(_lower)]
# An empty flag or variable (``MESHSLO_INGEST_TOKEN=``) means unset, as if not given.
OptionalText = Annotated[str | None, AfterValidator(_empty_is_none)]
