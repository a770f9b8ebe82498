"""``--listen`` addresses of the agent and the master, parsed one way for both."""

from __future__ import annotations


def parse_listen(value: str) -> tuple[str, int] | None:
    """``HOST:PORT`` (IPv6 in brackets, empty host = all interfaces) → (host, port); empty → None (off)."""
    value = value.strip()
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{value!r} is not HOST:PORT (example: 0.0.0.0:9464; empty to turn it off)")
    return host.strip("[]") or "0.0.0.0", int(port)
