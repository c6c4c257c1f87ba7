"""Form posts of the territory page. They reuse the API's input shapes and services; a
refused form re-renders the page with the reason instead of leaving the manager on an error
page. Without JavaScript they are plain posts followed by a redirect."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import Request, post
from litestar.response import Redirect, Template

from server.db.engine import Database
from server.domain.errors import DomainError, NotFound
from server.domain.territories import active_on
from server.features.shared.territory_data import load_territory_data
from server.features.territories import realignment, services
from server.features.territories.access import today
from server.features.territories.schemas import AssignmentEndIn, AssignmentIn, RealignmentIn, RuleIn
from server.features.territories.views import render_detail
from server.http.errors import status_for
from server.security.auth import CurrentUser, requires_role

__all__ = ["FORM_HANDLERS"]

Req = Request[CurrentUser, Any, Any]
_managers = requires_role("manager", "admin")


async def _form(request: Req, fields: tuple[str, ...]) -> dict[str, str]:
    raw = await request.form()
    return {name: str(raw.get(name, "")).strip() for name in fields}


def _optional(form: dict[str, str], *names: str) -> dict[str, str | None]:
    # An empty input means "not set", never "set to the empty string".
    return {name: form.get(name) or None for name in names}


async def _run(
    request: Req, db: Database, territory_id: str, form: dict[str, str], action: Any
) -> Any:
    """Run one form action; on refusal show the page again with the message."""
    try:
        target = await action()
    except NotFound:
        raise
    except msgspec.ValidationError as exc:
        message = "Please check the form: " + str(exc).split(" - at ")[0]
        return await render_detail(
            request, db, territory_id, error=message, status_code=422, form=form
        )
    except DomainError as exc:
        return await render_detail(
            request, db, territory_id, error=exc.message, status_code=status_for(exc), form=form
        )
    return Redirect(path=target or f"/territories/{territory_id}", status_code=303)


@post("/territories/{territory_id:str}/rules", guards=[_managers], include_in_schema=False)
async def add_rule(request: Req, db: Database, territory_id: str) -> Template | Redirect:
    form = await _form(
        request, ("country", "state", "postal_exact", "postal_prefix", "postal_from", "postal_to")
    )

    async def action() -> None:
        payload = {
            "territory_id": territory_id,
            "country": form["country"],
            **_optional(form, "state", "postal_exact", "postal_prefix", "postal_from", "postal_to"),
        }
        async with db.write() as uow:
            await services.create_rule(uow, request.user, msgspec.convert(payload, RuleIn))

    result: Template | Redirect = await _run(request, db, territory_id, form, action)
    return result


@post(
    "/territories/{territory_id:str}/rules/{rule_id:str}/deactivate",
    guards=[_managers],
    include_in_schema=False,
)
async def deactivate_rule(
    request: Req, db: Database, territory_id: str, rule_id: str
) -> Template | Redirect:
    async def action() -> None:
        async with db.write() as uow:
            await services.deactivate_rule(uow, request.user, rule_id)

    result: Template | Redirect = await _run(request, db, territory_id, {}, action)
    return result


@post("/territories/{territory_id:str}/assignments", guards=[_managers], include_in_schema=False)
async def add_assignment(request: Req, db: Database, territory_id: str) -> Template | Redirect:
    form = await _form(request, ("user_id", "role", "valid_from", "valid_to"))

    async def action() -> None:
        payload = {
            "territory_id": territory_id,
            "user_id": form["user_id"],
            "role": form["role"],
            **_optional(form, "valid_from", "valid_to"),
        }
        async with db.write() as uow:
            await services.create_assignment(
                uow, request.user, msgspec.convert(payload, AssignmentIn)
            )

    result: Template | Redirect = await _run(request, db, territory_id, form, action)
    return result


@post(
    "/territories/{territory_id:str}/assignments/{assignment_id:str}/end",
    guards=[_managers],
    include_in_schema=False,
)
async def end_assignment(
    request: Req, db: Database, territory_id: str, assignment_id: str
) -> Template | Redirect:
    form = await _form(request, ("on",))

    async def action() -> None:
        data = msgspec.convert({"on": form["on"]}, AssignmentEndIn)
        async with db.write() as uow:
            await services.end_assignment(uow, request.user, assignment_id, data.on)

    result: Template | Redirect = await _run(request, db, territory_id, form, action)
    return result


@post("/territories/{territory_id:str}/handover", guards=[_managers], include_in_schema=False)
async def plan_handover(request: Req, db: Database, territory_id: str) -> Template | Redirect:
    """Draft a realignment that hands the territory to a new owner, then show its preview:
    a handover moves customers' owner, so it goes through preview and apply."""
    form = await _form(request, ("new_owner_id", "effective_on", "description"))

    async def action() -> str:
        effective_on = msgspec.convert(form["effective_on"] or today().isoformat(), type=date)
        async with db.read() as unit:
            tree = await load_territory_data(unit.session)
        # The owner row running across the handover day ends on it; one that starts that very
        # day cannot end then, and the draft's overlap check will say so.
        current = [
            a
            for a in tree.assignments
            if a.territory_id == territory_id
            and a.role == "owner"
            and active_on(a, effective_on)
            and a.valid_from < effective_on
        ]
        payload = {
            "effective_on": effective_on.isoformat(),
            "description": form["description"] or "Owner handover",
            "changes": {
                "end_assignment_ids": [a.id for a in current[:1]],
                "add_assignments": [
                    {
                        "territory_id": territory_id,
                        "user_id": form["new_owner_id"],
                        "role": "owner",
                        "valid_from": effective_on.isoformat(),
                    }
                ],
            },
        }
        async with db.write() as uow:
            draft = await realignment.draft_realignment(
                uow, request.user, msgspec.convert(payload, RealignmentIn)
            )
        return f"/territories/realignments/{draft.id}"

    result: Template | Redirect = await _run(request, db, territory_id, form, action)
    return result


FORM_HANDLERS = [add_rule, deactivate_rule, add_assignment, end_assignment, plan_handover]
