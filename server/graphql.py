"""The GraphQL endpoint: one transaction per operation, the viewer resolved before resolvers."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.http.async_base_view import AsyncHTTPRequestAdapter
from strawberry.types import ExecutionResult

from resolvers.loaders import Loaders
from schema.context import Context
from server.settings import ServerSettings
from server.tokens import API_TOKEN_PREFIX, InvalidToken, read_access_token, secret_hash
from tenants.access import ANONYMOUS, AccessContext, resolve_access, resolve_api_token


class ZhurnalGraphQL(GraphQL[Any, None]):
    def __init__(
        self, schema: Any, *, sessions: async_sessionmaker[AsyncSession],
        settings: ServerSettings,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None,
                         allow_queries_via_get=False, multipart_uploads_enabled=False)
        self.sessions = sessions
        self.settings = settings

    def encode_json(self, data: object) -> str:
        # Cyrillic as UTF-8, not \\u escapes: a third of the bytes for Russian text.
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    async def get_context(self, request: Any, response: Any = None) -> dict[str, Any]:
        # The real context is built per operation in execute_single, inside its transaction.
        return {"request": request, "request_id": uuid.uuid4().hex}

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Any,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        async with self.sessions() as session:
            await session.begin()
            access = await self._access(request, session)
            ctx = Context(request_id=context["request_id"], session=session,
                          loaders=Loaders(session, access), settings=self.settings,
                          access=access)
            result = await super().execute_single(
                request, request_adapter, sub_response, ctx, root_value, request_data
            )
            if result.errors:
                await session.rollback()
            else:
                await session.commit()
        sub_response.headers["X-Request-Id"] = ctx.request_id
        return result

    async def _access(self, request: Request, session: AsyncSession) -> AccessContext:
        """The viewer from the bearer token: an integrator token or a signed access token.
        Anything else is anonymous, and fields that need a viewer say UNAUTHENTICATED."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return ANONYMOUS
        if token.startswith(API_TOKEN_PREFIX):
            return await resolve_api_token(session, secret_hash(token))
        try:
            claims = read_access_token(self.settings.secret_key, token)
        except InvalidToken:
            return ANONYMOUS
        return await resolve_access(session, claims.account_id, claims.session_id)



