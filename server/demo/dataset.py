"""A deterministic, realistic demo dataset for a US distributor of foodservice, janitorial
and industrial supplies.

`build_demo_dataset` is pure: no database, no clock, no global random state. It returns
``{table name: [row dict, ...]}`` with keys that are column names of the models in
`server.db.models`, ordered parent table before child table so that inserting the lists in
dict order never breaks a foreign key. The same seed and `today` always give the same rows.

Customers are placed in territories with the same pure functions the server uses
(`server.domain.territories.RuleBook` / `owner_on`), so the demo data agrees with
what the territory rules would compute.
"""

from __future__ import annotations

import itertools
import random
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from server.demo.names import (
    BUSINESS_TYPES,
    CATALOG,
    CATEGORIES,
    CITIES,
    COMPANY_PLACES,
    CONTACT_ROLES,
    FIRST_NAMES,
    LAST_NAMES,
    STREET_NAMES,
    STREET_SUFFIXES,
    BaseItem,
    City,
)
from server.domain.customers import normalize_name
from server.domain.territories import Address, Assignment, RuleBook, TerritoryRule, owner_on

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "build_demo_dataset"]

Row = dict[str, Any]

DEMO_PASSWORD = "demo1234"

# (email, full name, role)
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("admin@example.com", "Alex Morgan", "admin"),
    ("manager@example.com", "Maria Lopez", "manager"),
    ("rep1@example.com", "Sam Carter", "rep"),
    ("rep2@example.com", "Priya Patel", "rep"),
    ("rep3@example.com", "Jordan Kim", "rep"),
)

_DISCOUNT_LIMITS = {"rep": Decimal(10), "manager": Decimal(30), "admin": Decimal(100)}

CUSTOMER_COUNT = 300

# (code, name, kind, parent code); parents are listed before their children.
_TERRITORIES: tuple[tuple[str, str, str, str | None], ...] = (
    ("US-WEST", "US West", "region", None),
    ("US-EAST", "US East", "region", None),
    ("PNW", "Pacific Northwest", "area", "US-WEST"),
    ("CAL", "California", "area", "US-WEST"),
    ("NE", "Northeast", "area", "US-EAST"),
    ("SE", "Southeast", "area", "US-EAST"),
    ("SEA-METRO", "Seattle Metro", "territory", "PNW"),
    ("PDX-METRO", "Portland Metro", "territory", "PNW"),
    ("BAY-AREA", "Bay Area", "territory", "CAL"),
    ("SOCAL", "Southern California", "territory", "CAL"),
    ("BOS-METRO", "Greater Boston", "territory", "NE"),
    ("NYC-METRO", "New York Metro", "territory", "NE"),
    ("ATL-METRO", "Atlanta Metro", "territory", "SE"),
)
_DEFAULT_TERRITORY = ("UNASSIGNED", "Unassigned", "territory")

# (territory code, criteria). All rules are for country US. TX, CO, AZ, IL, NV, FL, inland
# California and western Massachusetts match nothing and fall into the default territory.
_RULES: tuple[tuple[str, dict[str, str]], ...] = (
    ("SEA-METRO", {"state": "WA"}),
    ("PDX-METRO", {"state": "OR"}),
    ("BAY-AREA", {"postal_from": "94000", "postal_to": "95199"}),
    ("SOCAL", {"state": "CA", "postal_from": "90000", "postal_to": "93599"}),
    ("BOS-METRO", {"postal_prefix": "021"}),
    ("BOS-METRO", {"postal_prefix": "024"}),
    ("BOS-METRO", {"postal_prefix": "018"}),
    ("BOS-METRO", {"postal_exact": "01608"}),  # a Worcester key account street
    ("NYC-METRO", {"state": "NY"}),
    ("ATL-METRO", {"state": "GA"}),
)

# Customers (by 0-based index) billed where the rules would not send them, pinned to a
# territory explicitly: (index, billing city name, billing state, territory code).
_EXPLICIT = (
    (7, "Sacramento", "CA", "BAY-AREA"),
    (42, "Portland", "OR", "SEA-METRO"),
    (133, "Springfield", "MA", "BOS-METRO"),
)

