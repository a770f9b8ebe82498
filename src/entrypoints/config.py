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
from typing import Annotated, Any, TypeVar, get_args, get_origin

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
_NEGATIVE = re.compile(r"^-[\d.]")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "ki": 1024,
               "m": 1000**2, "mb": 1000**2, "mib": 1024**2, "mi": 1024**2,
               "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "gi": 1024**3}


def parse_duration(value: Any) -> float:
    """``30`` / ``30s`` / ``500ms`` / ``5m`` / ``48h`` / ``90d`` → seconds; never negative."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            if str(value).strip().startswith("-"):
                raise ValueError(f"{value!r} is negative: a duration is 0 or more (examples: 30s, 5m)")
            raise ValueError(f"{value!r} is not a duration (examples: 30, 30s, 5m, 48h, 90d)")
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds < 0:
        raise ValueError(f"{value!r} is negative: a duration is 0 or more (examples: 30s, 5m)")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact spelling that ``parse_duration`` reads back: 30s, 5m, 48h, 500ms."""
    for unit in ("d", "h", "m", "s"):
        count = seconds / _DURATION_UNITS[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    if seconds == 0:
        return "0s"
    return f"{seconds * 1000:g}ms"


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


def _is_duration(field: FieldInfo) -> bool:
    """A ``Duration`` field, also when optional (``Duration | None``)."""
    metadata = list(field.metadata)
    for arg in get_args(field.annotation):
        metadata += getattr(arg, "__metadata__", ())
    return any(getattr(item, "func", None) is parse_duration for item in metadata)


def show_default(field: FieldInfo) -> str:
    """A default as a user would type it: 30s rather than 30.0, none rather than None."""
    if field.is_required():
        return "required"
    default = field.get_default(call_default_factory=True)
    if default is None:
        return "none"
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, list):
        return ",".join(str(item) for item in default) or "none"
    if _is_duration(field) and isinstance(default, int | float):
        return format_duration(default)
    if isinstance(default, float):
        return f"{default:g}"  # 95 rather than 95.0
    return str(default)


# A listen address without a host is easy to type and opens the port to every network.
_LISTEN_NOTE = "; a bare :PORT listens on every interface (0.0.0.0)"


def value_flags(settings_cls: type[ProcessSettings]) -> set[str]:
    return {flag_of(name, field) for name, field in settings_cls.model_fields.items() if not _is_bool(field)}


def attach_dash_values(argv: list[str], flags: set[str]) -> list[str]:
    """``--flag -1m`` → ``--flag=-1m``: argparse takes a value like ``-1m`` for an unknown option
    and would fail before the value could be checked and explained. Only values that start
    like a negative number are attached, so ``--flag --help`` still reads as two options."""
    out: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        following = argv[index + 1] if index + 1 < len(argv) else None
        if token in flags and following is not None and _NEGATIVE.match(following):
            out.append(f"{token}={following}")
            index += 2
            continue
        out.append(token)
        index += 1
    return out


def build_parser(settings_cls: type[ProcessSettings], prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description, argument_default=argparse.SUPPRESS)
    parser.add_argument("--config", metavar="FILE", help=f"YAML or TOML settings file [env {CONFIG_ENV}]")
    for name, field in settings_cls.model_fields.items():
        flag = flag_of(name, field)
        note = _LISTEN_NOTE if flag == "--listen" else ""
        where = f"[env {env_of(name)}; default {show_default(field)}]"
        help_text = f"{field.description or ''}{note} {where}".strip()
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
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"  {where}: {message}")
    return "invalid configuration:\n" + "\n".join(lines)


def load_settings(settings_cls: type[S], argv: list[str] | None, prog: str, description: str = "") -> S:
    """Parse flags, read environment and file, validate; exit 2 with a clear message on error."""
    parser = build_parser(settings_cls, prog, description)
    args = attach_dash_values(sys.argv[1:] if argv is None else argv, value_flags(settings_cls))
    namespace = vars(parser.parse_args(args))
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
