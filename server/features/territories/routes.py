"""HTTP API of territories: /api/territories, /api/territory-rules,
/api/territory-assignments and /api/realignments. Thin: validate, call, answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import Parameter

from server.db.engine import Database
from server.features.shared.paging import Offset
from server.features.territories import queries, realignment, services
from server.features.territories.access import today
from server.features.territories.schemas import (
    AssignmentEndIn,
    AssignmentIn,
    AssignmentOut,
    OwnerOut,
    RealignmentIn,
    RealignmentOut,
    RealignmentPreview,
    RuleIn,
    RuleOut,
    TerritoryDetail,
    TerritoryIn,
    TerritoryTree,
    TerritoryUpdateIn,
    UnassignedPage,
)
from server.http.problem_docs import problem_answers
from server.security.auth import CurrentUser, requires_role

__all__ = ["AssignmentController", "RealignmentController", "RuleController", "TerritoryController"]

Req = Request[CurrentUser, Any, Any]
OnDate = Annotated[
    date | None,
    Parameter(description="The day the question is about (YYYY-MM-DD); today if left out."),
]
_anyone = requires_role("rep", "manager", "admin")
_managers = requires_role("manager", "admin")
_admins = requires_role("admin")


async def _detail(
    db: Database, user: CurrentUser, territory_id: str, on: date | None = None
) -> TerritoryDetail:
    async with db.read() as unit:
        return await queries.territory_detail(unit.session, user, territory_id, on or today())


class TerritoryController(Controller):
    path = "/api/territories"
    tags = ("territories",)

    @get("/", guards=[_anyone])
    async def tree(self, request: Req, db: Database, on: OnDate = None) -> TerritoryTree:
        """The territories the caller may see, depth first, each with its owner and managers on `on`."""
        async with db.read() as unit:
            return await queries.territory_tree(unit.session, request.user, on or today())

    @post("/", guards=[_managers])
    async def create(self, request: Req, db: Database, data: TerritoryIn) -> TerritoryDetail:
        """Add a territory below `parent_id` (managers: inside their subtree; top level: admins)."""
        async with db.write() as uow:
            territory_id = await services.create_territory(uow, request.user, data)
        return await _detail(db, request.user, territory_id)

    @get("/unassigned", guards=[_managers])
    async def unassigned(
        self,
        db: Database,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Offset = 0,
    ) -> UnassignedPage:
        """Customers whose address matched no rule and who sit in the default territory."""
        async with db.read() as unit:
            return await queries.unassigned_customers(unit.session, limit=limit, offset=offset)

    @get("/{territory_id:str}", guards=[_anyone])
    async def detail(
        self, request: Req, db: Database, territory_id: str, on: OnDate = None
    ) -> TerritoryDetail:
        """One territory: path, children, reps, active rules and every assignment ever made."""
        return await _detail(db, request.user, territory_id, on)

    @patch("/{territory_id:str}", guards=[_managers])
    async def update(
        self, request: Req, db: Database, territory_id: str, data: TerritoryUpdateIn
    ) -> TerritoryDetail:
        """Rename a territory or move it below another one (a move that makes a cycle is refused)."""
        async with db.write() as uow:
            await services.update_territory(uow, request.user, territory_id, data)
        return await _detail(db, request.user, territory_id)

    # Not named `owner`: that is the Controller's own attribute, and a handler of that name
    # silently disappears from the routes.
    @get("/{territory_id:str}/owner", guards=[_anyone])
    async def owner_on(
        self, request: Req, db: Database, territory_id: str, on: OnDate = None
    ) -> OwnerOut:
        """Who owned the territory on a date; `owner` is null when nobody did."""
        async with db.read() as unit:
            return await queries.owner_of(unit.session, request.user, territory_id, on or today())

    @post("/{territory_id:str}/default", guards=[_admins], status_code=200)
    async def make_default(self, request: Req, db: Database, territory_id: str) -> TerritoryDetail:
        """Make this the territory for addresses that match no rule."""
        async with db.write() as uow:
            await services.make_default(uow, request.user, territory_id)
        return await _detail(db, request.user, territory_id)


class RuleController(Controller):
    path = "/api/territory-rules"
    tags = ("territories",)
    guards = (_managers,)

    @get("/")
    async def list_rules(
        self,
        request: Req,
        db: Database,
        territory_id: str | None = None,
        include_inactive: bool = False,
    ) -> list[RuleOut]:
        """Address rules; deactivated ones only with `include_inactive=true`."""
        async with db.read() as unit:
            return await queries.list_rules(
                unit.session,
                request.user,
                territory_id=territory_id,
                include_inactive=include_inactive,
            )

    @post("/")
    async def create_rule(self, request: Req, db: Database, data: RuleIn) -> RuleOut:
        """Add a rule. It places new customers at once; existing ones move with a realignment."""
        async with db.write() as uow:
            return await services.create_rule(uow, request.user, data)

    @delete("/{rule_id:str}", status_code=200)
    async def deactivate_rule(self, request: Req, db: Database, rule_id: str) -> RuleOut:
        """Deactivate a rule; it stays stored as history."""
        async with db.write() as uow:
            return await services.deactivate_rule(uow, request.user, rule_id)


class AssignmentController(Controller):
    path = "/api/territory-assignments"
    tags = ("territories",)
    guards = (_managers,)

    @get("/")
    async def list_assignments(
        self,
        request: Req,
        db: Database,
        territory_id: str | None = None,
        user_id: str | None = None,
        on: Annotated[
            date | None, Parameter(description="Only assignments in force on this day.")
        ] = None,
    ) -> list[AssignmentOut]:
        """Assignments, ended ones included unless `on` asks for one day."""
        async with db.read() as unit:
            return await queries.list_assignments(
                unit.session, request.user, territory_id=territory_id, user_id=user_id, on=on
            )

    @post("/")
    async def create_assignment(
        self, request: Req, db: Database, data: AssignmentIn
    ) -> AssignmentOut:
        """Assign a user as owner, member or manager from `valid_from` (today if left out)
        until `valid_to` (exclusive). Overlapping owners of one territory are refused with 409."""
        async with db.write() as uow:
            return await services.create_assignment(uow, request.user, data)

    @post("/{assignment_id:str}/end", status_code=200)
    async def end_assignment(
        self, request: Req, db: Database, assignment_id: str, data: AssignmentEndIn
    ) -> AssignmentOut:
        """End an assignment on `on` (its first day no longer in force)."""
        async with db.write() as uow:
            return await services.end_assignment(uow, request.user, assignment_id, data.on)


class RealignmentController(Controller):
    path = "/api/realignments"
    tags = ("territories",)
    guards = (_managers,)

    @get("/")
    async def list_realignments(self, request: Req, db: Database) -> list[RealignmentOut]:
        """Realignments the caller drafted (admins: all), newest first."""
        async with db.read() as unit:
            return await realignment.list_realignments(unit, request.user)

    @post("/")
    async def draft(self, request: Req, db: Database, data: RealignmentIn) -> RealignmentOut:
        """Store a draft of rule and assignment changes that take effect on `effective_on`."""
        async with db.write() as uow:
            return await realignment.draft_realignment(uow, request.user, data)

    @get("/{realignment_id:str}")
    async def get_one(self, request: Req, db: Database, realignment_id: str) -> RealignmentOut:
        async with db.read() as unit:
            return await realignment.get_realignment(unit, request.user, realignment_id)

    # A draft is planned again against today's rules: one added since can make it clash (409).
    @get("/{realignment_id:str}/preview", responses=problem_answers(409))
    async def preview(self, request: Req, db: Database, realignment_id: str) -> RealignmentPreview:
        """Customers that would change territory or owner, and the open documents affected."""
        async with db.read() as unit:
            return await realignment.preview_realignment(unit, request.user, realignment_id)

    @post("/{realignment_id:str}/apply", status_code=200)
    async def apply(self, request: Req, db: Database, realignment_id: str) -> RealignmentPreview:
        """Apply the draft in one transaction and answer with what moved; a second apply is 409."""
        async with db.write() as uow:
            return await realignment.apply_realignment(uow, request.user, realignment_id)