# (code, name, state); customers' preferred warehouse follows their state.
_WAREHOUSES = (
    ("SEA", "Seattle Distribution Center (Kent)", "WA"),
    ("RNO", "Reno Distribution Center", "NV"),
    ("ATL", "Atlanta Distribution Center", "GA"),
)
_WAREHOUSE_FOR_STATE = {
    "WA": "SEA", "OR": "SEA", "CA": "RNO", "NV": "RNO", "AZ": "RNO", "CO": "RNO",
    "TX": "ATL", "GA": "ATL", "FL": "ATL", "IL": "ATL", "NY": "ATL", "MA": "ATL",
}  # fmt: skip

# (tax category, state or None for the country-wide fallback, rate as a fraction)
_TAX_RATES: tuple[tuple[str, str | None, str], ...] = (
    ("standard", None, "0.06"),
    ("standard", "WA", "0.065"),
    ("standard", "OR", "0"),
    ("standard", "CA", "0.0725"),
    ("standard", "MA", "0.0625"),
    ("standard", "NY", "0.04"),
    ("standard", "GA", "0.04"),
    ("standard", "TX", "0.0625"),
    ("standard", "CO", "0.029"),
    ("standard", "AZ", "0.056"),
    ("standard", "IL", "0.0625"),
    ("standard", "NV", "0.0685"),
    ("standard", "FL", "0.06"),
    ("food", None, "0"),
    ("food", "WA", "0"),
    ("food", "CA", "0"),
    ("food", "MA", "0"),
    ("food", "NY", "0"),
    ("food", "TX", "0"),
    ("food", "IL", "0.01"),
)

_BREAKS = ((10, Decimal("0.95")), (50, Decimal("0.90")))  # (min qty, factor on base price)
_WHOLESALE_FACTOR = Decimal("0.92")
_PAYMENT_TERMS = ("due_on_receipt", "net_15", "net_30", "net_60")
_LEGAL_SUFFIXES = ("LLC", "LLC", "LLC", "Inc.", "Inc.", "Co.", "Corp.", "")
# IRS campus prefixes that are actually issued, so tax ids look plausible.
_EIN_PREFIXES = tuple(
    p for p in range(10, 100) if p not in {17, 18, 19, 28, 29, 49, 69, 70, 78, 79, 89, 96, 97}
)


