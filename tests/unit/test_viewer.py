"""How pages show times, money and navigation to a viewer (server/features/shared/viewer.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from server.features.shared.table_view import day_range, table_state
from server.features.shared.viewer import local_time, money_in, nav_items, viewer_zone


def test_viewer_zone_comes_from_the_tz_cookie_and_falls_back_to_utc():
    assert str(viewer_zone({"tz": "Europe/Paris"})) == "Europe/Paris"
    for bad in ("", "Mars/Olympus_Mons", "../../etc/passwd", "Europe/Paris; x=1", "x" * 80):
        assert viewer_zone({"tz": bad}) is UTC, bad
    assert viewer_zone({}) is UTC


def test_local_time_converts_a_stored_utc_time_and_labels_the_zone():
    stored = datetime(2026, 7, 1, 22, 30)  # naive: stored UTC
    assert local_time(stored, viewer_zone({"tz": "Europe/Paris"})) == "2026-07-02 00:30 CEST"
    assert local_time(stored, viewer_zone({"tz": "America/New_York"})) == "2026-07-01 18:30 EDT"
    assert local_time("2026-01-15T08:05:00+00:00", UTC) == "2026-01-15 08:05 UTC"
    assert local_time(None, UTC) == ""


def test_money_is_shown_with_its_currency():
    assert money_in(123456, "EUR") == "1,234.56 EUR"
    assert money_in(-5) == "-0.05 USD"
    assert money_in(None) == "0.00 USD"


def test_navigation_entries_follow_the_role_and_mark_the_current_page():
    manager = {i.text: i for i in nav_items("manager", "/orders/0b4c")}
    assert manager["Orders"].current and not manager["Home"].current
    assert manager["Dashboard"].href == "/manager/dashboard"
    assert "Users" not in manager and "Approvals" in manager
    admin = {i.text: i for i in nav_items("admin", "/admin/stock/expected")}
    assert admin["Expected receipts"].current and not admin["Stock"].current
    rep = {i.text for i in nav_items("rep", "/")}
    assert "Approvals" not in rep and "Back office" not in rep and "Orders" in rep


def test_a_table_sort_toggles_and_keeps_the_filters():
    table = table_state(
        "/orders",
        sort="total",
        direction="",
        sorts=["placed", "total"],
        default_sort="placed",
        default_descending=True,
        filters={"status": "confirmed", "q": ""},
        offset=50,
    )
    assert not table.descending and table.aria_sort("total") == "ascending"
    assert table.sort_query("total") == "status=confirmed&sort=total&dir=desc"
    assert table.sort_query("placed") == "status=confirmed&sort=placed&dir=asc"
    assert table.export_query() == "status=confirmed&sort=total&dir=asc"


def test_a_date_range_covers_whole_days_of_the_viewers_calendar():
    from datetime import date

    low, high = day_range(date(2026, 3, 1), date(2026, 3, 1), viewer_zone({"tz": "Asia/Tokyo"}))
    assert low == datetime(2026, 2, 28, 15, 0, tzinfo=UTC)
    assert high == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
