"""The reference web client (web/, issue 21) at `/app/`, on the same origin as the API.

`web/dist` is what `npm run build` (run by `make web`, `make demo` and `make test`) leaves; the
server only serves it. Vite names every asset by its content hash, so assets may be kept for a
year; the page itself is revalidated, and any other path under /app/ is the page too (the
client's own routes: /app/journal, /app/diary, ...). No CDN: everything comes from here.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

WEB_DIST = Path(os.environ.get("ZHURNAL_WEB_DIST",
                               Path(__file__).resolve().parent.parent / "web" / "dist"))
PREFIX = "/app"
KEEP = "public, max-age=31536000, immutable"
MISSING = ("The web client is not built: run `make web` (npm ci and npm run build in web/), "
           "then reload.\n")


def _file(dist: Path, path: str) -> Path | None:
    """The file `path` names inside dist, never outside it."""
    if not path:
        return None
    candidate = (dist / path).resolve()
    if dist.resolve() not in candidate.parents or not candidate.is_file():
        return None
    return candidate


def web_routes(dist: Path = WEB_DIST) -> list[Route]:
    async def page(request: Request) -> Response:
        path = request.path_params.get("path", "")
        found = _file(dist, path)
        if found is not None:
            keep = KEEP if path.startswith("assets/") else "no-cache"
            return FileResponse(found, headers={"cache-control": keep})
        if path.startswith("assets/"):
            return PlainTextResponse("no such asset\n", status_code=404)
        index = dist / "index.html"
        if not index.is_file():
            return PlainTextResponse(MISSING, status_code=404)
        return FileResponse(index, headers={"cache-control": "no-cache"})

    async def redirect(request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    return [Route(PREFIX, redirect, methods=["GET", "HEAD"]),
            Route(f"{PREFIX}/{{path:path}}", page, methods=["GET", "HEAD"])]
