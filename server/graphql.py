"""The GraphQL endpoint: one transaction per operation, the viewer resolved before resolvers."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import OrderedDict
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from psycopg.errors import InFailedSqlTransaction, InsufficientPrivilege
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.async_base_view import AsyncHTTPRequestAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from db.audit import Sealer, seal, wrote_audit
from db.engine import transaction
from db.tenancy import set_officer_role_async
from resolvers.auth.tokens import (
    API_TOKEN_PREFIX,
    AccessClaims,
    InvalidToken,
    read_access_token,
    secret_hash,
)
from resolvers.events.log import positions
from resolvers.events.notifications import DiaryListener
from schema.context import Context, Reauthenticate, SocketContext
from schema.loaders import Loaders
from server.admission import Admission, Busy
from server.diary_cache import DiaryCache, Lookup
from server.documents import SeveralOperations, chosen_operation, parse_bounded
from server.graphiql import PAGE as GRAPHIQL_PAGE
from server.media import JSON, prefers_graphql_response, response_media_type
from server.observability import current_request
from server.settings import ServerSettings
from tenants.access import (
    ANONYMOUS,
    AccessCache,
    AccessContext,
    resolve_access,
    resolve_api_token,
)
from tenants.rules import reads_only_aggregates

log = logging.getLogger("zhurnal.graphql")


class VerifiedTokens:
    """Access tokens whose signature was checked, with their claims (a bounded memo): a
    client sends the same token with every request for its 15 minutes, and checking the
    signature again costs more than the rest of a cached request's Python. The expiry is
    checked on every use; a changed byte is another key, checked afresh."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._claims: OrderedDict[str, AccessClaims] = OrderedDict()

    def read(self, secret: str, token: str) -> AccessClaims:
        claims = self._claims.get(token)
        if claims is None:
            claims = read_access_token(secret, token)
            self._claims[token] = claims
            while len(self._claims) > self.max_entries:
                self._claims.popitem(last=False)
        elif claims.expires_at <= datetime.now(UTC):
            del self._claims[token]
            raise InvalidToken("the token has expired")
        return claims


def viewer_resolver(settings: ServerSettings, authorization: str,
                    cache: AccessCache | None = None, tokens: VerifiedTokens | None = None,
                    ) -> Reauthenticate | None:
    """How to resolve the viewer of an `Authorization` value (in a transaction, as often as
    needed): an integrator token or a signed access token; None when it is neither. With a
    cache, a session's context is kept between requests and checked in the same one
    statement (tenants/access.py AccessCache)."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    if token.startswith(API_TOKEN_PREFIX):
        token_hash = secret_hash(token)
        return lambda session: resolve_api_token(session, token_hash)
    try:
        claims = (tokens.read(settings.secret_key, token) if tokens is not None
                  else read_access_token(settings.secret_key, token))
    except InvalidToken:
        return None
    if cache is not None:
        return lambda session: cache.resolve(session, claims.account_id, claims.session_id)
    return lambda session: resolve_access(session, claims.account_id, claims.session_id)


def token_expiry(settings: ServerSettings, authorization: str) -> datetime | None:
    """When a signed access token expires; None for an integrator token (or anything else)."""
    token = authorization.partition(" ")[2].strip()
    if token.startswith(API_TOKEN_PREFIX):
        return None
    try:
        return read_access_token(settings.secret_key, token).expires_at
    except InvalidToken:
        return None


REJECTED = 4403  # graphql-transport-ws: connection_init refused

# Where client libraries put the token in connection_init's payload: Apollo and urql examples
# use `authorization` or `authToken`, graphql-ws docs `token`, others copy their HTTP headers.
TOKEN_KEYS = ("Authorization", "authorization", "authToken", "token")


def connection_token(params: object) -> str | None:
    """The `Authorization` value of a connection_init payload: the first of TOKEN_KEYS, then
    `headers.Authorization` (either case), with "Bearer " added when the client sent the bare
    token; None when there is none."""
    if not isinstance(params, dict):
        return None
    headers = params.get("headers")
    found = [params.get(k) for k in TOKEN_KEYS]
    if isinstance(headers, dict):
        found += [headers.get("Authorization"), headers.get("authorization")]
    value = next((v.strip() for v in found if isinstance(v, str) and v.strip()), None)
    if value is None:
        return None
    scheme, _, rest = value.partition(" ")
    return value if scheme.lower() == "bearer" and rest.strip() else f"Bearer {value}"


class _SocketAdapter(ASGIWebSocketAdapter):
    async def send_json(self, message: Any) -> None:
        # graphql-transport-ws speaks in text frames; encode_json gives bytes for HTTP.
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        # The protocol handler rejects connection_init with a bare "Forbidden"; say why.
        why = getattr(self.ws.state, "rejection", None)
        if code == REJECTED and why:
            reason = f"{reason}: {why}"[:120]
        await super().close(code, reason)


class _SubscriptionsOnly(BaseGraphQLTransportWSHandler[SocketContext, None]):
    """Queries and mutations run in one transaction per HTTP request; over the socket only
    subscriptions are served, so a query never runs without its transaction."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and not _is_subscription(message):
            await self.send_message({"id": message["id"], "type": "error", "payload": [
                GraphQLError("only subscriptions are served over WebSocket; send queries and "
                             "mutations by HTTP POST to /graphql",
                             extensions={"code": "BAD_REQUEST"}).formatted]})
            return
        await super().handle_subscribe(message)


