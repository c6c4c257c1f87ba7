"""Reading customers: scoped search, paging, detail, duplicate candidates."""

from __future__ import annotations

from collections.abc import Collection
from functools import cache, lru_cache
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, CustomerAddress, CustomerContact, Territory, User
from server.db.unit_of_work import unit_of
from server.domain.customers import (
    CustomerFingerprint,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_tax_id,
)
from server.domain.errors import NotFound
from server.domain.search import (
    LIKE_ESCAPE,
    RANK_EXACT,
    RANK_NAME_PREFIX,
    RANK_WORDS,
    checked_search_text,
    like_contains,
    like_prefix,
    like_suffix,
    parse_search,
    search_word_forms,
    split_words,
)
from server.domain.territories import normalize_postal
from server.features.customers.schemas import (
    AddressOut,
    ContactOut,
    CustomerDetail,
    CustomerPage,
    CustomerSummary,
)
from server.features.shared.paging import PageStatements, paged, read_page
from server.features.shared.scope import Scope, bound_customer_filter, customer_filter
from server.features.shared.text_search import (
    DocumentShape,
    bound_document_matches,
    document_shape,
    document_values,
)

__all__ = ["customer_detail", "fingerprints_like", "get_visible", "search_customers"]

SORTS: dict[str, Any] = {
    "name": Customer.search_name.asc(),
    "-name": Customer.search_name.desc(),
    "number": Customer.number.asc(),
    "-number": Customer.number.desc(),
    "updated": Customer.updated_at.asc(),
    "-updated": Customer.updated_at.desc(),
    # The desktop table's columns (the city is the billing address's, joined in the query).
    "status": Customer.status.asc(),
    "-status": Customer.status.desc(),
    "city": CustomerAddress.city.asc(),
    "-city": CustomerAddress.city.desc(),
}


# A page's columns: plain columns, not Customer objects (a page is 50 rows, and tracked ORM
# objects cost more than the query).
_SUMMARY_COLUMNS = (
    Customer.id,
    Customer.number,
    Customer.legal_name,
    Customer.trading_name,
    Customer.status,
    CustomerAddress.city,
    CustomerAddress.postal_code,
    Customer.territory_id,
    Customer.owner_id,
    Customer.version,
)


def _billing_join() -> Any:
    return and_(
        CustomerAddress.customer_id == Customer.id,
        CustomerAddress.kind == "billing",
        CustomerAddress.is_default.is_(True),
    )


def _lower_like(column: Any, patterns: Collection[Any]) -> Any:
    return or_(*(func.lower(column).like(p, escape=LIKE_ESCAPE) for p in patterns))


class _SearchShape(NamedTuple):
    """What a search's statement depends on besides its values: a statement built for one
    shape serves every search of it (building and compiling cost more than running it)."""

    words: DocumentShape
    tax_id: bool
    phone: bool
    name_prefixes: int  # distinct forms of the query compared with the start of the names
    search_name: bool


class _Search(NamedTuple):
    shape: _SearchShape
    values: dict[str, str]


def _search_of(q: str, dialect: str) -> _Search:
    """A search's shape and the values of its parameters (`_search`)."""
    query = parse_search(q)
    words = [search_word_forms(word) for word in query.words]
    shape = document_shape(words, dialect)
    values = document_values(words, shape)
    values["text"] = query.text
    if query.tax_id:
        values["tax_id"] = query.tax_id
    if query.phone:
        digits = query.phone.lstrip("+")
        values["phone_in"] = like_contains(digits)
        values["phone_end"] = like_suffix(digits)
    prefixes = sorted({query.text, " ".join(split_words(q.lower()))})
    values.update({f"prefix{i}": like_prefix(form) for i, form in enumerate(prefixes)})
    if name := normalize_name(q):
        values["name_prefix"] = like_prefix(name)
    return _Search(
        _SearchShape(shape, bool(query.tax_id), bool(query.phone), len(prefixes), bool(name)),
        values,
    )


