"""Configuration from flags, environment and an optional file (SPEC §9).

Each process declares one pydantic-settings class. Every field is a flag
(``--field-name``, or ``json_schema_extra={"flag": ...}``) and an environment
variable (``MESHSLO_FIELD_NAME``). Flags win over the environment, the
environment over the ``--config`` file (YAML or TOML, keys are field names).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_origin

from pydantic import BeforeValidator, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

ENV_PREFIX = "MESHSLO_"
CONFIG_ENV = "MESHSLO_CONFIG"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "ki": 1024,
               "m": 1000**2, "mb": 1000**2, "mib": 1024**2, "mi": 1024**2,
               "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "gi": 1024**3}


def parse_duration(value: Any) -> float:
    """``30`` / ``30s`` / ``500ms`` / ``5m`` / ``48h`` / ``90d`` → seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration (examples: 30, 30s, 5m, 48h, 90d)")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_size(value: Any) -> int:
    """``8MiB`` / ``512KiB`` / ``1000000`` → bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a size (examples: 8MiB, 512KiB, 1000000)")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").lower()])


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


Duration = Annotated[float, BeforeValidator(parse_duration)]
ByteSize = Annotated[int, BeforeValidator(parse_size)]
CommaList = Annotated[list[str], NoDecode, BeforeValidator(_split_list)]


class ProcessSettings(BaseSettings):
    """Base for a process's settings: environment prefix and file support."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    _config_file: Path | None = None  # set by load_settings through a subclass

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = cls.__private_attributes__["_config_file"].default
        if path is not None:
            if path.suffix.lower() == ".toml":
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
            else:
                sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=path))
        return tuple(sources)


def flag_of(name: str, field: FieldInfo) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return str(extra.get("flag") or "--" + name.replace("_", "-"))


def env_of(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _is_bool(field: FieldInfo) -> bool:
    annotation = field.annotation
    return annotation is bool or (get_origin(annotation) is None and annotation is bool)


def build_parser(settings_cls: type[ProcessSettings], prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description, argument_default=argparse.SUPPRESS)
    parser.add_argument("--config", metavar="FILE", help=f"YAML or TOML settings file [env {CONFIG_ENV}]")
    for name, field in settings_cls.model_fields.items():
        default = "required" if field.is_required() else field.get_default(call_default_factory=True)
        if isinstance(default, list):
            default = ",".join(default)
        help_text = f"{field.description or ''} [env {env_of(name)}; default {default}]".strip()
        flag = flag_of(name, field)
        if _is_bool(field):
            parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, help=help_text)
        else:
            parser.add_argument(flag, dest=name, metavar=name.upper(), help=help_text)
    return parser


S = TypeVar("S", bound=ProcessSettings)


def describe_errors(settings_cls: type[ProcessSettings], error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "?"
        field = settings_cls.model_fields.get(name)
        where = f"{flag_of(name, field)} / {env_of(name)}" if field else name
        lines.append(f"  {where}: {item['msg']}")
    return "invalid configuration:\n" + "\n".join(lines)


def load_settings(settings_cls: type[S], argv: list[str] | None, prog: str, description: str = "") -> S:
    """Parse flags, read environment and file, validate; exit 2 with a clear message on error."""
    parser = build_parser(settings_cls, prog, description)
    namespace = vars(parser.parse_args(argv))
    config = namespace.pop("config", None) or os.environ.get(CONFIG_ENV)
    config_path = Path(config) if config else None
    if config_path is not None and not config_path.is_file():
        parser.exit(2, f"{prog}: config file {config_path} does not exist\n")

    with_file = type(settings_cls.__name__, (settings_cls,), {"_config_file": config_path})
    try:
        return with_file(**namespace)  # type: ignore[return-value]
    except ValidationError as error:
        parser.exit(2, f"{prog}: {describe_errors(settings_cls, error)}\n")
    except Exception as error:  # unreadable or malformed config file
        parser.exit(2, f"{prog}: cannot read configuration: {error}\n")
    raise AssertionError("unreachable")


def die(message: str) -> None:
    print(message, file=sys.stderr)
    raise SystemExit(2)
