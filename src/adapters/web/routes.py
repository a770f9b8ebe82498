"""The dashboard page and its static files (SPEC §7).

The page is plain HTML + ES modules with the graph and chart libraries vendored
under ``static/vendor``: the master needs no Node.js and no network to serve it.
Every response carries a Content-Security-Policy that only allows scripts from
this origin, so a metric label that slipped into the page as markup still could
not run anything.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent / "static"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Chart.js and cytoscape size their canvases through style attributes.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


def resolve_static(relative: str, root: Path = STATIC_DIR) -> Path | None:
    """The file under ``root`` that ``relative`` names, or None when it names
    nothing servable (missing, a directory, outside ``root``, or not a path at all)."""
    if "\x00" in relative:  # the OS refuses such a name with an error, not a miss
        return None
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    if candidate.suffix not in MEDIA_TYPES:
        return None
    return candidate


def _file_response(path: Path, cache_control: str) -> FileResponse:
    headers = {**SECURITY_HEADERS, "Cache-Control": cache_control}
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=headers)


# HEAD answers like GET without a body (FileResponse sends headers only for
# HEAD): uptime checks and proxies probe the page that way.
@router.api_route("/", methods=["GET", "HEAD"], response_class=FileResponse)
def dashboard_page() -> FileResponse:
    """The dashboard; always revalidated so an upgraded master serves its new page."""
    return _file_response(STATIC_DIR / "index.html", "no-cache")


@router.api_route("/static/{relative:path}", methods=["GET", "HEAD"], response_class=FileResponse)
def static_file(relative: str) -> FileResponse:
    path = resolve_static(relative)
    if path is None:
        raise HTTPException(status_code=404, detail=f"no static file {relative!r}")
    # Revalidate rather than cache blindly: file names carry no content hash.
    return _file_response(path, "no-cache")
