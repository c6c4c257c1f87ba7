"""Customer import: new customers with a billing address and an optional contact.

Columns (header names, any order; only legal_name and country are required):
legal_name, trading_name, tax_id, status, payment_terms, credit_limit, email, phone,
contact_name, country, state, city, postal_code, street, tax_exempt.

Every row creates a customer: numbered C-000123, placed in a territory by its address,
owned by that territory's owner today, channel "import". A tax id that appears twice in
the file, or that an existing customer already has, is refused, so that running the same
file twice cannot double the customer base. An empty credit_limit gives the configured
default limit; "none" gives no limit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, CustomerAddress, CustomerContact
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.credit import opening_credit_limit
from server.domain.customers import (
    CUSTOMER_STATUSES,
    PAYMENT_TERMS,
    TAX_ID_MAX_LENGTH,
    clean_text,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_tax_id,
)
from server.domain.territories import Address, normalize_country, normalize_state
from server.features.customers.credit_policy import default_credit_limit_cents
from server.features.customers.services import (
    ensure_default_territory,
    publish_customer_change,
    search_name_of,
)
from server.features.imports.csv_input import ImportRejected, RowError, RowReader, read_csv
from server.features.shared import audit
from server.features.shared.numbers import next_number
from server.features.shared.territory_data import load_territory_data

__all__ = ["COLUMNS", "REQUIRED", "CustomerImportResult", "checked_rows", "combined", "write_rows"]

REQUIRED = ("legal_name", "country")
_NO_LIMIT = "none"
COLUMNS = (
    "legal_name",
    "trading_name",
    "tax_id",
    "status",
    "payment_terms",
    "credit_limit",
    "email",
    "phone",
    "contact_name",
    "country",
    "state",
    "city",
    "postal_code",
    "street",
    "tax_exempt",
)
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_PHONE = r"[0-9+()\-.\s]*[0-9][0-9+()\-.\s]*"


class CustomerImportResult(msgspec.Struct):
    rows: int
    created: int
    first_number: str
    last_number: str


@dataclass
class _Row:
    number: int
    customer: dict[str, Any]
    address: dict[str, str]
    contact: dict[str, str] | None


def _check_row(r: RowReader) -> _Row | None:
    legal_name = r.text("legal_name", required=True, max_length=200)
    if legal_name is not None and not normalize_name(legal_name):
        r.error("legal_name", "invalid_format", "legal_name needs at least one letter or digit")
    customer: dict[str, Any] = {
        "legal_name": legal_name,
        "trading_name": r.text("trading_name", max_length=200),
        "tax_id": r.text("tax_id", max_length=40),
        # Imported customers come from an existing book of business, hence active.
        "status": r.choice("status", CUSTOMER_STATUSES, default="active"),
        "payment_terms": r.choice("payment_terms", tuple(PAYMENT_TERMS), default="net_30"),
        "tax_exempt": r.boolean("tax_exempt", default=False),
    }
    limit_text = r.raw("credit_limit")
    no_limit = limit_text.lower() == _NO_LIMIT
    limit = None if no_limit else r.money("credit_limit", default=0)
    address = {
        "country": r.text("country", required=True, max_length=2, pattern=r"[A-Za-z]{2}"),
        "state": r.text("state", max_length=40),
        "city": r.text("city", max_length=100),
        "postal_code": r.text("postal_code", max_length=20),
        "street": r.text("street", max_length=200),
    }
    email = r.text("email", max_length=254, pattern=_EMAIL)
    phone = r.text("phone", max_length=40, pattern=_PHONE)
    name = r.text("contact_name", max_length=200)
    if any(v is None for v in (*customer.values(), *address.values(), email, phone, name)) or (
        limit is None and not no_limit
    ):
        return None
    customer["credit_limit_cents"] = opening_credit_limit(
        chosen=bool(limit_text), limit_cents=limit, default_cents=default_credit_limit_cents()
    )
    contact = None
    if email or phone or name:
        # A contact known only by e-mail or phone is still worth keeping; it gets the
        # company's name until someone knows who answers.
        contact = {
            "name": clean_text(name or legal_name),
            "role": "",
            "email": normalize_email(email),
            "phone": normalize_phone(phone),
        }
    return _Row(r.row, customer, {k: str(v) for k, v in address.items()}, contact)


def _checked_file(raw: bytes) -> tuple[list[_Row], list[RowError]]:
    """Every row checked on its own and against the others (no database needed)."""
    table = read_csv(raw, required=REQUIRED, optional=COLUMNS)
    errors = table.errors
    rows: list[_Row] = []
    first_row: dict[str, int] = {}
    for number, cells in table.rows:
        reader = RowReader(number, cells, errors)
        tax_id = normalize_tax_id(reader.raw("tax_id"))
        if len(tax_id) > TAX_ID_MAX_LENGTH:
            reader.error(
                "tax_id",
                "too_long",
                f"tax_id has more than {TAX_ID_MAX_LENGTH} characters once normalised",
            )
        if tax_id and tax_id in first_row:
            reader.error(
                "tax_id",
                "duplicate_in_file",
                f"tax_id {tax_id} already appears in row {first_row[tax_id]}",
            )
        first_row.setdefault(tax_id, number)
        row = _check_row(reader)
        if row is not None:
            rows.append(row)
    return rows, errors


async def _taken_tax_ids(session: AsyncSession, rows: list[_Row]) -> list[RowError]:
    first_row = {
        t: row.number for row in reversed(rows) if (t := normalize_tax_id(row.customer["tax_id"]))
    }
    tax_ids = list(first_row)
    errors: list[RowError] = []
    for start in range(0, len(tax_ids), 1000):  # stay under every driver's parameter limit
        taken = await session.execute(
            select(Customer.tax_id, Customer.number).where(
                Customer.tax_id.in_(tax_ids[start : start + 1000])
            )
        )
        for tax_id, customer_number in taken.all():
            errors.append(
                RowError(
                    first_row[tax_id],
                    "tax_id",
                    "customer_exists",
                    f"customer {customer_number} already has tax_id {tax_id}",
                )
            )
    return errors


async def checked_rows(
    session: AsyncSession, raw: bytes, *, against_database: bool = True
) -> list[_Row]:
    """The file's rows, or ImportRejected listing every problem. Checking a large file
    takes a while: it runs on a worker thread so that other requests go on meanwhile.
    `against_database=False` (resuming a job) skips what the job's own rows now fail."""
    rows, errors = await asyncio.to_thread(_checked_file, raw)
    if against_database:
        errors.extend(await _taken_tax_ids(session, rows))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.column)))
    return rows