async def _operation(request_data: GraphQLRequestData) -> OperationDefinitionNode | None:
    """The operation that will run, parsed off the event loop into the cache execution then
    reads. None when the document does not parse or names no such operation: nothing runs,
    and execution reports why. A document with several operations and no operationName is
    the request's mistake (400), never "the first one"."""
    if not isinstance(request_data.query, str):
        return None
    try:
        document = await parse_bounded.off_loop(request_data.query)
    except GraphQLError:
        return None
    try:
        return chosen_operation(document, request_data.operation_name)
    except SeveralOperations as err:
        raise HTTPException(400, str(err)) from err


def _request_fields(body: dict[str, Any]) -> None:
    """Strawberry checks `query`, `variables` and `extensions`; a non-string operationName
    would reach caches keyed on it and fail there (a 500), so it is the client's 400 here."""
    name = body.get("operationName")
    if name is not None and not isinstance(name, str):
        raise HTTPException(400, "The GraphQL operation's `operationName` must be a string "
                                 "or null, if provided.")


def _is_request_error(result: ExecutionResult) -> bool:
    """Nothing was executed: the document did not parse or validate, or the variables did
    not fit (every field error has a path; these have none, and no data)."""
    return result.data is None and bool(result.errors) and all(
        e.path is None for e in result.errors or ())


def _wants_graphql_response(request: Request) -> bool:
    return prefers_graphql_response(request.headers.get("accept"))


def _observe_cached(request_data: GraphQLRequestData) -> None:
    """The request log and metrics name a cached answer's operation as an executed one's."""
    info = current_request()
    if info is not None:
        info.operation = request_data.operation_name or "anonymous"
        info.operation_type = "query"


def _officer_refusal(error: GraphQLError) -> GraphQLError:
    """A field the officer role may not read fails closed in PostgreSQL (and aborts the rest
    of the transaction); say so plainly instead of echoing the refused SQL."""
    cause = getattr(error.original_error, "orig", None)
    if not isinstance(cause, InsufficientPrivilege | InFailedSqlTransaction):
        return error
    return GraphQLError("not available to officers and aggregates-only tokens: they read "
                        "aggregates, never personal data", nodes=error.nodes, path=error.path,
                        extensions={"code": "FORBIDDEN"})


def _is_subscription(message: SubscribeMessage) -> bool:
    try:
        document = parse(message["payload"]["query"])
    except (GraphQLError, TypeError):
        return True  # the handler reports a malformed document itself
    name = message["payload"].get("operationName")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)
                  and (name is None or (d.name is not None and d.name.value == name))]
    return bool(operations) and all(o.operation == OperationType.SUBSCRIPTION
                                    for o in operations)


