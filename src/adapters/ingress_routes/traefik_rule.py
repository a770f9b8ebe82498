"""Domains and paths of a Traefik router ``match`` rule (SPEC §1.3).

Only what places a backend under a domain is read: ``Host`` (one or several
hosts per call in Traefik v2, several calls joined by ``||``), ``HostHeader``
(v2 alias), ``HostRegexp`` reduced to its longest literal part, and
``PathPrefix``/``Path`` (default ``/``). Other matchers are ignored; the rule is
not evaluated as a boolean expression, every host is paired with every path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CALL = re.compile(r"\b(HostRegexp|HostHeader|Host|PathPrefix|Path)\s*\(")
_V2_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# A run of characters that stand for themselves in a host regexp (an escaped dot included).
_LITERAL_RUN = re.compile(r"(?:[A-Za-z0-9-]|\\\.)+(?:(?:\.|\\\.)(?:[A-Za-z0-9-]|\\\.)+)*")


class RuleError(ValueError):
    """A match rule this parser cannot read (unterminated string or call)."""


@dataclass(frozen=True)
class RuleTargets:
    hosts: tuple[str, ...]
    paths: tuple[str, ...]


def _arguments(rule: str, start: int) -> tuple[list[str], int]:
    """String arguments of the call whose ``(`` ends just before ``start``; returns them and the end."""
    args: list[str] = []
    position = start
    while position < len(rule):
        char = rule[position]
        if char in " \t\r\n,":
            position += 1
        elif char == ")":
            return args, position + 1
        elif char in "`\"'":
            end = position + 1
            text: list[str] = []
            while end < len(rule) and rule[end] != char:
                if char == '"' and rule[end] == "\\" and end + 1 < len(rule):
                    end += 1
                text.append(rule[end])
                end += 1
            if end >= len(rule):
                raise RuleError(f"unterminated string in rule {rule!r}")
            args.append("".join(text))
            position = end + 1
        else:
            raise RuleError(f"unexpected {char!r} at {position} in rule {rule!r}")
    raise RuleError(f"unterminated call in rule {rule!r}")


def host_regexp_literal(pattern: str) -> str:
    """The longest literal part of a host regexp: ``{sub:[a-z]+}.example.com`` → ``example.com``,
    ``^.+\\.example\\.com$`` → ``example.com``."""
    without_placeholders = _V2_PLACEHOLDER.sub(" ", pattern)
    runs = [run.replace("\\.", ".").strip(".") for run in _LITERAL_RUN.findall(without_placeholders)]
    runs = [run for run in runs if run]
    return max(runs, key=len) if runs else ""


def parse_rule(rule: str) -> RuleTargets:
    hosts: list[str] = []
    paths: list[str] = []
    position = 0
    while True:
        match = _CALL.search(rule, position)
        if match is None:
            break
        name = match.group(1)
        args, position = _arguments(rule, match.end())
        if name == "HostRegexp":
            hosts.extend(literal for literal in map(host_regexp_literal, args) if literal)
        elif name in ("Host", "HostHeader"):
            hosts.extend(arg.strip().lower() for arg in args if arg.strip())
        else:
            paths.extend(arg for arg in args if arg)
    return RuleTargets(tuple(dict.fromkeys(hosts)), tuple(dict.fromkeys(paths)) or ("/",))
