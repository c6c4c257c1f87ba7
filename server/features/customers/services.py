"""Customer actions: onboard (with duplicate detection and territory assignment), edit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    AuditEvent,
    Customer,
    CustomerAddress,
    CustomerContact,
    PriceList,
    Quote,
    SalesOrder,
    Territory,
)
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.credit import opening_credit_limit
from server.domain.customers import (
    CustomerFingerprint,
    checked_legal_name,
    checked_tax_id,
    clean_text,
    diff_fields,
    find_duplicates,
    merge_patch,
    normalize_email,
    normalize_name,
    normalize_phone,
    require_transition,
)
from server.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from server.domain.territories import Address, normalize_country, normalize_state
from server.features.customers.changes import customer_changes, customer_moved_changes
from server.features.customers.credit_policy import default_credit_limit_cents
from server.features.customers.queries import fingerprints_like, get_visible
from server.features.customers.schemas import (
    AddressIn,
    CustomerCreateIn,
    CustomerUpdateIn,
    DuplicateCandidate,
)
from server.features.customers.search_documents import refresh_search_documents
from server.features.shared import audit
from server.features.shared.numbers import next_number
from server.features.shared.reference_data import lock_reference_data, reference_data
from server.features.shared.scope import Scope
from server.features.shared.territory_data import TerritoryData, load_territory_data

__all__ = ["PossibleDuplicate", "create_customer", "publish_customer_change", "update_customer"]

SEARCH_NAME_MAX_LENGTH = 200  # customers.search_name

# Fields only a manager or an admin may set: they decide how much the company risks.
# Whether a client-named customer id is taken: a plain statement, not an ORM load.
_ID_TAKEN = select(Customer.id).where(Customer.id == bindparam("id"))

_PRIVILEGED_FIELDS = {"credit_limit_cents", "explicit_territory_id", "price_list_id"}


class PossibleDuplicate(Conflict):
    code = "possible_duplicate"

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        super().__init__(
            "This customer may already exist. Check the candidates, or confirm it is new.",
            details={"candidates": [msgspec.to_builtins(c) for c in candidates]},
        )


async def ensure_default_territory(session: AsyncSession, data: TerritoryData) -> str:
    """The catch-all territory for unmatched addresses, created on first need.

    `data` is the process's shared copy and is left as it is: if this transaction rolls
    back, the territory never existed. Once the insert is flushed, the reference data's
    token has changed in this transaction, so whoever reads it next here gets a new copy
    that has the territory."""
    if data.default_territory_id:
        return data.default_territory_id
    # Two first onboardings at once (PostgreSQL runs them in parallel) both get here: the
    # second one's insert does nothing, and both take the territory that is there.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.flush()
    await session.execute(
        insert(Territory)
        .values(
            id=new_id(),
            parent_id=None,
            code="UNASSIGNED",
            name="Unassigned",
            kind="territory",
            is_default=True,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[Territory.code])
    )
    default_id = await session.scalar(
        select(Territory.id).where(Territory.is_default.is_(True)).order_by(Territory.code)
    )
    if default_id is None:
        raise Conflict(
            "There is no catch-all territory for unmatched addresses. An admin marks one as the default.",
            code="no_default_territory",
        )
    return str(default_id)


async def _check_references(
    session: AsyncSession,
    customer_id: str,
    *,
    price_list_id: str | None,
    explicit_territory_id: str | None,
) -> None:
    """Refuse a price list or territory that does not exist (or, for a price list, that is
    another customer's own) with a clear reason, before anything is written."""
    reference = await reference_data(session)
    if explicit_territory_id and explicit_territory_id not in reference.territory.names:
        raise ValidationFailed(
            "There is no such territory.",
            code="territory_not_found",
            details={"explicit_territory_id": explicit_territory_id},
        )
    if price_list_id:
        chosen = next((pl for pl in reference.price_lists if pl.id == price_list_id), None)
        if chosen is None or (chosen.kind == "customer" and chosen.customer_id != customer_id):
            raise ValidationFailed(
                "There is no such price list for this customer.",
                code="price_list_not_found",
                details={"price_list_id": price_list_id},
            )


def search_name_of(legal_name: str) -> str:
    """The name as duplicate checks and searches compare it, cut to its column (names of
    200 characters in some scripts fold into more)."""
    return normalize_name(legal_name)[:SEARCH_NAME_MAX_LENGTH]


def _address(value: AddressIn) -> dict[str, Any]:
    return {
        "country": normalize_country(value.country),
        "state": normalize_state(value.state),
        "city": clean_text(value.city),
        "postal_code": clean_text(value.postal_code).upper(),
        "street": clean_text(value.street),
        "latitude": value.latitude,
        "longitude": value.longitude,
    }


def _domain_address(fields: dict[str, Any]) -> Address:
    return Address(
        country=fields["country"],
        state=fields["state"],
        postal_code=fields["postal_code"],
        city=fields["city"],
    )


async def _place(
    session: AsyncSession, address: dict[str, Any], explicit: str | None, today: date
) -> tuple[str, str | None, str]:
    data = await load_territory_data(session)
    default_id = await ensure_default_territory(session, data)
    match = data.rule_book.match(
        _domain_address(address), explicit_territory_id=explicit, default_territory_id=default_id
    )
    return match.territory_id, data.owner_on(match.territory_id, today), match.reason


async def _duplicates(
    session: AsyncSession, scope: Scope, candidate: CustomerFingerprint
) -> list[DuplicateCandidate]:
    existing = await fingerprints_like(session, candidate)
    matches = find_duplicates(candidate, existing)
    if not matches:
        return []
    rows = {
        c.id: c
        for c in (
            await session.execute(
                select(Customer).where(Customer.id.in_([m.customer_id for m in matches]))
            )
        ).scalars()
    }
    out: list[DuplicateCandidate] = []
    for match in matches:
        customer = rows[match.customer_id]
        visible = await _in_scope(session, scope, customer.id)
        if visible:
            billing = await session.scalar(
                select(CustomerAddress.city).where(
                    CustomerAddress.customer_id == customer.id, CustomerAddress.kind == "billing"
                )
            )
            out.append(
                DuplicateCandidate(
                    reasons=list(match.reasons),
                    id=customer.id,
                    number=customer.number,
                    legal_name=customer.legal_name,
                    city=billing or "",
                )
            )
        else:
            out.append(DuplicateCandidate(reasons=list(match.reasons)))
    return out


async def _in_scope(session: AsyncSession, scope: Scope, customer_id: str) -> bool:
    try:
        await get_visible(session, scope, customer_id)
    except NotFound:
        return False
    return True


def _check_privileged(user: CurrentUser, fields: set[str]) -> None:
    if user.role == "rep" and fields & _PRIVILEGED_FIELDS:
        names = ", ".join(sorted(fields & _PRIVILEGED_FIELDS))
        raise PermissionDenied(
            f"Only a manager or an admin may set {names}.", code="field_not_allowed"
        )


async def create_customer(
    uow: WriteUnit, user: CurrentUser, scope: Scope, data: CustomerCreateIn
) -> tuple[Customer, str]:
    """Onboard a customer inside the caller's write transaction. Returns it and how it was placed."""
    session = uow.session
    given = {f for f in ("explicit_territory_id", "price_list_id") if getattr(data, f)}
    limit_chosen = data.credit_limit_cents is not msgspec.UNSET
    _check_privileged(user, given | ({"credit_limit_cents"} if limit_chosen else set()))
    credit_limit = opening_credit_limit(
        chosen=limit_chosen,
        limit_cents=None
        if isinstance(data.credit_limit_cents, msgspec.UnsetType)
        else data.credit_limit_cents,
        default_cents=default_credit_limit_cents(),
    )
    customer_id = data.id or new_id()
    legal_name, tax_id = checked_legal_name(data.legal_name), checked_tax_id(data.tax_id)
    if data.id and await uow.sql.scalar(_ID_TAKEN, {"id": data.id}) is not None:
        raise Conflict("A customer with this id already exists.", code="customer_id_taken")
    await _check_references(
        session,
        customer_id,
        price_list_id=data.price_list_id,
        explicit_territory_id=data.explicit_territory_id,
    )
    billing = _address(data.billing_address)
    shipping = [_address(a) for a in data.shipping_addresses]
    contacts = [
        {
            "name": clean_text(c.name),
            "role": clean_text(c.role),
            "email": normalize_email(c.email),
            "phone": normalize_phone(c.phone),
        }
        for c in data.contacts
    ]
    # The number first: its counter row stays locked until commit, so on PostgreSQL two
    # onboardings take turns and the second one's duplicate check sees the first customer.
    # A refused onboarding rolls the number back with it.
    number = await next_number(uow, "C")
    # Again after the number: a customer with this id created at the same moment has
    # committed by now, and the answer is the same on both databases.
    if data.id and await uow.sql.scalar(_ID_TAKEN, {"id": data.id}) is not None:
        raise Conflict("A customer with this id already exists.", code="customer_id_taken")
    if not data.confirm_new:
        fingerprint = CustomerFingerprint(
            customer_id=customer_id,
            legal_name=data.legal_name,
            tax_id=data.tax_id,
            emails=tuple(c["email"] for c in contacts),
            phones=tuple(c["phone"] for c in contacts),
            postal_codes=tuple(a["postal_code"] for a in [billing, *shipping]),
        )
        candidates = await _duplicates(session, scope, fingerprint)
        if candidates:
            raise PossibleDuplicate(candidates)
    territory_id, owner_id, reason = await _place(
        session, billing, data.explicit_territory_id, date.today()
    )
    now = utcnow()
    customer = Customer(
        id=customer_id,
        number=number,
        legal_name=legal_name,
        trading_name=clean_text(data.trading_name),
        search_name=search_name_of(legal_name),
        tax_id=tax_id,
        status=data.status,
        payment_terms=data.payment_terms,
        credit_limit_cents=credit_limit,
        price_list_id=data.price_list_id,
        tax_exempt=data.tax_exempt,
        notes=data.notes.strip(),
        territory_id=territory_id,
        explicit_territory_id=data.explicit_territory_id,
        owner_id=owner_id,
        created_by=user.id,
        channel=data.channel,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    await session.flush()
    session.add(
        CustomerAddress(
            id=new_id(), customer_id=customer_id, kind="billing", is_default=True, **billing
        )
    )
    for index, fields in enumerate(shipping or [billing]):
        session.add(
            CustomerAddress(
                id=new_id(),
                customer_id=customer_id,
                kind="shipping",
                is_default=index == 0,
                **fields,
            )
        )
    for contact in contacts:
        session.add(CustomerContact(id=new_id(), customer_id=customer_id, **contact))
    await uow.audit.record(
        audit.customer_created(
            customer_id=customer_id,
            actor_id=user.id,
            channel=data.channel,
            territory_id=territory_id,
            reason=reason,
        )
    )
    await publish_customer_change(uow, customer)
    await session.flush()
    return customer, reason


async def publish_customer_change(
    uow: WriteUnit, customer: Customer, *, previous_territory_id: str | None = None
) -> None:
    """Put the customer on the sync change feed, for its old territory too when it moved,
    so phones that lose sight of it learn to drop it."""
    session = uow.session
    await refresh_search_documents(session, [customer.id])
    # A rep sees the prospects they created even outside their territories.
    owner = customer.created_by if customer.status == "prospect" else customer.owner_id
    uow.feed.touch_all(
        customer_changes(
            customer.id,
            territory_id=customer.territory_id,
            owner_id=owner,
            previous_territory_id=previous_territory_id,
        )
    )
    if previous_territory_id and previous_territory_id != customer.territory_id:
        followers = [
            (entity_type, entity_id)
            for entity_type, ids in (
                (
                    "price_list",
                    select(PriceList.id).where(
                        PriceList.kind == "customer", PriceList.customer_id == customer.id
                    ),
                ),
                ("quote", select(Quote.id).where(Quote.customer_id == customer.id)),
                ("order", select(SalesOrder.id).where(SalesOrder.customer_id == customer.id)),
            )
            for entity_id in (await session.execute(ids.order_by(ids.selected_columns[0])))
            .scalars()
            .all()
        ]
        uow.feed.touch_all(
            customer_moved_changes(
                followers,
                territory_id=customer.territory_id,
                previous_territory_id=previous_territory_id,
            )
        )


async def _changed_since(session: AsyncSession, customer_id: str, base_version: int) -> set[str]:
    events: Sequence[dict[str, Any]] = (
        (
            await session.execute(
                select(AuditEvent.data).where(
                    AuditEvent.entity_type == "customer",
                    AuditEvent.entity_id == customer_id,
                    AuditEvent.action.in_(("customer_updated", "customer_realigned")),
                )
            )
        )
        .scalars()
        .all()
    )
    changed: set[str] = set()
    for data in events:
        if int(data.get("version", 0)) > base_version:
            changed.update(data.get("changes", {}).keys())
    return changed


def _scalar_snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "legal_name": customer.legal_name,
        "trading_name": customer.trading_name,
        "tax_id": customer.tax_id,
        "status": customer.status,
        "payment_terms": customer.payment_terms,
        "credit_limit_cents": customer.credit_limit_cents,
        "price_list_id": customer.price_list_id,
        "tax_exempt": customer.tax_exempt,
        "notes": customer.notes,
        "explicit_territory_id": customer.explicit_territory_id,
    }


async def update_customer(
    uow: WriteUnit, user: CurrentUser, scope: Scope, customer_id: str, data: CustomerUpdateIn
) -> tuple[Customer, list[str], list[str]]:
    """Apply a field-level patch made against `base_version`; fields the server changed
    since then keep the server's value and are reported back."""
    session = uow.session
    if data.billing_address is not msgspec.UNSET or data.explicit_territory_id is not msgspec.UNSET:
        # Placing the customer again may create the catch-all territory, a write to the
        # reference data. Its lock comes first, before the customer's row, in the order a
        # realignment takes them (reference data, then customers): never the other way round.
        await lock_reference_data(session)
    # Locked: two edits made against the same version take turns, so the second one sees
    # the first one's changes and keeps the server's value where they collide.
    customer = await get_visible(session, scope, customer_id, lock=True)
    patch = {
        k: v
        for k, v in msgspec.structs.asdict(data).items()
        if k != "base_version" and v is not msgspec.UNSET
    }
    _check_privileged(user, set(patch))
    if "billing_address" in patch:
        patch["billing_address"] = _address(patch["billing_address"])
    changed = await _changed_since(session, customer.id, data.base_version)
    merge = merge_patch(
        base_version=data.base_version,
        current_version=customer.version,
        patch=patch,
        changed_since_base=changed,
    )
    applied = dict(merge.applied)
    await _check_references(
        session,
        customer.id,
        price_list_id=applied.get("price_list_id"),
        explicit_territory_id=applied.get("explicit_territory_id"),
    )
    if "status" in applied and applied["status"] != customer.status:
        require_transition(customer.status, applied["status"])
    before = _scalar_snapshot(customer)
    new_billing = applied.pop("billing_address", None)
    for field, value in applied.items():
        if field == "legal_name":
            value = checked_legal_name(value)
        elif field == "trading_name":
            value = clean_text(value)
        elif field == "tax_id":
            value = checked_tax_id(value)
        setattr(customer, field, value)
    customer.search_name = search_name_of(customer.legal_name)
    changes: dict[str, Any] = {
        k: list(v) for k, v in diff_fields(before, _scalar_snapshot(customer)).items()
    }
    if new_billing is not None:
        address = (
            await session.execute(
                select(CustomerAddress).where(
                    CustomerAddress.customer_id == customer.id,
                    CustomerAddress.kind == "billing",
                    CustomerAddress.is_default.is_(True),
                )
            )
        ).scalar_one_or_none()
        old = {k: getattr(address, k) for k in new_billing} if address else {}
        if old != new_billing:
            if address is None:
                session.add(
                    CustomerAddress(
                        id=new_id(),
                        customer_id=customer.id,
                        kind="billing",
                        is_default=True,
                        **new_billing,
                    )
                )
            else:
                for key, value in new_billing.items():
                    setattr(address, key, value)
            changes["billing_address"] = [old, new_billing]
    if "billing_address" in changes or "explicit_territory_id" in changes:
        billing = await _billing_fields(session, customer.id)
        territory_id, owner_id, _ = await _place(
            session, billing, customer.explicit_territory_id, date.today()
        )
        if territory_id != customer.territory_id or owner_id != customer.owner_id:
            changes["territory_id"] = [customer.territory_id, territory_id]
            changes["owner_id"] = [customer.owner_id, owner_id]
            customer.territory_id, customer.owner_id = territory_id, owner_id
    if changes:
        previous = changes.get("territory_id", [customer.territory_id])[0]
        await publish_customer_change(uow, customer, previous_territory_id=previous)
        customer.version += 1
        customer.updated_at = utcnow()
        await uow.audit.record(
            audit.customer_updated(
                customer_id=customer.id,
                actor_id=user.id,
                version=customer.version,
                changes=changes,
                overwritten_by_server=list(merge.overwritten_by_server),
            )
        )
    await session.flush()
    return customer, sorted(k for k in merge.applied), list(merge.overwritten_by_server)


async def _billing_fields(session: AsyncSession, customer_id: str) -> dict[str, Any]:
    await session.flush()
    address = (
        await session.execute(
            select(CustomerAddress).where(
                CustomerAddress.customer_id == customer_id,
                CustomerAddress.kind == "billing",
                CustomerAddress.is_default.is_(True),
            )
        )
    ).scalar_one()
    return {
        "country": address.country,
        "state": address.state,
        "city": address.city,
        "postal_code": address.postal_code,
    }
