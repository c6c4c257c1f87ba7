"""HTTP API of offline sync, protocol v1: /api/sync/v1/*."""

from __future__ import annotations

import asyncio
import gzip
from typing import Annotated, Any

import brotli
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from server.db.engine import Database
from server.db.models import Device
from server.db.types import new_id, utcnow
from server.domain.actor import CurrentUser
from server.domain.errors import NotFound, ValidationFailed
from server.features.shared.scope import load_scope
from server.features.sync_api.handlers import build_engine
from server.features.sync_api.push_decoding import PushBodyRequest
from server.features.sync_api.sources import FEED_SOURCES
from sync.feed import Visibility, pull_page
from sync.protocol import (
    MAX_PUSH_BYTES,
    PROTOCOL,
    SUPPORTED_SCHEMA_VERSIONS,
    DeviceIn,
    DeviceOut,
    PullResponse,
    PushRequest,
    PushResponse,
)

__all__ = ["SyncController"]

ENGINE = build_engine()


def check_versions(protocol: int, schema_version: int) -> None:
    if protocol != PROTOCOL:
        raise ValidationFailed(
            f"This server speaks sync protocol {PROTOCOL}; the app sent {protocol}. Update the app.",
            code="protocol_unsupported",
            details={"supported_protocol": PROTOCOL},
        )
    if schema_version not in SUPPORTED_SCHEMA_VERSIONS:
        raise ValidationFailed(
            f"Local data schema {schema_version} is not supported; the app must update.",
            code="schema_unsupported",
            details={"supported_schema_versions": list(SUPPORTED_SCHEMA_VERSIONS)},
        )


def _unavailable() -> Response[dict[str, Any]]:
    # Nothing was advanced: the phone keeps its outbox and retries later.
    return Response(
        {
            "type": "https://fieldsales.dev/problems/unavailable",
            "title": "Service unavailable",
            "status": 503,
            "code": "unavailable",
            "detail": "The server could not store the changes. Nothing was applied; retry later.",
        },
        status_code=503,
        media_type="application/problem+json",
        headers={"Retry-After": "5"},
    )


PUSH_PATH = "/api/sync/v1/push"


class SyncController(Controller):
    path = "/api/sync/v1"
    tags = ["sync"]

    @post("/devices", status_code=201)
    async def register_device(
        self, request: Request[CurrentUser, Any, Any], db: Database, data: DeviceIn
    ) -> DeviceOut:
        """Register this phone for the signed-in user; its id goes with every push."""
        check_versions(data.protocol, data.schema_version)
        async with db.write() as uow:
            device = Device(
                id=new_id(),
                user_id=request.user.id,
                name=data.name.strip(),
                last_seq=0,
                registered_at=utcnow(),
            )
            uow.session.add(device)
        return DeviceOut(
            device_id=device.id, last_seq=0, protocol=PROTOCOL, schema_version=data.schema_version
        )

    @get("/devices")
    async def list_devices(
        self, request: Request[CurrentUser, Any, Any], db: Database
    ) -> list[dict[str, Any]]:
        async with db.read() as unit:
            rows = (
                (
                    await unit.session.execute(
                        select(Device)
                        .where(Device.user_id == request.user.id)
                        .order_by(Device.registered_at)
                    )
                )
                .scalars()
                .all()
            )
        return [
            {
                "device_id": d.id,
                "name": d.name,
                "last_seq": d.last_seq,
                "revoked": d.revoked_at is not None,
            }
            for d in rows
        ]

    @post("/devices/{device_id:str}/revoke", status_code=200)
    async def revoke_device(
        self, request: Request[CurrentUser, Any, Any], db: Database, device_id: str
    ) -> dict[str, Any]:
        """Revoke a lost phone (its owner or an admin). Pushes from it are refused."""
        async with db.write() as uow:
            device = await uow.session.get(Device, device_id)
            if device is None or (
                device.user_id != request.user.id and request.user.role != "admin"
            ):
                raise NotFound("No such device.", code="device_unknown")
            device.revoked_at = device.revoked_at or utcnow()
        return {"device_id": device_id, "revoked": True}

    @post(
        "/push",
        status_code=200,
        request_max_body_size=MAX_PUSH_BYTES,
        request_class=PushBodyRequest,
    )
    async def push(
        self, request: Request[CurrentUser, Any, Any], db: Database, data: PushRequest
    ) -> Response[Any]:
        """Apply mutations exactly once, in seq order; answer each with its outcome."""
        check_versions(data.protocol, data.schema_version)
        try:
            result: PushResponse = await ENGINE.push(db, request.user, data)
        except (DBAPIError, OSError):
            return _unavailable()
        return Response(result)

    # The body is encoded (and compressed) by hand; this is its shape.
    @get(
        "/pull",
        responses={
            200: ResponseSpec(
                data_container=PullResponse,
                description="A page of changes and the cursor to pull from next.",
                generate_examples=False,
            )
        },
    )
    async def pull(
        self,
        request: Request[CurrentUser, Any, Any],
        db: Database,
        protocol: int = PROTOCOL,
        schema_version: int = 1,
        cursor: str = "",
        limit: Annotated[int, Parameter(ge=1, le=2000)] = 500,
    ) -> Response[bytes]:
        """Everything this user may see that changed since `cursor`; an empty cursor is a full snapshot."""
        check_versions(protocol, schema_version)
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            visibility = Visibility(scope.user_id, scope.role, scope.sees_all, scope.territory_ids)
            page = await pull_page(unit.session, FEED_SOURCES, visibility, cursor, limit)
        body = msgspec.json.encode(
            PullResponse(
                protocol=PROTOCOL,
                schema_version=schema_version,
                cursor=page.cursor,
                has_more=page.has_more,
                changes=page.changes,
                reset=page.reset,
            )
        )
        return await _pull_response(request, body)


# A first pull is megabytes of JSON that gzip shrinks about sevenfold. A compression-length
# attack (BREACH) needs requests it chose, sent with the victim's credentials. Compressed
# are requests that authenticate with a bearer token (another site cannot make a browser
# send one) and the app's own cookie requests, which the browser marks
# `Sec-Fetch-Site: same-origin` (another site cannot set that header either). The body
# holds no CSRF token or other secret of the session.
_COMPRESS_FROM_BYTES = 1024


def _own_request(request: Request[CurrentUser, Any, Any]) -> bool:
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return True
    return request.headers.get("sec-fetch-site", "") == "same-origin"


async def _pull_response(request: Request[CurrentUser, Any, Any], body: bytes) -> Response[bytes]:
    headers = {"vary": "accept-encoding, sec-fetch-site"}
    accepted = request.headers.get("accept-encoding", "")
    if _own_request(request) and len(body) >= _COMPRESS_FROM_BYTES:
        if "br" in accepted:
            # Brotli's 4 MiB window finds the product ids that the price lists repeat far
            # from the products; quality 5 costs about as much CPU as gzip at 6.
            body = await asyncio.to_thread(brotli.compress, body, quality=5, lgwin=22)
            headers["content-encoding"] = "br"
        elif "gzip" in accepted:
            body = await asyncio.to_thread(gzip.compress, body, 6)
            headers["content-encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)
