"""The demo dataset: deterministic, referentially whole, and consistent with the rules."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal

import pytest

from server.db.models import Base
from server.demo.dataset import DEMO_USERS, build_demo_dataset
from server.domain.territories import (
    Address,
    Assignment,
    TerritoryRule,
    match_territory,
    owner_on,
)

TODAY = date(2026, 11, 22)
Dataset = dict[str, list[dict]]


@pytest.fixture(scope="module")
def data() -> Dataset:
    return build_demo_dataset(password_hash="hash", today=TODAY)


def _by_id(rows: list[dict]) -> dict[str, dict]:
    return {row["id"]: row for row in rows}


def _assignments(data: Dataset) -> list[Assignment]:
    return [
        Assignment(
            id=a["id"], territory_id=a["territory_id"], user_id=a["user_id"], role=a["role"],
            valid_from=a["valid_from"], valid_to=a["valid_to"],
        )
        for a in data["territory_assignments"]
    ]  # fmt: skip


def test_same_seed_same_data_other_seed_other_data(data: Dataset) -> None:
    assert build_demo_dataset(password_hash="hash", today=TODAY) == data
    other = build_demo_dataset(password_hash="hash", today=TODAY, seed=7)
    assert other["customers"] != data["customers"]


def test_rows_fit_the_tables(data: Dataset) -> None:
    tables = Base.metadata.tables
    for name, rows in data.items():
        table = tables[name]
        columns = set(table.columns.keys())
        required = {
            c.name for c in table.columns
            if not c.nullable and c.default is None and c.server_default is None
            and not (c.primary_key and c.autoincrement is True)
        }  # fmt: skip
        assert rows, name
        for row in rows:
            assert set(row) <= columns, (name, set(row) - columns)
            assert required <= set(row), (name, required - set(row))
            for key, value in row.items():
                if isinstance(value, datetime):
                    assert value.tzinfo is not None, (name, key)


def test_every_foreign_key_points_at_an_earlier_row(data: Dataset) -> None:
    tables = Base.metadata.tables
    order = list(data)
    for name, rows in data.items():
        for column in tables[name].columns:
            for fk in column.foreign_keys:
                target = fk.column.table.name
                assert order.index(target) <= order.index(name), (name, target)
                existing = [row[fk.column.name] for row in data[target]]
                for index, row in enumerate(rows):
                    value = row.get(column.name)
                    if value is None:
                        continue
                    assert value in existing, (name, column.name, value)
                    if target == name:  # a self-reference must point at an earlier row
                        assert value in existing[:index], (name, column.name, value)


def test_ids_are_unique_uuid_strings(data: Dataset) -> None:
    ids = [row["id"] for rows in data.values() for row in rows if "id" in row]
    assert all(isinstance(i, str) and len(i) == 36 for i in ids)
    assert len(ids) == len(set(ids))


def test_customer_price_lists_point_at_customers(data: Dataset) -> None:
    customers = _by_id(data["customers"])
    lists = data["price_lists"]
    own = [pl for pl in lists if pl["kind"] == "customer"]
    assert len(own) == 2
    for pl in own:
        assert customers[pl["customer_id"]]["price_list_id"] == pl["id"]
    assert all(pl["customer_id"] is None for pl in lists if pl["kind"] != "customer")
    assert len({(pl["code"], pl["version"]) for pl in lists}) == len(lists)


def test_demo_users(data: Dataset) -> None:
    users = {row["email"]: row for row in data["users"]}
    expected = {
        "admin@example.com": "admin",
        "manager@example.com": "manager",
        "rep1@example.com": "rep",
        "rep2@example.com": "rep",
        "rep3@example.com": "rep",
    }
    assert {email: row["role"] for email, row in users.items()} == expected
    assert {email for email, _, _ in DEMO_USERS} == set(expected)
    limits = {"admin": Decimal(100), "manager": Decimal(30), "rep": Decimal(10)}
    for row in users.values():
        assert row["is_demo"] and row["active"] and row["password_hash"] == "hash"
        assert isinstance(row["discount_limit_percent"], Decimal)
        assert row["discount_limit_percent"] == limits[row["role"]]


def test_sizes(data: Dataset) -> None:
    assert len(data["customers"]) >= 300
    assert len(data["products"]) >= 400


def test_each_rep_owns_a_leaf_territory_today(data: Dataset) -> None:
    territories = data["territories"]
    parents = {t["parent_id"] for t in territories}
    leaves = [t for t in territories if t["id"] not in parents and not t["is_default"]]
    assignments = _assignments(data)
    owners = {owner_on(assignments, t["id"], TODAY) for t in leaves} - {None}
    reps = {u["id"] for u in data["users"] if u["role"] == "rep"}
    assert len(reps) >= 3
    assert reps <= owners
    assert [t["code"] for t in territories if t["is_default"]] == ["UNASSIGNED"]


def test_customers_sit_where_the_rules_put_them(data: Dataset) -> None:
    rules = [
        TerritoryRule(
            id=r["id"], territory_id=r["territory_id"], country=r["country"], state=r["state"],
            postal_exact=r["postal_exact"], postal_prefix=r["postal_prefix"],
            postal_from=r["postal_from"], postal_to=r["postal_to"],
        )
        for r in data["territory_rules"]
        if r["active"]
    ]  # fmt: skip
    default_id = next(t["id"] for t in data["territories"] if t["is_default"])
    billing = {
        a["customer_id"]: a
        for a in data["customer_addresses"]
        if a["kind"] == "billing" and a["is_default"]
    }
    assignments = _assignments(data)
    reasons: Counter[str] = Counter()
    for customer in data["customers"]:
        address = billing[customer["id"]]
        match = match_territory(
            Address(
                country=address["country"], state=address["state"],
                postal_code=address["postal_code"], city=address["city"],
            ),
            rules,
            explicit_territory_id=customer["explicit_territory_id"],
            default_territory_id=default_id,
        )  # fmt: skip
        reasons[match.reason] += 1
        assert customer["territory_id"] == match.territory_id, customer["number"]
        assert customer["owner_id"] == owner_on(assignments, match.territory_id, TODAY)
    # Every way of being placed shows up in the demo.
    assert reasons["rule"] > 200 and reasons["default"] > 0 and 2 <= reasons["explicit"] <= 5


def test_every_customer_has_addresses_and_contacts(data: Dataset) -> None:
    kinds = Counter((a["customer_id"], a["kind"]) for a in data["customer_addresses"])
    contacts = Counter(c["customer_id"] for c in data["customer_contacts"])
    for customer in data["customers"]:
        assert kinds[(customer["id"], "billing")] == 1
        assert 1 <= kinds[(customer["id"], "shipping")] <= 2
        assert 1 <= contacts[customer["id"]] <= 3
    numbers = [c["number"] for c in data["customers"]]
    assert len(set(numbers)) == len(numbers)


def test_skus_unique(data: Dataset) -> None:
    skus = [p["sku"] for p in data["products"]]
    assert len(skus) == len(set(skus))


def test_money_is_integer_cents(data: Dataset) -> None:
    for name, rows in data.items():
        for row in rows:
            for key, value in row.items():
                if key.endswith("_cents"):
                    assert type(value) is int, (name, key, value)
    for rate in data["tax_rates"]:
        assert isinstance(rate["rate"], Decimal) and 0 <= rate["rate"] < 1


def test_prices_respect_floors_and_packs(data: Dataset) -> None:
    products = _by_id(data["products"])
    items = _by_id(data["price_list_items"])
    base = next(pl["id"] for pl in data["price_lists"] if pl["code"] == "BASE")
    for item in items.values():
        product = products[item["product_id"]]
        if item["price_list_id"] == base:
            assert 199 <= item["unit_price_cents"] <= 49999
        assert item["unit_price_cents"] >= product["floor_price_cents"]
    for brk in data["price_breaks"]:
        item = items[brk["item_id"]]
        product = products[item["product_id"]]
        assert brk["unit_price_cents"] < item["unit_price_cents"]
        assert brk["unit_price_cents"] >= product["floor_price_cents"]
        assert brk["min_qty"] % product["pack_size"] == 0
    for product in products.values():
        assert product["min_order_qty"] % product["pack_size"] == 0
    assert {i["product_id"] for i in items.values() if i["price_list_id"] == base} == set(products)


def test_demo_customers_are_searchable_and_found_as_duplicates(data: Dataset) -> None:
    # Duplicate detection and name search compare against the normalised name; a demo
    # customer stored with another normalisation could be onboarded a second time.
    from server.domain.customers import normalize_name

    punctuated = [
        c for c in data["customers"] if normalize_name(c["legal_name"]) != c["legal_name"].lower()
    ]
    assert punctuated, "the demo names should include punctuation or legal suffixes"
    for customer in data["customers"]:
        assert customer["search_name"] == normalize_name(customer["legal_name"])
