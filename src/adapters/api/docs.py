"""The interactive API reference at ``/docs``, served from the package.

FastAPI's own page loads Swagger UI from a CDN, so it is blank offline and its
inline start-up script breaks the dashboard's Content-Security-Policy. This
page uses the copy vendored under ``static/vendor/swagger-ui`` and a start-up
script served from here. Every URL is relative, so the page also works behind
a proxy that serves the master under a path prefix. ReDoc is not offered.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from adapters.api.auth import require_read_token
from adapters.web.routes import SECURITY_HEADERS

# Passed to FastAPI(): its CDN-backed pages and its open /openapi.json are replaced by the
# routes below, which need the read token when one is set (the document names every operation
# and the tokens each needs). The start-up script and the vendored Swagger UI files are the same
# for every master and reveal nothing: they stay open, like the dashboard's static files.
APP_OPTIONS: dict[str, Any] = {
    "docs_url": None, "redoc_url": None, "swagger_ui_oauth2_redirect_url": None, "openapi_url": None,
}

VENDOR = "static/vendor/swagger-ui"

PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>meshslo master – API</title>
  <link rel="stylesheet" href="{VENDOR}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{VENDOR}/swagger-ui-bundle.js"></script>
  <script src="docs/start.js"></script>
</body>
</html>
"""

# Relative to the page, so "/prefix/docs" reads "/prefix/openapi.json".
# No validator: it would send the document to an outside service.
START = """window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
});
"""

HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse, dependencies=[Depends(require_read_token)])
def docs_page() -> HTMLResponse:
    return HTMLResponse(PAGE, headers=HEADERS)


@router.get("/openapi.json", dependencies=[Depends(require_read_token)])
def openapi_document(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs/start.js")
def docs_start() -> Response:
    return Response(START, media_type="text/javascript; charset=utf-8", headers=HEADERS)
