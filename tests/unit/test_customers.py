from __future__ import annotations

from datetime import date

import pytest

from server.domain.customers import (
    CUSTOMER_STATUS_TRANSITIONS,
    CUSTOMER_STATUSES,
    PAYMENT_TERMS,
    CustomerFingerprint,
    DuplicateMatch,
    can_transition,
    clean_text,
    diff_fields,
    find_duplicates,
    merge_patch,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_tax_id,
    payment_due_on,
    require_transition,
)
from server.domain.errors import InvalidTransition, ValidationFailed

# --- normalisation ------------------------------------------------------------------------


def test_normalize_email_strips_and_lowercases() -> None:
    assert normalize_email("  Anna.Meyer@Example.COM ") == "anna.meyer@example.com"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+49 (30) 123-45", "+493012345"),
        ("030 / 123 45", "03012345"),
        (" +1 415.555.0100", "+14155550100"),
        ("+", ""),
        ("n/a", ""),
        (None, ""),
    ],
)
def test_normalize_phone_keeps_leading_plus_and_digits(raw: str | None, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_normalize_tax_id_removes_separators() -> None:
    assert normalize_tax_id(" de 123.456-789 ") == "DE123456789"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme Inc.", "acme"),
        ("ACME, LLC", "acme"),
        ("Acme Co. Ltd", "acme"),
        ("Müller & Söhne GmbH", "muller sohne"),
        ("  O'Brien   Trading  Corp ", "obrien trading"),
        ("Costco Wholesale", "costco wholesale"),
        ("Co", "co"),
    ],
)
def test_normalize_name_folds_case_punctuation_and_legal_suffixes(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_normalize_name_keeps_suffix_word_inside_name() -> None:
    # given 'Co' at the start is part of the name, not a legal form
    assert normalize_name("Co Operative Bakery Ltd") == "co operative bakery"


def test_clean_text_collapses_whitespace_but_keeps_case() -> None:
    assert clean_text("  Acme \t  Ltd\n ") == "Acme Ltd"
    assert clean_text(None) == ""


# --- duplicates ---------------------------------------------------------------------------


def fingerprint(customer_id: str, **fields: object) -> CustomerFingerprint:
    base: dict[str, object] = {"legal_name": f"Company {customer_id}"}
    base.update(fields)
    return CustomerFingerprint(customer_id=customer_id, **base)  # type: ignore[arg-type]


def test_find_duplicates_matches_tax_id_written_differently() -> None:
    candidate = fingerprint("new", tax_id="DE 123-456")
    existing = [fingerprint("c1", tax_id="de123456"), fingerprint("c2", tax_id="DE999")]
    assert find_duplicates(candidate, existing) == [DuplicateMatch("c1", ("tax_id",))]


def test_find_duplicates_matches_any_shared_email() -> None:
    candidate = fingerprint("new", emails=("orders@acme.com", "ceo@acme.com"))
    existing = [fingerprint("c1", emails=("info@acme.com", " CEO@Acme.com"))]
    assert find_duplicates(candidate, existing) == [DuplicateMatch("c1", ("email",))]


def test_find_duplicates_matches_phone_written_differently() -> None:
    candidate = fingerprint("new", phones=("+1 (415) 555-0100",))
    existing = [fingerprint("c1", phones=("+14155550100",)), fingerprint("c2", phones=("+1415",))]
    assert find_duplicates(candidate, existing) == [DuplicateMatch("c1", ("phone",))]


def test_find_duplicates_matches_name_only_with_shared_postal_code() -> None:
    candidate = fingerprint("new", legal_name="Central Pharmacy Inc", postal_codes=("10115",))
    existing = [
        fingerprint("same-place", legal_name="CENTRAL PHARMACY", postal_codes=("10 115",)),
        fingerprint("elsewhere", legal_name="Central Pharmacy", postal_codes=("80331",)),
        fingerprint("no-postal", legal_name="Central Pharmacy"),
    ]
    assert find_duplicates(candidate, existing) == [
        DuplicateMatch("same-place", ("name_and_postal_code",))
    ]


def test_find_duplicates_postal_code_without_name_is_no_match() -> None:
    candidate = fingerprint("new", legal_name="Alpha", postal_codes=("10115",))
    assert (
        find_duplicates(candidate, [fingerprint("c1", legal_name="Beta", postal_codes=("10115",))])
        == []
    )


def test_find_duplicates_blank_values_never_match() -> None:
    # given two customers whose only common ground is missing or junk data
    candidate = CustomerFingerprint(
        "new",
        legal_name="",
        tax_id=" ",
        emails=("", " "),
        phones=("+", "n/a"),
        postal_codes=("",),
    )
    existing = [
        CustomerFingerprint(
            "c1", legal_name=" ", tax_id="", emails=(" ",), phones=("-",), postal_codes=(" ",)
        ),
        CustomerFingerprint("c2", legal_name="", tax_id=None),
    ]
    # then nothing is reported
    assert find_duplicates(candidate, existing) == []


def test_find_duplicates_blank_names_with_same_postal_code_do_not_match() -> None:
    candidate = CustomerFingerprint("new", legal_name="", postal_codes=("10115",))
    existing = [CustomerFingerprint("c1", legal_name="  ", postal_codes=("10115",))]
    assert find_duplicates(candidate, existing) == []


def test_find_duplicates_sorts_by_reason_count_then_id() -> None:
    candidate = fingerprint("new", tax_id="T1", emails=("a@x.com",), phones=("+100200300",))
    existing = [
        fingerprint("b-one", emails=("a@x.com",)),
        fingerprint("z-three", tax_id="T1", emails=("a@x.com",), phones=("+100200300",)),
        fingerprint("a-one", phones=("+100200300",)),
        fingerprint("m-two", tax_id="t1", emails=("A@X.COM",)),
    ]
    result = find_duplicates(candidate, existing)
    assert [m.customer_id for m in result] == ["z-three", "m-two", "a-one", "b-one"]
    assert result[0].reasons == ("tax_id", "email", "phone")


def test_find_duplicates_skips_the_candidate_itself() -> None:
    candidate = fingerprint("c1", tax_id="T1")
    assert find_duplicates(candidate, [candidate]) == []


# --- versioned edits ----------------------------------------------------------------------


def test_diff_fields_reports_changed_added_and_removed_fields() -> None:
    before = {"name": "Acme", "phone": "1", "city": "Berlin"}
    after = {"name": "Acme", "phone": "2", "email": "a@x.com"}
    assert diff_fields(before, after) == {
        "city": ("Berlin", None),
        "email": (None, "a@x.com"),
        "phone": ("1", "2"),
    }


def test_diff_fields_identical_is_empty() -> None:
    assert diff_fields({"a": 1}, {"a": 1}) == {}


def test_merge_patch_server_wins_on_fields_changed_since_base() -> None:
    # given the rep edited phone and email offline at v3, and the office changed email in v4
    result = merge_patch(
        base_version=3,
        current_version=4,
        patch={"phone": "+4930111", "email": "rep@x.com"},
        changed_since_base={"email", "credit_limit_cents"},
    )
    # then the phone is applied and the email stays as the server has it
    assert result.applied == {"phone": "+4930111"}
    assert result.overwritten_by_server == ("email",)


def test_merge_patch_on_current_version_applies_everything() -> None:
    result = merge_patch(
        base_version=4,
        current_version=4,
        patch={"email": "rep@x.com"},
        changed_since_base={"email"},
    )
    assert result.applied == {"email": "rep@x.com"}
    assert result.overwritten_by_server == ()


def test_merge_patch_refuses_base_version_from_the_future() -> None:
    with pytest.raises(ValidationFailed) as error:
        merge_patch(base_version=5, current_version=4, patch={}, changed_since_base=set())
    assert error.value.code == "unknown_base_version"


# --- statuses and terms -------------------------------------------------------------------


def test_customer_status_table_covers_every_status() -> None:
    assert set(CUSTOMER_STATUS_TRANSITIONS) == set(CUSTOMER_STATUSES)
    for targets in CUSTOMER_STATUS_TRANSITIONS.values():
        assert targets <= set(CUSTOMER_STATUSES)


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("prospect", "active"),
        ("active", "on_hold"),
        ("on_hold", "active"),
        ("active", "inactive"),
        ("inactive", "active"),
    ],
)
def test_can_transition_allows_listed_moves(from_status: str, to_status: str) -> None:
    assert can_transition(from_status, to_status)


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("prospect", "on_hold"),
        ("inactive", "on_hold"),
        ("active", "prospect"),
        ("active", "active"),
        ("unknown", "active"),
        ("active", "deleted"),
    ],
)
def test_can_transition_refuses_unlisted_moves(from_status: str, to_status: str) -> None:
    assert not can_transition(from_status, to_status)


def test_require_transition_raises_invalid_transition() -> None:
    with pytest.raises(InvalidTransition) as error:
        require_transition("prospect", "on_hold")
    assert error.value.code == "invalid_transition"
    require_transition("prospect", "active")


def test_payment_terms_days() -> None:
    assert dict(PAYMENT_TERMS) == {
        "due_on_receipt": 0,
        "net_15": 15,
        "net_30": 30,
        "net_45": 45,
        "net_60": 60,
    }


def test_payment_due_on_adds_term_days() -> None:
    assert payment_due_on(date(2026, 1, 31), "net_30") == date(2026, 3, 2)
    assert payment_due_on(date(2026, 1, 31), "due_on_receipt") == date(2026, 1, 31)


def test_payment_due_on_unknown_terms_raises() -> None:
    with pytest.raises(ValidationFailed) as error:
        payment_due_on(date(2026, 1, 31), "net_90")
    assert error.value.code == "unknown_payment_terms"
