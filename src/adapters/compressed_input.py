"""How many compressed bytes a body of at most N decompressed bytes may take, for the agent's scrapes
and the master's ingest alike.

Valid deflate data is never much larger than what it inflates to (5 bytes per 64 KiB stored block,
plus the gzip header and trailer), but empty blocks or empty gzip members inflate to nothing: a cap
on the decompressed size alone would let such a stream flow in without end.
"""

from __future__ import annotations

_SLACK_BYTES = 64 * 1024  # headers, trailers and block overhead a valid compressed body may add


def max_compressed_bytes(max_bytes: int) -> int:
    return max_bytes + max_bytes // 1000 + _SLACK_BYTES