class _Ids:
    """Deterministic version-4 UUID strings."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def _stream(seed: int, name: str) -> random.Random:
    # One generator per section: adding a product does not reshuffle every customer.
    return random.Random(f"{seed}:{name}")


def _at(day: date, rng: random.Random) -> datetime:
    """A UTC moment during US business hours of `day`."""
    return datetime.combine(
        day, time(hour=rng.randint(15, 23), minute=rng.randint(0, 59)), tzinfo=UTC
    )


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _round_up(quantity: int, pack_size: int) -> int:
    return -(-quantity // pack_size) * pack_size


def build_demo_dataset(
    *, password_hash: str, today: date, seed: int = 20261122
) -> dict[str, list[Row]]:
    """Every demo row, keyed by table name in foreign-key order (parents first)."""
    ids = _Ids(_stream(seed, "ids"))
    users = _users(ids, password_hash, today)
    user_ids = {row["email"]: row["id"] for row in users}
    territories, territory_ids = _territories(ids, today)
    rules = _rules(ids, territory_ids, today)
    assignments = _assignments(ids, territory_ids, user_ids, today)
    warehouses = _warehouses(ids)
    categories = [{"id": ids(), "code": code, "name": name} for code, name in CATEGORIES]
    products, prices = _products(ids, _stream(seed, "products"), categories, today)
    base_list = _price_list(ids, today, "BASE", "Base Price List", "base")
    tier_list = _price_list(ids, today, "WHOLESALE", "Wholesale Tier", "tier")
    customers, addresses, contacts = _customers(
        ids,
        _stream(seed, "customers"),
        today,
        territory_ids=territory_ids,
        rules=rules,
        assignments=assignments,
        user_ids=user_ids,
        warehouses=warehouses,
        tier_list_id=tier_list["id"],
    )
    price_lists, items, breaks = _price_lists(
        ids, _stream(seed, "prices"), today, base_list, tier_list, products, prices, customers
    )
    tax_rates = [
        {"id": ids(), "tax_category": category, "country": "US", "state": state,
         "rate": Decimal(rate)}
        for category, state, rate in _TAX_RATES
    ]  # fmt: skip
    stock = _stock(_stream(seed, "stock"), products, warehouses)
    return {
        "users": users,
        "territories": territories,
        "territory_rules": rules,
        "territory_assignments": assignments,
        "warehouses": warehouses,
        "product_categories": categories,
        "products": products,
        "price_lists": price_lists,
        "price_list_items": items,
        "price_breaks": breaks,
        "tax_rates": tax_rates,
        "customers": customers,
        "customer_addresses": addresses,
        "customer_contacts": contacts,
        "stock_levels": stock,
    }


# --- people and territories -----------------------------------------------------------------


def _users(ids: _Ids, password_hash: str, today: date) -> list[Row]:
    created = datetime.combine(today - timedelta(days=800), time(16), tzinfo=UTC)
    return [
        {
            "id": ids(),
            "email": email,
            "full_name": full_name,
            "role": role,
            "password_hash": password_hash,
            "active": True,
            "discount_limit_percent": _DISCOUNT_LIMITS[role],
            "is_demo": True,
            "created_at": created,
            "updated_at": created,
        }
        for email, full_name, role in DEMO_USERS
    ]


def _territories(ids: _Ids, today: date) -> tuple[list[Row], dict[str, str]]:
    created = datetime.combine(today - timedelta(days=760), time(17), tzinfo=UTC)
    code_ids: dict[str, str] = {}
    rows: list[Row] = []
    for code, name, kind, parent in (*_TERRITORIES, (*_DEFAULT_TERRITORY, None)):
        code_ids[code] = ids()
        rows.append(
            {
                "id": code_ids[code],
                "parent_id": code_ids[parent] if parent else None,
                "code": code,
                "name": name,
                "kind": kind,
                "is_default": code == _DEFAULT_TERRITORY[0],
                "created_at": created,
            }
        )
    return rows, code_ids


def _rules(ids: _Ids, territory_ids: dict[str, str], today: date) -> list[Row]:
    created = datetime.combine(today - timedelta(days=750), time(17), tzinfo=UTC)
    rows = []
    for code, criteria in _RULES:
        row: Row = {
            "id": ids(),
            "territory_id": territory_ids[code],
            "country": "US",
            "state": None,
            "postal_exact": None,
            "postal_prefix": None,
            "postal_from": None,
            "postal_to": None,
            "active": True,
            "created_at": created,
        }
        row.update(criteria)
        rows.append(row)
    return rows


def _assignments(
    ids: _Ids, territory_ids: dict[str, str], user_ids: dict[str, str], today: date
) -> list[Row]:
    year_ago, two_years_ago = today - timedelta(days=365), today - timedelta(days=730)
    # (user email, territory code, role, valid_from, valid_to exclusive)
    plan: tuple[tuple[str, str, str, date, date | None], ...] = (
        # Handover: rep2 owned Seattle Metro until a year ago, then moved to the Bay Area.
        ("rep2@example.com", "SEA-METRO", "owner", two_years_ago, year_ago),
        ("rep1@example.com", "SEA-METRO", "owner", year_ago, None),
        ("rep2@example.com", "BAY-AREA", "owner", year_ago, None),
        ("rep3@example.com", "BOS-METRO", "owner", year_ago, None),
        ("rep1@example.com", "PDX-METRO", "member", year_ago, None),
        ("manager@example.com", "US-WEST", "manager", two_years_ago, None),
        ("manager@example.com", "US-EAST", "manager", two_years_ago, None),
    )
    return [
        {
            "id": ids(),
            "territory_id": territory_ids[code],
            "user_id": user_ids[email],
            "role": role,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "created_at": datetime.combine(valid_from, time(16), tzinfo=UTC),
        }
        for email, code, role, valid_from, valid_to in plan
    ]


def _warehouses(ids: _Ids) -> list[Row]:
    return [
        {"id": ids(), "code": code, "name": name, "country": "US", "state": state}
        for code, name, state in _WAREHOUSES
    ]


# --- catalogue ------------------------------------------------------------------------------


def _variants(item: BaseItem) -> list[tuple[list[str], float]]:
    """(attribute labels, combined price factor) for every combination of the attributes."""
    out = []
    for combo in itertools.product(*item.attrs):
        labels, factor = [], 1.0
        for attr in combo:
            label, part = (attr, 1.0) if isinstance(attr, str) else attr
            labels.append(label)
            factor *= part
        out.append((labels, factor))
    return out


def _products(
    ids: _Ids, rng: random.Random, categories: list[Row], today: date
) -> tuple[list[Row], dict[str, int]]:
    """Product rows and each product's base list price in cents."""
    rows: list[Row] = []
    prices: dict[str, int] = {}
    for category in categories:
        number = rng.randint(10, 19) * 1000
        for item in CATALOG[category["code"]]:
            for labels, factor in _variants(item):
                number += rng.randint(1, 37)
                name = ", ".join([item.name, *labels, *([item.pack] if item.pack else [])])
                raw = item.price_cents * factor * rng.uniform(0.92, 1.08)
                price = min(49999, max(199, int(raw / 10) * 10 + 9))  # shelf prices end in 9
                description = item.description
                if item.pack_size > 1:
                    description += f" Sold in multiples of {item.pack_size}."
                low = item.pack_size * rng.choice((2, 3, 4)) if item.pack_size > 1 else 0
                created = _at(today - timedelta(days=rng.randint(200, 720)), rng)
                product_id = ids()
                prices[product_id] = price
                rows.append(
                    {
                        "id": product_id,
                        "sku": f"{category['code']}-{number}",
                        "name": name,
                        "description": description,
                        "category_id": category["id"],
                        "unit_of_measure": item.unit_of_measure,
                        "pack_size": item.pack_size,
                        "min_order_qty": item.pack_size * (2 if rng.random() < 0.1 else 1),
                        "floor_price_cents": _cents(
                            Decimal(price) * Decimal(str(round(rng.uniform(0.60, 0.75), 3)))
                        ),
                        "active": True,
                        "tax_category": item.tax_category,
                        "image_url": None,
                        "low_stock_threshold": low or rng.choice((5, 10, 15, 20, 25)),
                        "created_at": created,
                        "updated_at": created
                        + timedelta(days=rng.randint(0, (today - created.date()).days - 1)),
                    }
                )
    for index in rng.sample(range(len(rows)), 6):  # a handful of discontinued items
        rows[index]["active"] = False
    return rows, prices


