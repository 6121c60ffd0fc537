"""GraphiQL at `/graphql` (development only), served whole by this server: the page, its start
script and the vendored browser builds of graphiql, react and react-dom (server/static/graphiql/,
rebuilt by tools/graphiql/build.sh). No CDN, so it works on a school network with no internet.
"""

from __future__ import annotations

import os
from os import PathLike
from pathlib import Path

from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"

# Relative URLs: the page is /graphql, so they resolve to /static/… here and under a proxy's
# path prefix alike. Nothing external, and no inline script (the page's CSP forbids both).
PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>zhurnal · GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="static/graphiql/graphiql.min.css">
    <link rel="stylesheet" href="static/graphiql-page.css">
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="static/graphiql/react.production.min.js"></script>
    <script src="static/graphiql/react-dom.production.min.js"></script>
    <script src="static/graphiql/graphiql.min.js"></script>
    <script src="static/graphiql-start.js"></script>
  </body>
</html>
"""

class _Revalidated(StaticFiles):
    """The assets keep their names across upgrades: a browser revalidates (ETag, 304) rather
    than downloading 1.6 MB on every visit, and never keeps a stale copy."""

    def file_response(self, full_path: PathLike[str] | str, stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = "no-cache"
        return response


def static_routes() -> list[Mount]:
    """The route of the page's assets; mounted only where GraphiQL is served."""
    return [Mount(STATIC_PATH, app=_Revalidated(directory=STATIC_DIR), name="static")]