def _search(shape: _SearchShape) -> tuple[Any, Any]:
    """(what matches, its rank) for a search of that shape, as `customer_search_rank`
    defines them, with the values of `_search_of` as parameters."""
    matches = bound_document_matches(
        Customer.search_document, Customer.id, "customer_search", shape.words
    )
    exact = [func.lower(Customer.number) == bindparam("text")]
    if shape.tax_id:
        exact.append(Customer.tax_id == bindparam("tax_id"))
    if shape.phone:
        # One pass over the contacts' phone numbers, not a lookup per customer.
        phoned = select(CustomerContact.customer_id).where(
            CustomerContact.phone.like(bindparam("phone_in"), escape=LIKE_ESCAPE)
        )
        matches = or_(matches, Customer.id.in_(phoned))
        exact.append(
            exists()
            .where(
                CustomerContact.customer_id == Customer.id,
                CustomerContact.phone.like(bindparam("phone_end"), escape=LIKE_ESCAPE),
            )
            .correlate(Customer)
        )
    prefixes: list[Any] = [bindparam(f"prefix{i}") for i in range(shape.name_prefixes)]
    prefix = [
        _lower_like(Customer.legal_name, prefixes),
        _lower_like(Customer.trading_name, prefixes),
    ]
    if shape.search_name:
        prefix.append(Customer.search_name.like(bindparam("name_prefix"), escape=LIKE_ESCAPE))
    rank = case((or_(*exact), RANK_EXACT), (or_(*prefix), RANK_NAME_PREFIX), else_=RANK_WORDS)
    return matches, rank


async def search_customers(
    session: AsyncSession,
    scope: Scope,
    *,
    q: str = "",
    status: str | None = None,
    territory_id: str | None = None,
    sort: str = "name",
    limit: int = 25,
    offset: int = 0,
    rank_first: bool = True,
) -> CustomerPage:
    sort = sort if sort in SORTS else "name"
    if not checked_search_text(q).strip():
        statements = _list_statements(scope.shape, bool(status), bool(territory_id), sort)
        values: dict[str, str] = {}
    else:
        search = _search_of(q, unit_of(session).dialect_name)
        statements = _search_statements(
            scope.shape, search.shape, bool(status), bool(territory_id), sort, rank_first
        )
        values = search.values
    total, rows = await read_page(
        session,
        statements,
        scope,
        limit=limit,
        offset=offset,
        status=status,
        territory_id=territory_id,
        **values,
    )
    return CustomerPage(items=_summaries(rows), total=total, limit=limit, offset=offset)


@cache
def _list_statements(
    shape: tuple[str, int], by_status: bool, by_territory: bool, sort: str
) -> PageStatements:
    """The count and the page of a list without search text, built once for every scope of
    one shape, filter and sort: their values are parameters (building and compiling a
    statement costs more than running it)."""
    # The scope filter is always applied first and ANDed with everything the caller asks,
    # so no combination of filters can reach a row outside it.
    where = [bound_customer_filter(shape)]
    if by_status:
        where.append(Customer.status == bindparam("status"))
    if by_territory:
        where.append(Customer.territory_id == bindparam("territory_id"))
    rows = select(*_SUMMARY_COLUMNS).outerjoin(CustomerAddress, _billing_join())
    return paged(rows, Customer, where, [SORTS[sort], Customer.id])


@lru_cache(maxsize=512)
def _search_statements(
    shape: tuple[str, int],
    search: _SearchShape,
    by_status: bool,
    by_territory: bool,
    sort: str,
    rank_first: bool,
) -> PageStatements:
    """A search's count and page, built once for every search of one shape (`_SearchShape`)
    in scopes of one shape, with the same filters and sort."""
    matches, rank = _search(search)
    # The scope filter is always applied first and ANDed with everything the caller asks,
    # so no combination of filters can reach a row outside it.
    where = [bound_customer_filter(shape), matches]
    if by_status:
        where.append(Customer.status == bindparam("status"))
    if by_territory:
        where.append(Customer.territory_id == bindparam("territory_id"))
    # A search ranks best matches first, unless the caller sorts by a column.
    order: list[Any] = [rank] if rank_first else []
    rows = select(*_SUMMARY_COLUMNS).outerjoin(CustomerAddress, _billing_join())
    return paged(rows, Customer, where, [*order, SORTS[sort], Customer.id])


def _summaries(rows: Any) -> list[CustomerSummary]:
    # Unpacked by position: a row's attribute lookup by name costs more than the rest of
    # building the summary.
    return [
        CustomerSummary(
            id=id_,
            number=number,
            legal_name=legal_name,
            trading_name=trading_name,
            status=status,
            city=city or "",
            postal_code=postal_code or "",
            territory_id=territory_id,
            owner_id=owner_id,
            version=version,
        )
        for (
            id_,
            number,
            legal_name,
            trading_name,
            status,
            city,
            postal_code,
            territory_id,
            owner_id,
            version,
        ) in rows
    ]