def _price_list(
    ids: _Ids, today: date, code: str, name: str, kind: str, customer: Row | None = None
) -> Row:
    """A version-1 list: standing lists since a year ago, contracts for a fixed year."""
    return {
        "id": ids(),
        "code": code,
        "name": name,
        "kind": kind,
        "currency": "USD",
        "customer_id": customer["id"] if customer else None,
        "version": 1,
        "valid_from": today - timedelta(days=365 if customer is None else 120),
        "valid_to": None if customer is None else today + timedelta(days=245),  # inclusive
    }


def _price_lists(
    ids: _Ids,
    rng: random.Random,
    today: date,
    base: Row,
    wholesale: Row,
    products: list[Row],
    prices: dict[str, int],
    customers: list[Row],
) -> tuple[list[Row], list[Row], list[Row]]:
    """Items of the base and tier lists, plus two customer contract lists with their items.

    The contract customers' `price_list_id` is pointed at their own list.
    """
    lists, items, breaks = [base, wholesale], [], []
    for product in products:
        price = prices[product["id"]]
        item = {
            "id": ids(),
            "price_list_id": base["id"],
            "product_id": product["id"],
            "unit_price_cents": price,
        }
        items.append(item)
        if rng.random() < 0.3:
            for min_qty, factor in _BREAKS:
                breaks.append(
                    {
                        "id": ids(),
                        "item_id": item["id"],
                        "min_qty": _round_up(min_qty, product["pack_size"]),
                        "unit_price_cents": _cents(price * factor),
                    }
                )
    for product in products:
        items.append(
            {
                "id": ids(),
                "price_list_id": wholesale["id"],
                "product_id": product["id"],
                "unit_price_cents": max(
                    product["floor_price_cents"],
                    _cents(prices[product["id"]] * _WHOLESALE_FACTOR),
                ),
            }
        )

    # Two contract customers with their own negotiated prices on a handful of products.
    candidates = [
        row for row in customers
        if row["status"] == "active" and row["owner_id"] and row["price_list_id"] is None
    ]  # fmt: skip
    active_products = [row for row in products if row["active"]]
    for customer in rng.sample(candidates, 2):
        own = _price_list(
            ids,
            today,
            f"CUST-{customer['number']}",
            f"{customer['trading_name']} Contract",
            "customer",
            customer,
        )
        lists.append(own)
        customer["price_list_id"] = own["id"]
        for product in rng.sample(active_products, rng.randint(6, 10)):
            factor = Decimal(str(round(rng.uniform(0.82, 0.88), 3)))
            items.append(
                {
                    "id": ids(),
                    "price_list_id": own["id"],
                    "product_id": product["id"],
                    "unit_price_cents": max(
                        product["floor_price_cents"], _cents(prices[product["id"]] * factor)
                    ),
                }
            )
    return lists, items, breaks


