"""Mutation handlers: each calls the same feature service as the online API."""

from __future__ import annotations

import msgspec

from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.errors import ValidationFailed
from server.domain.text import CONTROL_CHARACTERS_MESSAGE, is_one_line_refusal
from server.features.customers import services as customers
from server.features.customers.favourites import set_favourite
from server.features.customers.schemas import CustomerCreateIn, CustomerUpdateIn
from server.features.shared.scope import load_scope
from server.features.sync_api.handlers_sales import (
    order_amend,
    order_cancel,
    order_place,
    quote_save,
    quote_send,
)
from sync.engine import HandlerResult, SyncEngine
from sync.protocol import Mutation

__all__ = ["build_engine"]


def _args(mutation: Mutation, shape: type[msgspec.Struct], **extra: object) -> msgspec.Struct:
    try:
        return msgspec.convert({**mutation.args, **extra}, shape)
    except msgspec.ValidationError as exc:
        if is_one_line_refusal(str(exc)):
            field = str(exc).rpartition("$.")[2].rstrip("`") or "A name"
            raise ValidationFailed(
                f"{field} {CONTROL_CHARACTERS_MESSAGE}", code="invalid_text"
            ) from None
        raise ValidationFailed(f"The change is not valid: {exc}", code="invalid_mutation") from None


async def customer_create(uow: WriteUnit, user: CurrentUser, mutation: Mutation) -> HandlerResult:
    session = uow.session
    data = _args(mutation, CustomerCreateIn, id=mutation.entity_id)
    assert isinstance(data, CustomerCreateIn)
    scope = await load_scope(session, user)
    customer, reason = await customers.create_customer(uow, user, scope, data)
    return HandlerResult(
        result={
            "number": customer.number,
            "territory_id": customer.territory_id,
            "territory_reason": reason,
            "owner_id": customer.owner_id,
            "version": customer.version,
        }
    )


async def customer_update(uow: WriteUnit, user: CurrentUser, mutation: Mutation) -> HandlerResult:
    session = uow.session
    if mutation.base_version is None:
        raise ValidationFailed("customer.update needs base_version.", code="base_version_missing")
    data = _args(mutation, CustomerUpdateIn, base_version=mutation.base_version)
    assert isinstance(data, CustomerUpdateIn)
    scope = await load_scope(session, user)
    customer, applied, overwritten = await customers.update_customer(
        uow, user, scope, mutation.entity_id, data
    )
    return HandlerResult(
        result={
            "version": customer.version,
            "applied": applied,
            "overwritten_by_server": overwritten,
        }
    )


class FavouriteIn(msgspec.Struct, forbid_unknown_fields=True):
    favourite: bool


async def customer_favourite(
    uow: WriteUnit, user: CurrentUser, mutation: Mutation
) -> HandlerResult:
    data = _args(mutation, FavouriteIn)
    assert isinstance(data, FavouriteIn)
    scope = await load_scope(uow.session, user)
    now = await set_favourite(uow, user, scope, mutation.entity_id, favourite=data.favourite)
    return HandlerResult(result={"favourite": now})


def build_engine() -> SyncEngine:
    engine = SyncEngine()
    engine.register("customer.create", 1, customer_create, creates=True)
    engine.register("customer.update", 1, customer_update)
    engine.register("customer.favourite", 1, customer_favourite)
    # The first save of a quote creates it; a rejected one leaves nothing to send or order from.
    engine.register("quote.save", 1, quote_save, creates=True)
    engine.register("quote.send", 1, quote_send)
    engine.register("order.place", 1, order_place, creates=True)
    engine.register("order.cancel", 1, order_cancel)
    engine.register("order.amend", 1, order_amend)
    return engine