class ZhurnalGraphQL(GraphQL[Any, None]):
    websocket_adapter_class = _SocketAdapter  # type: ignore[assignment]
    graphql_transport_ws_handler_class = _SubscriptionsOnly  # type: ignore[assignment]

    def __init__(
        self, schema: Any, *, sessions: async_sessionmaker[AsyncSession],
        settings: ServerSettings, listener: DiaryListener | None = None,
        diary_cache: DiaryCache | None = None, access_cache: AccessCache | None = None,
        sealer: Sealer | None = None, admission: Admission | None = None,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None,
                         allow_queries_via_get=False, multipart_uploads_enabled=False,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         connection_init_wait_timeout=timedelta(seconds=10))
        self.sessions = sessions
        self.settings = settings
        self.listener = listener
        self.diary_cache = diary_cache
        self.access_cache = access_cache
        self.sealer = sealer
        self.admission = admission
        self.verified_tokens = VerifiedTokens() if access_cache is not None else None

    async def render_graphql_ide(self, request: Request) -> Response:
        # The project's own page: its assets are served from /static, never from a CDN.
        return HTMLResponse(GRAPHIQL_PAGE)

    def decode_json(self, data: str | bytes) -> object:
        # Bytes that are not UTF-8, or nesting deep enough to exhaust the recursion limit, are
        # the client's mistake: a 400 like any malformed JSON (parse_json), never a 500.
        try:
            return json.loads(data)
        except (UnicodeDecodeError, RecursionError) as err:
            raise json.JSONDecodeError(f"not JSON: {type(err).__name__}", "", 0) from err

    def parse_json(self, data: str | bytes) -> Any:
        body = super().parse_json(data)
        if isinstance(body, dict):
            _request_fields(body)
        elif not isinstance(body, list):  # a list is a batch, refused with its own words
            raise HTTPException(400, "the request body must be a JSON object: "
                                     "{\"query\": \"...\", \"variables\": {...}}")
        return body

    def encode_json(self, data: object) -> str | bytes:
        # Cyrillic as UTF-8, not \\u escapes: a third of the bytes for Russian text. orjson
        # writes the same compact JSON several times faster (issue 18); what it refuses (an
        # integer past 64 bits, a non-string key) json still writes.
        try:
            return orjson.dumps(data)
        except (orjson.JSONEncodeError, TypeError):
            return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        response = await super().run(request, context, root_value)
        # Strawberry answers every result as application/json; the client's Accept decides.
        if isinstance(response, Response) and response.media_type == JSON:
            response.headers["content-type"] = response_media_type(
                request.headers.get("accept"))
        return response

    async def process_result(self, request: Any, result: ExecutionResult) -> Any:
        body = await super().process_result(request, result)
        if _is_request_error(result) and _wants_graphql_response(request):
            body.pop("data", None)  # nothing ran: the spec's request error has no data entry
        return body

    async def get_context(self, request: Any, response: Any = None) -> Any:
        if isinstance(request, WebSocket):
            # One per connection; the viewer is set by connection_init (on_ws_connect).
            return SocketContext(request_id=uuid.uuid4().hex, sessions=self.sessions,
                                 settings=self.settings, listener=self.listener,
                                 websocket=request)
        # The real context is built per operation in execute_single, inside its transaction.
        # The id RequestObserver gave the request, so the log line and the error match.
        request_id = request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex
        return {"request": request, "request_id": request_id}

    async def on_ws_connect(self, context: Any) -> UnsetType | dict[str, object] | None:
        """Authenticate the socket from connection_init's payload (`connection_token`: the
        keys client libraries use); refuse it (close 4403) otherwise. Note each school's
        position in the diary event log before answering: subscriptions without `after`
        start there, so a change committed after connection_ack is never missed."""
        header = connection_token(context.connection_params)
        if header is None:
            self._reject(context, "send {\"Authorization\": \"Bearer <token>\"} in "
                                  "connection_init")
        resolve = viewer_resolver(self.settings, header)
        if resolve is None:
            self._reject(context, "invalid or expired token")
        async with transaction(self.sessions) as session:
            access = await resolve(session)
            if access.is_authenticated:
                context.start_positions = await positions(session, access.school_ids)
        if not access.is_authenticated:
            self._reject(context, "invalid, expired or revoked token")
        context.access = access
        context.reauthenticate = resolve
        context.checked_at = time.monotonic()
        context.expires_at = token_expiry(self.settings, header)
        return UNSET

    def _reject(self, context: SocketContext, why: str) -> NoReturn:
        if context.websocket is not None:
            context.websocket.state.rejection = why
        raise ConnectionRejectionError

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Any,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        operation = await _operation(request_data)
        try:
            async with self._admitted(operation):
                result, request_id = await self._execute_in_transaction(
                    request, request_adapter, sub_response, context, root_value,
                    request_data, operation)
        except (*DATABASE_TROUBLE, Busy) as err:
            return database_unavailable(sub_response, err)
        if any(isinstance(e.original_error, DATABASE_TROUBLE) for e in result.errors or ()):
            return database_unavailable(sub_response, next(
                e.original_error for e in result.errors or ()
                if isinstance(e.original_error, DATABASE_TROUBLE)))
        sub_response.headers["X-Request-Id"] = request_id
        if (_is_request_error(result) and sub_response.status_code is None
                and _wants_graphql_response(request)):
            # application/json clients keep 200 for every GraphQL error, as before the spec.
            sub_response.status_code = 400
        return result

    def _admitted(self, operation: OperationDefinitionNode | None
                  ) -> AbstractAsyncContextManager[None]:
        """A slot of the process's admission gate (server/admission.py): a mutation's ahead
        of the queries waiting for one."""
        if self.admission is None:
            return nullcontext()
        return self.admission.slot(write=operation is not None
                                   and operation.operation == OperationType.MUTATION)

    async def _execute_in_transaction(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Any,
        root_value: Any,
        request_data: GraphQLRequestData,
        operation: OperationDefinitionNode | None,
    ) -> tuple[ExecutionResult, str]:
        async with self.sessions() as session:
            await session.begin()
            access = await self._access(request, session)
            # The role follows the operation that runs; only a mutation (which writes as the
            # application role and checks its own permissions) goes without it.
            as_officer = reads_only_aggregates(access) and not (
                operation is not None and operation.operation == OperationType.MUTATION)
            cached = self._cached_diary(access, request_data) if not as_officer else None
            if cached is not None and (data := self.diary_cache.get(cached)) is not None:  # type: ignore[union-attr]
                await session.commit()
                _observe_cached(request_data)
                return ExecutionResult(data=data, errors=None), context["request_id"]
            if as_officer:
                # DESIGN.md: officers' reads run as a role with no privilege on personal data,
                # so no resolver can leak a name even by mistake (transaction-local).
                await set_officer_role_async(session)
            ctx = Context(request_id=context["request_id"], session=session,
                          loaders=Loaders(session, access), settings=self.settings,
                          access=access, client_address=_client_address())
            result = await super().execute_single(
                request, request_adapter, sub_response, ctx, root_value, request_data
            )
            if as_officer and result.errors:
                result.errors = [_officer_refusal(e) for e in result.errors]
            audited = False
            if result.errors:
                await session.rollback()
            else:
                audited = (operation is not None
                           and operation.operation == OperationType.MUTATION
                           and await wrote_audit(session))
                await session.commit()
                if cached is not None and result.data is not None:
                    self.diary_cache.put(cached, result.data, access.school_ids)  # type: ignore[union-attr]
        if audited:
            await self._seal_audit()
        return result, ctx.request_id

    async def _seal_audit(self) -> None:
        """Chain the audit rows the mutation committed (db/audit.py `seal`), before it
        answers. The write is committed whatever happens here: a sealer that fails leaves its
        rows to the next one (any mutation's, the next start's, `zhurnal audit seal`)."""
        try:
            await (self.sealer.after_commit() if self.sealer else seal(self.sessions))
        except (DBAPIError, *DATABASE_TROUBLE) as err:
            log.warning("audit rows left unsealed for the next sealer: %s",
                        str(err).strip().splitlines()[0] if str(err).strip()
                        else type(err).__name__)

    def _cached_diary(self, access: AccessContext, request_data: GraphQLRequestData
                      ) -> Lookup | None:
        """The diary cache's key for this request, if it is a diary query it may answer."""
        if self.diary_cache is None or not isinstance(request_data.query, str):
            return None
        return self.diary_cache.lookup(access, request_data.query, request_data.operation_name,
                                       request_data.variables)

    async def _access(self, request: Request, session: AsyncSession) -> AccessContext:
        """The viewer from the bearer token: an integrator token or a signed access token.
        Anything else is anonymous, and fields that need a viewer say UNAUTHENTICATED."""
        resolve = viewer_resolver(self.settings, request.headers.get("authorization", ""),
                                  self.access_cache, self.verified_tokens)
        return await resolve(session) if resolve is not None else ANONYMOUS





# The pool ran dry, the server is unreachable or restarting, or a statement ran past the
# statement timeout: the request may be sent again. Its transaction was rolled back, unless
# the connection broke during COMMIT itself: a write is retried safely with its clientKey.
DATABASE_TROUBLE = (SATimeoutError, OperationalError, InterfaceError)


def database_unavailable(sub_response: Response, err: BaseException) -> ExecutionResult:
    log.warning("database unavailable: %s", str(err).strip().splitlines()[0] if str(err).strip()
                else type(err).__name__)
    sub_response.status_code = 503
    sub_response.headers["Retry-After"] = "1"
    return ExecutionResult(data=None, errors=[GraphQLError(
        "the database is busy or unavailable: retry in a moment (a write with the same "
        "clientKey, so it is applied once)",
        extensions={"code": "SERVICE_UNAVAILABLE", "retryable": True})])


def _client_address() -> str | None:
    info = current_request()
    return info.client if info is not None else None
