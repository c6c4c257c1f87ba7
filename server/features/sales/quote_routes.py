"""HTTP API of quotes: /api/quotes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.params import QueryParameter

from server.db.engine import Database
from server.db.models import Quote
from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.channels import channel_for
from server.features.sales import order_queries, quote_queries, quote_service
from server.features.sales.idempotency import create_once
from server.features.sales.order_service import convert_quote
from server.features.sales.schemas import (
    ConvertIn,
    OrderDetail,
    QuoteCreateIn,
    QuoteDetail,
    QuoteDiff,
    QuoteUpdateIn,
)
from server.features.shared.paging import Offset
from server.features.shared.scope import load_scope
from server.security.api_tokens import TOKEN_SCOPE

__all__ = ["QuoteController"]

IDEMPOTENCY_HEADER = "idempotency-key"
_Req = Request[CurrentUser, Any, Any]


async def _fresh(db: Database, user: CurrentUser, quote_id: str) -> Quote:
    """The quote as of today: one past its validity is stored as expired before answering."""
    async with db.read() as unit:
        scope = await load_scope(unit.session, user)
        quote = await quote_queries.get_visible_quote(unit.session, scope, quote_id)
        if quote.status not in ("draft", "sent") or date.today() <= quote.valid_until:
            return quote
    async with db.write() as uow:
        scope = await load_scope(uow.session, user)
        quote = await quote_queries.get_visible_quote(uow.session, scope, quote_id, lock=True)
        if await quote_service.expire_if_due(uow, quote, date.today(), actor_id=None):
            await quote_service.touch_quote(uow, quote)
        return quote


class QuoteController(Controller):
    path = "/api/quotes"
    tags = ["quotes"]

    @post("/", opt={TOKEN_SCOPE: "quotes:write"})
    async def create_quote(self, request: _Req, db: Database, data: QuoteCreateIn) -> Response[Any]:
        """Create a draft quote, priced by the server (Q-000123). Send `Idempotency-Key`
        to make retries safe."""

        async def work(uow: WriteUnit) -> QuoteDetail:
            quote = await quote_service.create_quote(uow, request.user, data)
            return await quote_queries.quote_detail(uow.session, quote)

        status, body = await create_once(
            db,
            request.user.id,
            request.headers.get(IDEMPOTENCY_HEADER),
            "POST /api/quotes",
            data,
            work,
        )
        return Response(body, status_code=status)

    @get("/", opt={TOKEN_SCOPE: "quotes:read"})
    async def list_quotes(
        self,
        request: _Req,
        db: Database,
        status: str | None = None,
        customer_id: str | None = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 25,
        offset: Offset = 0,
    ) -> list[QuoteDetail]:
        """The quotes the caller may see, newest first; overdue ones are expired first."""
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            due = await quote_queries.any_due(unit.session, scope, date.today())
        if due:
            await quote_service.expire_quotes(db, date.today())
        async with db.read() as unit:
            return await quote_queries.list_quotes(
                unit.session,
                scope,
                status=status,
                customer_id=customer_id,
                limit=limit,
                offset=offset,
            )

    @get("/{quote_id:str}", opt={TOKEN_SCOPE: "quotes:read"})
    async def get_quote(self, request: _Req, db: Database, quote_id: str) -> QuoteDetail:
        quote = await _fresh(db, request.user, quote_id)
        async with db.read() as unit:
            return await quote_queries.quote_detail(unit.session, quote)

    @patch("/{quote_id:str}", opt={TOKEN_SCOPE: "quotes:write"})
    async def update_quote(
        self, request: _Req, db: Database, quote_id: str, data: QuoteUpdateIn
    ) -> QuoteDetail:
        """Edit a draft; the given fields replace the old ones and everything is re-priced."""
        async with db.write() as uow:
            quote = await quote_service.update_quote(uow, request.user, quote_id, data)
            return await quote_queries.quote_detail(uow.session, quote)

    async def _act(self, request: _Req, db: Database, quote_id: str, action: str) -> QuoteDetail:
        async with db.write() as uow:
            quote = await quote_service.transition(uow, request.user, quote_id, action)
            return await quote_queries.quote_detail(uow.session, quote)

    @post("/{quote_id:str}/send", status_code=200, opt={TOKEN_SCOPE: "quotes:write"})
    async def send(self, request: _Req, db: Database, quote_id: str) -> QuoteDetail:
        """Send a draft; its revision is frozen as it was sent."""
        return await self._act(request, db, quote_id, "send")

    @post("/{quote_id:str}/revise", status_code=200, opt={TOKEN_SCOPE: "quotes:write"})
    async def revise(self, request: _Req, db: Database, quote_id: str) -> QuoteDetail:
        """Start the next revision in draft (from sent, declined or expired); the earlier
        revision stays readable under /revisions."""
        return await self._act(request, db, quote_id, "revise")

    @post("/{quote_id:str}/accept", status_code=200, opt={TOKEN_SCOPE: "quotes:write"})
    async def accept(self, request: _Req, db: Database, quote_id: str) -> QuoteDetail:
        return await self._act(request, db, quote_id, "accept")

    @post("/{quote_id:str}/decline", status_code=200, opt={TOKEN_SCOPE: "quotes:write"})
    async def decline(self, request: _Req, db: Database, quote_id: str) -> QuoteDetail:
        return await self._act(request, db, quote_id, "decline")

    @get("/{quote_id:str}/revisions", opt={TOKEN_SCOPE: "quotes:read"})
    async def list_revisions(
        self, request: _Req, db: Database, quote_id: str
    ) -> list[dict[str, Any]]:
        """Every revision, oldest first; the last one is the live current revision."""
        quote = await _fresh(db, request.user, quote_id)
        async with db.read() as unit:
            return await quote_queries.revisions(unit.session, quote)

    @get("/{quote_id:str}/diff", opt={TOKEN_SCOPE: "quotes:read"})
    async def diff(
        self,
        request: _Req,
        db: Database,
        quote_id: str,
        from_revision: Annotated[int, QueryParameter(name="from", ge=1)],
        to_revision: Annotated[int, QueryParameter(name="to", ge=1)],
    ) -> QuoteDiff:
        """Line-by-line difference between two revisions: added, removed, changed."""
        quote = await _fresh(db, request.user, quote_id)
        async with db.read() as unit:
            return await quote_queries.quote_diff(unit.session, quote, from_revision, to_revision)

    # Converting places an order: the same scope as placing one.
    @post("/{quote_id:str}/convert", opt={TOKEN_SCOPE: "orders:write"})
    async def convert(
        self, request: _Req, db: Database, quote_id: str, data: ConvertIn | None = None
    ) -> Response[Any]:
        """Turn an accepted quote into an order at the quoted prices (refused with
        quote_expired past its validity, already_converted the second time)."""
        header = data or ConvertIn()
        header = msgspec.structs.replace(
            header, channel=channel_for(request.user, "api", header.channel)
        )

        async def work(uow: WriteUnit) -> OrderDetail:
            return order_queries.placed_order_detail(
                await convert_quote(uow, request.user, quote_id, header)
            )

        status, body = await create_once(
            db,
            request.user.id,
            request.headers.get(IDEMPOTENCY_HEADER),
            f"POST /api/quotes/{quote_id}/convert",
            header,
            work,
        )
        return Response(body, status_code=status)