async def get_visible(
    session: AsyncSession, scope: Scope, customer_id: str, *, lock: bool = False
) -> Customer:
    """The customer, or NotFound, also when it exists outside the caller's scope. `lock`:
    its row stays locked until commit (PostgreSQL), for edits that check its version."""
    query = select(Customer).where(Customer.id == customer_id, customer_filter(scope))
    if lock:
        query = query.with_for_update(of=Customer).execution_options(populate_existing=True)
    customer = (await session.execute(query)).scalar_one_or_none()
    if customer is None:
        raise NotFound("No such customer.", code="customer_not_found")
    return customer


async def customer_detail(session: AsyncSession, customer: Customer) -> CustomerDetail:
    addresses = (
        (
            await session.execute(
                select(CustomerAddress)
                .where(CustomerAddress.customer_id == customer.id)
                .order_by(
                    CustomerAddress.kind, CustomerAddress.is_default.desc(), CustomerAddress.id
                )
            )
        )
        .scalars()
        .all()
    )
    contacts = (
        (
            await session.execute(
                select(CustomerContact)
                .where(CustomerContact.customer_id == customer.id)
                .order_by(CustomerContact.name)
            )
        )
        .scalars()
        .all()
    )
    territory = await session.get(Territory, customer.territory_id)
    owner = await session.get(User, customer.owner_id) if customer.owner_id else None
    if customer.explicit_territory_id:
        reason = "explicit"
    elif territory is not None and territory.is_default:
        reason = "default"
    else:
        reason = "rule"
    return CustomerDetail(
        id=customer.id,
        number=customer.number,
        legal_name=customer.legal_name,
        trading_name=customer.trading_name,
        tax_id=customer.tax_id,
        status=customer.status,
        payment_terms=customer.payment_terms,
        credit_limit_cents=customer.credit_limit_cents,
        price_list_id=customer.price_list_id,
        tax_exempt=customer.tax_exempt,
        notes=customer.notes,
        territory_id=customer.territory_id,
        territory_name=territory.name if territory else "",
        territory_reason=reason,
        explicit_territory_id=customer.explicit_territory_id,
        owner_id=customer.owner_id,
        owner_name=owner.full_name if owner else None,
        created_by=customer.created_by,
        channel=customer.channel,
        version=customer.version,
        created_at=customer.created_at.isoformat(),
        updated_at=customer.updated_at.isoformat(),
        addresses=[
            AddressOut(
                id=a.id,
                kind=a.kind,
                is_default=a.is_default,
                country=a.country,
                state=a.state,
                city=a.city,
                postal_code=a.postal_code,
                street=a.street,
                latitude=a.latitude,
                longitude=a.longitude,
            )
            for a in addresses
        ],
        contacts=[
            ContactOut(id=c.id, name=c.name, role=c.role, email=c.email, phone=c.phone)
            for c in contacts
        ],
    )


async def fingerprints_like(
    session: AsyncSession, candidate: CustomerFingerprint
) -> list[CustomerFingerprint]:
    """Existing customers that share any piece of evidence with the candidate.

    The database narrows by indexed equality; the domain rule then decides what counts.
    """
    conditions = []
    tax_id = normalize_tax_id(candidate.tax_id)
    if tax_id:
        conditions.append(Customer.tax_id == tax_id)
    emails = [e for e in (normalize_email(x) for x in candidate.emails) if e]
    phones = [p for p in (normalize_phone(x) for x in candidate.phones) if p]
    if emails:
        conditions.append(
            exists().where(
                CustomerContact.customer_id == Customer.id, CustomerContact.email.in_(emails)
            )
        )
    if phones:
        conditions.append(
            exists().where(
                CustomerContact.customer_id == Customer.id, CustomerContact.phone.in_(phones)
            )
        )
    name = normalize_name(candidate.legal_name)
    if name:
        conditions.append(Customer.search_name == name)
    if not conditions:
        return []
    customers = (
        (await session.execute(select(Customer).where(or_(*conditions)).limit(50))).scalars().all()
    )
    if not customers:
        return []
    ids = [c.id for c in customers]
    contacts = (
        (await session.execute(select(CustomerContact).where(CustomerContact.customer_id.in_(ids))))
        .scalars()
        .all()
    )
    addresses = (
        (await session.execute(select(CustomerAddress).where(CustomerAddress.customer_id.in_(ids))))
        .scalars()
        .all()
    )
    return [
        CustomerFingerprint(
            customer_id=c.id,
            legal_name=c.legal_name,
            tax_id=c.tax_id,
            emails=tuple(x.email for x in contacts if x.customer_id == c.id),
            phones=tuple(x.phone for x in contacts if x.customer_id == c.id),
            postal_codes=tuple(
                normalize_postal(a.postal_code) for a in addresses if a.customer_id == c.id
            ),
        )
        for c in customers
    ]
