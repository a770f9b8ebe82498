"""``POST /agent/snapshot``: the agents' way in (SPEC §3).

Bad input never reaches storage and never produces a 500: oversize bodies are
refused while they are read (413, also for chunked bodies), invalid JSON or
values with 422 naming the field, unknown clusters with 403; a body that is not
JSON (Content-Type) with 415, data after the gzip stream with 400.
"""

from __future__ import annotations

import logging
import time
import zlib

from dependency_injector.wiring import Provide, inject
from fastapi import APIRouter, Depends, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from adapters.api.auth import ApiTokens, check_token
from adapters.api.errors import nul_character_path
from adapters.api.snapshot_body import InvalidBody, parse_snapshot
from adapters.observability.master_metrics import MasterMetrics
from application.master.ingest import ClusterNotAllowed, IngestResult, IngestUseCase
from application.ports.ingest import SnapshotOutOfRange
from application.ports.storage import StorageUnavailable
from domain.contract import SLOSnapshot

log = logging.getLogger(__name__)

router = APIRouter(tags=["ingest"])

# The body is read by hand (size limit, gzip) rather than declared as a parameter, so its
# schema is given to OpenAPI explicitly; ``contract_schemas`` supplies the referenced models.
# Names are prefixed so that they never collide with the query API's response models.
_CONTRACT_PREFIX = "contract."
_CONTRACT_REF = "#/components/schemas/" + _CONTRACT_PREFIX + "{model}"
_SNAPSHOT_SCHEMA = SLOSnapshot.model_json_schema(ref_template=_CONTRACT_REF)


def contract_schemas() -> dict[str, object]:
    """The contract's models, for the OpenAPI document's ``components.schemas``."""
    schemas = {_CONTRACT_PREFIX + name: schema for name, schema in _SNAPSHOT_SCHEMA.get("$defs", {}).items()}
    schemas[_CONTRACT_PREFIX + "SLOSnapshot"] = {k: v for k, v in _SNAPSHOT_SCHEMA.items() if k != "$defs"}
    return schemas


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
    async for chunk in request.stream():
        if decoder is not None:
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
    "/agent/snapshot",
    summary="Store one agent snapshot",
    responses={
        400: {"description": "data after the end of the gzip stream, or the client went away"},
        401: {"description": "missing or wrong ingest token"},
        403: {"description": "cluster not in the allow-list"},
        413: {"description": "body (decompressed, when gzip) larger than --max-body"},
        415: {"description": "Content-Type other than application/json, or content encoding other than gzip"},
        422: {"description": "invalid snapshot; the message names the field"},
        503: {"description": "the database is unavailable (or storing failed): retry later"},
    },
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
