"""GET/POST /notifications/unsubscribe?token=…: the link at the foot of every email.

GET shows a page with one button (a link scanner that follows links changes nothing); POST,
the button or a mail client's one-click unsubscribe (RFC 8058 `List-Unsubscribe-Post`), turns
the channel off. The token is signed with the server's secret
(resolvers/notifications/unsubscribe.py); anything else is a 400."""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from db.engine import transaction
from resolvers.notifications.unsubscribe import read_token, unsubscribe

_PAGE = """<!doctype html><html lang="ru"><meta charset="utf-8"><title>{title}</title>
<body><p>{text}</p>{form}</body></html>"""


def unsubscribe_endpoint(sessions: async_sessionmaker[AsyncSession], secret: str):
    async def endpoint(request: Request) -> Response:
        token = request.query_params.get("token", "")
        found = read_token(secret, token)
        if found is None:
            return HTMLResponse(_PAGE.format(
                title="Ссылка недействительна", form="",
                text="Ссылка для отписки недействительна."), status_code=400)
        if request.method == "GET":
            form = (f'<form method="post" action="?token={escape(token)}">'
                    '<button type="submit">Отписаться от писем</button></form>')
            return HTMLResponse(_PAGE.format(
                title="Отписка", form=form,
                text="Больше не получать письма о записях в дневнике?"))
        async with transaction(sessions) as session:
            await unsubscribe(session, *found)
        return HTMLResponse(_PAGE.format(title="Готово", form="",
                                         text="Письма больше не будут приходить."))
    return endpoint