def _stock(rng: random.Random, products: list[Row], warehouses: list[Row]) -> list[Row]:
    rows = []
    for product in products:
        if rng.random() < 0.04:
            continue  # not stocked anywhere: made to order
        count = rng.choices((1, 2, 3), weights=(30, 40, 30))[0]
        threshold = product["low_stock_threshold"]
        for warehouse in sorted(rng.sample(warehouses, count), key=lambda w: w["code"]):
            roll = rng.random()
            if roll < 0.08:
                on_hand = 0
            elif roll < 0.2:
                on_hand = rng.randint(1, max(1, threshold - 1))  # below the low-stock line
            else:
                on_hand = rng.randint(threshold, threshold * 12)
            rows.append(
                {
                    "warehouse_id": warehouse["id"],
                    "product_id": product["id"],
                    "on_hand": on_hand,
                    "allocated": 0,
                }
            )
    return rows


# --- customers ------------------------------------------------------------------------------


def _company_name(rng: random.Random) -> str:
    kind = rng.random()
    business = rng.choice(BUSINESS_TYPES)
    if kind < 0.7:
        return f"{rng.choice(COMPANY_PLACES)} {business}"
    if kind < 0.9:
        return f"{rng.choice(LAST_NAMES)} {business}"
    first, second = rng.sample(LAST_NAMES, 2)
    return f"{first} & {second} {business}"


