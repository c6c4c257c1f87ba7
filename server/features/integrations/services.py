"""Named actions on integration users and their API tokens (admin): create, list, revoke.

Creating one makes an integration user (role `integration`, no usable password: it signs
in with its token only) and its token; the token is returned once and only its SHA-256 is
stored. Revoking ends the token at once: every request reads the token's row again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from server.db.models import ApiToken, User
from server.db.types import new_id, utcnow
from server.db.unit_of_work import ReadUnit, WriteUnit
from server.domain.actor import INTEGRATION_ROLE, CurrentUser
from server.domain.api_tokens import hash_token, new_token, token_state
from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.features.integrations import events
from server.features.integrations.schemas import (
    IntegrationCreated,
    IntegrationCreateIn,
    IntegrationOut,
)

__all__ = ["create_integration", "integration_out", "list_integrations", "revoke_integration"]

# Argon2 never accepts this as a hash, so no password signs an integration user in.
_NO_PASSWORD = "!"
_SHOWN_PREFIX = 12


def integration_out(row: ApiToken, now: datetime | None = None) -> IntegrationOut:
    return IntegrationOut(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        scopes=row.scopes.split(),
        channel=row.channel,
        state=token_state(expires=row.expires_at, revoked=row.revoked_at, now=now or utcnow()),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


async def create_integration(
    uow: WriteUnit, admin: CurrentUser, data: IntegrationCreateIn
) -> IntegrationCreated:
    now = utcnow()
    name = data.name.strip()
    if not name:
        raise ValidationFailed("Give the integration a name.", code="name_required")
    if data.expires_at is not None and data.expires_at <= now:
        raise ValidationFailed("The expiry must be in the future.", code="expiry_in_past")
    scopes: list[str] = sorted(set(data.scopes))
    user_id = new_id()
    uow.session.add(
        User(
            id=user_id,
            email=f"integration-{user_id}@integrations.invalid",
            full_name=name,
            role=INTEGRATION_ROLE,
            password_hash=_NO_PASSWORD,
            discount_limit_percent=0,
        )
    )
    token = new_token()
    row = ApiToken(
        id=new_id(),
        user_id=user_id,
        name=name,
        token_hash=hash_token(token),
        prefix=token[:_SHOWN_PREFIX],
        scopes=" ".join(scopes),
        channel=data.channel,
        created_by=admin.id,
        created_at=now,
        expires_at=data.expires_at,
    )
    uow.session.add(row)
    await uow.session.flush()
    await uow.audit.record(
        events.token_created(
            token_id=row.id,
            actor_id=admin.id,
            user_id=user_id,
            name=name,
            scopes=scopes,
            channel=data.channel,
        )
    )
    return IntegrationCreated(integration=integration_out(row, now), token=token)


async def list_integrations(unit: ReadUnit) -> Sequence[ApiToken]:
    return (await unit.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc()))).all()


async def revoke_integration(uow: WriteUnit, admin: CurrentUser, token_id: str) -> ApiToken:
    row = await uow.session.get(ApiToken, token_id, with_for_update=True)
    if row is None:
        raise NotFound("No such integration token.", code="integration_not_found")
    if row.revoked_at is not None:
        raise Conflict("The token is already revoked.", code="already_revoked")
    row.revoked_at = utcnow()
    row.revoked_by = admin.id
    user = await uow.session.get(User, row.user_id)
    if user is not None:
        user.active = False
    await uow.audit.record(events.token_revoked(token_id=row.id, actor_id=admin.id))
    return row
