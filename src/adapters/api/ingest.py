"""``POST /agent/snapshot``: the agents' way in (SPEC §3).

Bad input never reaches storage and never produces a 500: oversize bodies are
refused while they are read (413, also for chunked bodies), invalid JSON or
values with 422 naming the field, unknown clusters with 403, a window that overlaps
one already stored for the cluster with 409 naming the stored window; a body that is
not JSON (Content-Type) with 415, data after the gzip stream with 400.
"""

from __future__ import annotations

import logging
import time
import zlib

from dependency_injector.wiring import Provide, inject
from fastapi import APIRouter, Depends, HTTPException, Request, Security, status
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from adapters.api.auth import INGEST_SCHEME, ApiTokens, check_token
from adapters.api.errors import nul_character_path
from adapters.api.http_errors import error_responses
from adapters.api.snapshot_body import InvalidBody, parse_snapshot
from adapters.compressed_input import max_compressed_bytes
from adapters.observability.master_metrics import MasterMetrics
from application.master.ingest import ClusterNotAllowed, IngestResult, IngestUseCase
from application.ports.ingest import SnapshotOutOfRange, WindowOverlap
from application.ports.storage import StorageUnavailable
from domain.contract import SLOSnapshot

log = logging.getLogger(__name__)

router = APIRouter(tags=["ingest"])

SNAPSHOT_PATH = "/agent/snapshot"

# The body is read by hand (size limit, gzip) rather than declared as a parameter, so its
# schema is given to OpenAPI explicitly; ``contract_schemas`` supplies the referenced models.
# Names are prefixed so that they never collide with the query API's response models.
_CONTRACT_PREFIX = "contract."
_CONTRACT_REF = "#/components/schemas/" + _CONTRACT_PREFIX + "{model}"
_SNAPSHOT_SCHEMA = SLOSnapshot.model_json_schema(ref_template=_CONTRACT_REF)


# The key rule of ``domain.contract.validate_bucket_key`` as JSON Schema: a number's text or +Inf.
_BUCKET_KEY = {"pattern": r"^(\+Inf|[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)$"}


def contract_schemas() -> dict[str, object]:
    """The contract's models, for the OpenAPI document's ``components.schemas``."""
    schemas = {_CONTRACT_PREFIX + name: schema for name, schema in _SNAPSHOT_SCHEMA.get("$defs", {}).items()}
    schemas[_CONTRACT_PREFIX + "SLOSnapshot"] = {k: v for k, v in _SNAPSHOT_SCHEMA.items() if k != "$defs"}
    for schema in schemas.values():
        buckets = schema.get("properties", {}).get("latency_buckets") if isinstance(schema, dict) else None
        if isinstance(buckets, dict):
            buckets.setdefault("propertyNames", _BUCKET_KEY)
    return schemas


# The rules the JSON Schema of the body cannot state; each refusal is a 422 naming the field.
_RULES = """The body is the snapshot contract (SPEC §3), as JSON, optionally gzip-encoded.
Beyond its schema: `window_start` before `timestamp`, a window of at most 24 h, a `timestamp` at most
10 minutes ahead of the master's clock and within the raw retention; parts at most their wholes
(`tls_request_delta` <= `total_request_delta`, `failure_delta` <= `request_delta`); each bucket bound
once (`10` and `1e1` are one), at most 64 keys, `+Inf` among them; the counts of one workload, edge or
backend summed within 10**12; no string holding NUL (`\\u0000`); and no window overlapping one
already stored for the cluster (409), unless it is the identical re-send (200, duplicate)."""


class BodyTooLarge(Exception):
    pass


class UnsupportedEncoding(Exception):
    pass


class TrailingData(Exception):
    """Bytes after the end of the gzip stream (a second member, or garbage): refused, not ignored."""


# A body without a Content-Type is read as the contract's JSON (the agent always sends one).
_JSON_MEDIA_TYPE = "application/json"


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json``, with any parameters (``; charset=utf-8``), or no Content-Type at all."""
    if content_type is None:
        return True
    return content_type.split(";", 1)[0].strip().lower() == _JSON_MEDIA_TYPE


def _decoder(content_encoding: str | None) -> zlib._Decompress | None:
    """A streaming gunzip for ``Content-Encoding: gzip``; None for an identity body."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    raise UnsupportedEncoding(encoding)