def _domain(trading_name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", trading_name.lower().replace("&", "and"))[:40] + ".com"


def _street(rng: random.Random) -> str:
    street = f"{rng.randint(100, 9899)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}"
    if rng.random() < 0.15:
        street += f", Suite {rng.randint(1, 9) * 100 + rng.randint(0, 20)}"
    return street


def _address(
    ids: _Ids, rng: random.Random, customer_id: str, city: City, kind: str, is_default: bool
) -> Row:
    return {
        "id": ids(),
        "customer_id": customer_id,
        "kind": kind,
        "is_default": is_default,
        "country": "US",
        "state": city.state,
        "city": city.name,
        "postal_code": city.postal_code,
        "street": _street(rng),
        "latitude": round(city.latitude + rng.uniform(-0.02, 0.02), 5),
        "longitude": round(city.longitude + rng.uniform(-0.02, 0.02), 5),
    }


def _customers(
    ids: _Ids,
    rng: random.Random,
    today: date,
    *,
    territory_ids: dict[str, str],
    rules: list[Row],
    assignments: list[Row],
    user_ids: dict[str, str],
    warehouses: list[Row],
    tier_list_id: str,
) -> tuple[list[Row], list[Row], list[Row]]:
    """Customers placed by the territory rules, with their addresses and contacts."""
    rule_structs = [
        TerritoryRule(
            id=r["id"], territory_id=r["territory_id"], country=r["country"], state=r["state"],
            postal_exact=r["postal_exact"], postal_prefix=r["postal_prefix"],
            postal_from=r["postal_from"], postal_to=r["postal_to"],
        )
        for r in rules
    ]  # fmt: skip
    rule_book = RuleBook(rule_structs)
    assignment_structs = [
        Assignment(
            id=a["id"], territory_id=a["territory_id"], user_id=a["user_id"], role=a["role"],
            valid_from=a["valid_from"], valid_to=a["valid_to"],
        )
        for a in assignments
    ]  # fmt: skip
    default_id = territory_ids[_DEFAULT_TERRITORY[0]]
    warehouse_ids = {row["code"]: row["id"] for row in warehouses}
    admin_id = user_ids["admin@example.com"]
    explicit = {index: (city, state, code) for index, city, state, code in _EXPLICIT}
    weights = [city.weight for city in CITIES]
    used_names: set[str] = set()
    used_tax_ids: set[str] = set()
    used_phones: set[str] = set()
    customers: list[Row] = []
    addresses: list[Row] = []
    contacts: list[Row] = []

    for index in range(CUSTOMER_COUNT):
        customer_id = ids()
        trading = _company_name(rng)
        while trading.lower() in used_names:
            trading = _company_name(rng)
        used_names.add(trading.lower())
        legal = f"{trading} {rng.choice(_LEGAL_SUFFIXES)}".strip()

        explicit_territory_id = None
        if index in explicit:
            city_name, state, code = explicit[index]
            city = next(c for c in CITIES if c.name == city_name and c.state == state)
            explicit_territory_id = territory_ids[code]
        else:
            city = rng.choices(CITIES, weights=weights)[0]
        billing = _address(ids, rng, customer_id, city, "billing", True)
        match = rule_book.match(
            Address(country="US", state=city.state, postal_code=city.postal_code, city=city.name),
            explicit_territory_id=explicit_territory_id,
            default_territory_id=default_id,
        )
        owner_id = owner_on(assignment_structs, match.territory_id, today)

        addresses.append(billing)
        shipping_count = rng.choice((1, 1, 2))
        for n in range(shipping_count):
            ship_city = city
            if n == 1:
                ship_city = rng.choice([c for c in CITIES if c.state == city.state])
            addresses.append(_address(ids, rng, customer_id, ship_city, "shipping", n == 0))

        domain = _domain(trading)
        # Distinct first names keep the contacts' e-mail addresses distinct.
        names = list(zip(rng.sample(FIRST_NAMES, 3), rng.choices(LAST_NAMES, k=3), strict=True))
        roles = [rng.choice(("Owner", "Purchasing Manager", "General Manager"))]
        roles += rng.sample([r for r in CONTACT_ROLES if r != roles[0]], 2)
        for n in range(rng.choice((1, 1, 2, 2, 3))):
            first, last = names[n]
            phone = _phone(rng, city.area_code, used_phones)
            contacts.append(
                {
                    "id": ids(),
                    "customer_id": customer_id,
                    "name": f"{first} {last}",
                    "role": roles[n],
                    "email": f"{first}.{last}".lower().replace("'", "") + f"@{domain}",
                    "phone": phone,
                }
            )

        tax_id = ""
        if rng.random() < 0.85:
            while not tax_id or tax_id in used_tax_ids:
                tax_id = f"{rng.choice(_EIN_PREFIXES)}-{rng.randint(1000000, 9999999)}"
            used_tax_ids.add(tax_id)
        status = rng.choices(("active", "prospect", "on_hold", "inactive"), weights=(75, 14, 6, 5))[
            0
        ]
        terms = (
            "due_on_receipt"
            if status == "prospect"
            else rng.choices(_PAYMENT_TERMS, weights=(15, 20, 50, 15))[0]
        )
        age = rng.randint(20, 700)
        created = _at(today - timedelta(days=age), rng)
        customers.append(
            {
                "id": customer_id,
                "number": f"C-{index + 1:06d}",
                "legal_name": legal,
                "trading_name": trading,
                "search_name": normalize_name(legal),
                "tax_id": tax_id,
                "status": status,
                "payment_terms": terms,
                "credit_limit_cents": rng.randrange(500_000, 5_000_001, 50_000),
                "price_list_id": tier_list_id if rng.random() < 0.25 else None,
                "tax_exempt": rng.random() < 0.05,
                "notes": "",
                "territory_id": match.territory_id,
                "explicit_territory_id": explicit_territory_id,
                "owner_id": owner_id,
                "preferred_warehouse_id": (
                    warehouse_ids[_WAREHOUSE_FOR_STATE[city.state]] if rng.random() < 0.4 else None
                ),
                "created_by": owner_id if owner_id and rng.random() < 0.7 else admin_id,
                "channel": rng.choices(("phone", "web", "api"), weights=(70, 20, 10))[0],
                "version": 1,
                "created_at": created,
                "updated_at": created + timedelta(days=rng.randint(0, age - 1)),
            }
        )
    return customers, addresses, contacts


def _phone(rng: random.Random, area_code: str, used: set[str]) -> str:
    """A number from the 555-0100..0199 block reserved for fiction, unique in the dataset.

    Shared phones would make the duplicate detector flag unrelated demo customers, so when
    an area code's 100 fictional numbers are used up the contact simply has no phone.
    """
    free = [n for n in range(100) if f"{area_code}-{n}" not in used]
    if not free:
        return ""
    number = rng.choice(free)
    used.add(f"{area_code}-{number}")
    return f"+1 {area_code} 555 01{number:02d}"