def _normalized_address(fields: dict[str, str]) -> dict[str, str]:
    return {
        "country": normalize_country(fields["country"]),
        "state": normalize_state(fields["state"]),
        "city": clean_text(fields["city"]),
        "postal_code": clean_text(fields["postal_code"]).upper(),
        "street": clean_text(fields["street"]),
    }


async def write_rows(uow: WriteUnit, actor_id: str, rows: list[_Row]) -> CustomerImportResult:
    """Create the customers of one batch of checked rows."""
    session = uow.session
    # Checked again in the batch's own transaction: someone may have onboarded one of these
    # customers since the file was checked.
    taken = await _taken_tax_ids(session, rows)
    if taken:
        raise ImportRejected(taken)
    data = await load_territory_data(session)
    default_id = await ensure_default_territory(session, data)
    # Numbers first, while nothing is pending: each next_number statement would otherwise
    # autoflush the customer added just before it, one round trip per row.
    numbers = [await next_number(uow, "C") for _ in rows]
    today, now = date.today(), utcnow()
    customers: list[tuple[Customer, dict[str, str], str]] = []
    for row, number in zip(rows, numbers, strict=True):
        address = _normalized_address(row.address)
        match = data.rule_book.match(
            Address(
                country=address["country"],
                state=address["state"],
                postal_code=address["postal_code"],
                city=address["city"],
            ),
            default_territory_id=default_id,
        )
        legal_name = clean_text(row.customer["legal_name"])
        customer = Customer(
            id=new_id(),
            number=number,
            legal_name=legal_name,
            trading_name=clean_text(row.customer["trading_name"]),
            search_name=search_name_of(legal_name),
            tax_id=normalize_tax_id(row.customer["tax_id"]),
            status=row.customer["status"],
            payment_terms=row.customer["payment_terms"],
            credit_limit_cents=row.customer["credit_limit_cents"],
            tax_exempt=row.customer["tax_exempt"],
            territory_id=match.territory_id,
            owner_id=data.owner_on(match.territory_id, today),
            created_by=actor_id,
            channel="import",
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(customer)
        customers.append((customer, address, match.reason))
    # The unit of work does not order unrelated mappers by foreign key: customers go first.
    await session.flush()
    for (customer, address, reason), row in zip(customers, rows, strict=True):
        for kind in ("billing", "shipping"):
            session.add(
                CustomerAddress(
                    id=new_id(), customer_id=customer.id, kind=kind, is_default=True, **address
                )
            )
        if row.contact is not None:
            session.add(CustomerContact(id=new_id(), customer_id=customer.id, **row.contact))
        await uow.audit.record(
            audit.customer_created(
                customer_id=customer.id,
                actor_id=actor_id,
                channel="import",
                territory_id=customer.territory_id,
                reason=reason,
            )
        )
        await publish_customer_change(uow, customer)
    await session.flush()
    return CustomerImportResult(
        rows=len(rows), created=len(numbers), first_number=numbers[0], last_number=numbers[-1]
    )


def combined(
    before: CustomerImportResult | None, batch: CustomerImportResult
) -> CustomerImportResult:
    if before is None:
        return batch
    return CustomerImportResult(
        rows=before.rows + batch.rows,
        created=before.created + batch.created,
        first_number=before.first_number,
        last_number=batch.last_number,
    )