async def read_limited_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refusing (before buffering it) anything over ``max_bytes``.

    A gzip body is limited by its decompressed size, so a small compressed body
    cannot expand into a large one (decompression bomb).
    """
    decoder = _decoder(request.headers.get("content-encoding"))
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    raw_left = max_compressed_bytes(max_bytes)  # empty gzip blocks inflate to nothing
    async for chunk in request.stream():
        if decoder is not None:
            raw_left -= len(chunk)
            if raw_left < 0:
                raise BodyTooLarge
            # Never inflate more than one byte past the limit, however small the input chunk.
            chunk = decoder.decompress(chunk, max_bytes - size + 1)
            if decoder.unconsumed_tail:
                raise BodyTooLarge
            if decoder.unused_data:  # whatever follows the end of the gzip stream lands here
                raise TrailingData
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge
        chunks.append(chunk)
    if decoder is not None:
        chunk = decoder.flush()
        if size + len(chunk) > max_bytes:
            raise BodyTooLarge
        if not decoder.eof:
            raise zlib.error("the gzip stream ends early")
        if decoder.unused_data:
            raise TrailingData
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    SNAPSHOT_PATH,
    summary="Store one agent snapshot",
    description=_RULES,
    # The handler checks the token itself (it counts a refusal); the scheme only documents it,
    # with its 401, when a token is set (adapters.api.openapi).
    dependencies=[Security(INGEST_SCHEME)],
    responses=error_responses(
        400, 403, 408, 409, 413, 415, 422, 503,
        s400="data after the end of the gzip stream, or the client went away before the body ended",
        s403="cluster not in the allow-list (--allowed-clusters)",
        s409="the window (window_start, timestamp] overlaps a window already stored for the cluster (other "
        "than this very snapshot, which answers 200 duplicate); nothing stored. The message names the "
        "stored window(s). Not worth re-sending: the master has those seconds",
        s413="body (decompressed, when gzip) larger than --max-body",
        s415="Content-Type other than application/json, or content encoding other than gzip",
        s422="invalid snapshot; the message names the field",
        s503="the database is unavailable (or storing failed): retry later",
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _CONTRACT_REF.format(model="SLOSnapshot")}}},
        }
    },
)
@inject
async def post_snapshot(
    request: Request,
    use_case: IngestUseCase = Depends(Provide["ingest_use_case"]),
    tokens: ApiTokens = Depends(Provide["api_tokens"]),
    max_body: int = Depends(Provide["max_body"]),
    metrics: MasterMetrics = Depends(Provide["metrics"]),
) -> dict[str, str]:
    started = time.perf_counter()
    try:
        check_token(tokens.ingest_token, request.headers.get("authorization"), "meshslo-ingest")
    except HTTPException:
        metrics.rejected("unauthorised")
        raise
    content_type = request.headers.get("content-type")
    if not is_json_media_type(content_type):
        metrics.rejected("invalid")
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type {content_type!r} is not supported: send {_JSON_MEDIA_TYPE}",
        )
    body = await _receive(request, max_body, metrics)
    # Parsing a large snapshot takes milliseconds of CPU: off the event loop, with the storing.
    result, snapshot = await run_in_threadpool(_parse_and_store, body, use_case, metrics)
    metrics.ingest_snapshots.labels(result=result.value).inc()
    if result is IngestResult.STORED:
        metrics.stored(snapshot.cluster_id, snapshot.slo_data.timestamp)
    metrics.ingest_seconds.observe(time.perf_counter() - started)
    return {"status": result.value}


async def _receive(request: Request, max_body: int, metrics: MasterMetrics) -> bytes:
    try:
        return await read_limited_body(request, max_body)
    except BodyTooLarge:
        metrics.rejected("too_large")
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"snapshot body is larger than the limit of {max_body} bytes"
        ) from None
    except ClientDisconnect:
        # Nobody is left to answer; the agent re-sends (and ingest is idempotent).
        log.info("client disconnected while sending a snapshot")
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "client went away before the body ended") from None
    except UnsupportedEncoding as error:
        metrics.rejected("invalid")
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"content encoding {error} is not supported: send gzip or an unencoded body",
        ) from None
    except TrailingData:
        metrics.rejected("invalid")
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "body: data after the end of the gzip stream (send one gzip member)"
        ) from None
    except zlib.error as error:
        metrics.rejected("invalid")
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"body: not valid gzip data ({error})"
        ) from None


def _parse(body: bytes, metrics: MasterMetrics) -> SLOSnapshot:
    try:
        snapshot = parse_snapshot(body)
    except InvalidBody as error:
        metrics.rejected("invalid")
        message = str(error)
        log.info("rejected snapshot: %s", message)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message) from None
    # Cheap test on the raw body first; the walk that names the field runs only when it matters.
    if b"\\u0000" in body and (where := nul_character_path(snapshot.model_dump())) is not None:
        metrics.rejected("invalid")
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{where}: contains a NUL character (\\u0000)"
        )
    return snapshot


def _parse_and_store(
    body: bytes, use_case: IngestUseCase, metrics: MasterMetrics
) -> tuple[IngestResult, SLOSnapshot]:
    snapshot = _parse(body, metrics)
    try:
        return use_case.ingest(snapshot), snapshot
    except ClusterNotAllowed as error:
        metrics.rejected("cluster_not_allowed")
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
    except SnapshotOutOfRange as error:
        metrics.rejected("invalid")
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    except WindowOverlap as error:
        raise _overlap_refused(error, metrics) from None
    except StorageUnavailable as error:
        # Logged once per outage by the storage adapter; the agent keeps the snapshot and retries.
        metrics.ingest_snapshots.labels(result="failed").inc()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"{error}; snapshot not stored, retry", {"Retry-After": "5"}
        ) from None
    except Exception:
        metrics.ingest_snapshots.labels(result="failed").inc()
        log.exception("storing snapshot of %s at %s failed", snapshot.cluster_id, snapshot.slo_data.timestamp)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "snapshot could not be stored, retry"
        ) from None


def _overlap_refused(error: WindowOverlap, metrics: MasterMetrics) -> HTTPException:
    # Expected after an agent resumed from an old state file: its first interval repeats
    # seconds the master has. Counting them again would inflate every rate, so it is refused.
    metrics.rejected("overlap")
    log.info("refused snapshot: %s", error)
    return HTTPException(status.HTTP_409_CONFLICT, str(error))
