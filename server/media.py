"""Which JSON media type a GraphQL answer is sent as (GraphQL over HTTP, content negotiation).

`application/graphql-response+json` tells the client that the status code means something: a
request error (the document does not parse or validate, the variables do not fit, the body is
not a GraphQL request) is a 4xx with no `data` key. `application/json` is what clients written
before the spec expect: 200 for every GraphQL error. The client chooses with Accept.
"""

from __future__ import annotations

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def _quality(ranges: list[tuple[str, float]], media: str) -> float:
    """The quality the client gives `media`: its most specific matching range decides."""
    kind = media.split("/")[0]
    for candidate in (media, f"{kind}/*", "*/*"):
        matching = [q for m, q in ranges if m == candidate]
        if matching:
            return max(matching)
    return 0.0


def prefers_graphql_response(accept: str | None) -> bool:
    """True when Accept ranks application/graphql-response+json at least as high as
    application/json. A wildcard alone (`*/*`, `application/*`) or no Accept keeps
    application/json, as the spec asks during its transition; so does an Accept naming
    neither (the server answers in JSON rather than 406)."""
    if not accept:
        return False
    ranges = _ranges(accept)
    if not any(m == GRAPHQL_RESPONSE for m, _ in ranges):
        return False
    wanted = _quality(ranges, GRAPHQL_RESPONSE)
    return wanted > 0 and wanted >= _quality(ranges, JSON)


def response_media_type(accept: str | None) -> str:
    return GRAPHQL_RESPONSE if prefers_graphql_response(accept) else JSON
