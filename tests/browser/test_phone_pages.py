"""A rep on a phone: log in, find a customer, onboard one, browse the catalog."""

from __future__ import annotations

import re

from tests.browser.conftest import screenshot


def _login(page, email: str = "rep1@example.com") -> None:
    page.goto("/login?next=/")  # reps land on /app otherwise
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo1234")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/$"))


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_rep_logs_in_and_finds_a_customer_on_a_phone(phone):
    _login(phone)
    assert phone.get_by_role("heading", name=re.compile("Hello")).is_visible()
    screenshot(phone, "home")
    phone.get_by_role("link", name="Customers").click()
    phone.wait_for_url(re.compile(r".*/customers"))
    first = phone.locator("#results tbody a").first
    name = first.locator("strong").inner_text()
    phone.get_by_label(re.compile("Search by name")).fill(name.split()[0])
    phone.wait_for_function(
        "document.querySelector('#results') && document.querySelector('#results').innerText.length > 0"
    )
    phone.locator("#results tbody a", has_text=name).first.click()
    phone.wait_for_url(re.compile(r".*/customers/[0-9a-f-]{36}$"))
    assert phone.get_by_role("heading", name=name).is_visible()
    assert _no_horizontal_scroll(phone)
    screenshot(phone, "customer-detail")


def test_rep_onboards_a_customer_and_is_warned_about_a_duplicate(phone):
    _login(phone, "rep2@example.com")
    phone.goto("/customers/new")
    fields = {
        "legal_name": "Mission Street Kitchen",
        "contact_name": "Dana Cook",
        "email": "dana@missionkitchen.test",
        "phone": "+1 415 555 0177",
        "street": "500 Mission St",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
    }
    assert phone.get_by_label(re.compile("^Legal name")).is_visible()  # every field is labelled
    for name, value in fields.items():
        phone.locator(f"#f-{name}").fill(value)
    assert _no_horizontal_scroll(phone)
    screenshot(phone, "onboarding")
    phone.get_by_role("button", name="Create customer").click()
    phone.wait_for_url(re.compile(r".*/customers/[0-9a-f-]{36}$"))
    assert phone.get_by_role("heading", name="Mission Street Kitchen").is_visible()

    phone.goto("/customers/new")
    for name, value in fields.items():
        phone.locator(f"#f-{name}").fill(value)
    phone.get_by_role("button", name="Create customer").click()
    alert = phone.get_by_text("This customer may already exist")
    alert.wait_for()
    screenshot(phone, "duplicate-prompt")
    assert phone.get_by_role("button", name=re.compile("It is a new customer")).is_visible()
