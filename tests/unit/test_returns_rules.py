"""What may come back on a return, and which invoice credits it."""

from __future__ import annotations

import pytest

from server.domain.errors import Conflict, ValidationFailed
from server.domain.returns import Billed, ReturnableLine, check_return, credit_targets


def _line(**kw: int) -> ReturnableLine:
    values = {"shipped": 5, "invoiced": 5, "returned": 0, "authorised": 0, **kw}
    return ReturnableLine(line_id="a", **values)


def test_returnable_is_invoiced_shipped_units_not_yet_back_or_authorised() -> None:
    assert _line().returnable == 5
    assert _line(invoiced=3).returnable == 3
    assert _line(returned=2, authorised=1).returnable == 2
    assert _line(returned=5).returnable == 0


def test_a_return_above_what_may_come_back_names_every_line() -> None:
    check_return([_line()], {"a": 5})
    with pytest.raises(Conflict) as caught:
        check_return([_line(invoiced=2)], {"a": 3, "x": 1})
    problems = caught.value.details["lines"]
    assert [p["code"] for p in problems] == ["invoice_first", "unknown_line"]
    with pytest.raises(Conflict) as above:
        check_return([_line(returned=4)], {"a": 2})
    assert above.value.details["lines"][0]["code"] == "above_returnable"
    with pytest.raises(ValidationFailed):
        check_return([_line()], {})


def test_credit_goes_to_the_newest_invoice_first_and_never_beyond_what_it_billed() -> None:
    billed = [  # newest first
        Billed("inv2", "a", 2, 0),
        Billed("inv1", "a", 3, 1),
        Billed("inv1", "b", 4, 0),
    ]
    assert credit_targets(billed, {"a": 4, "b": 1}) == {
        "inv2": {"a": 2},
        "inv1": {"a": 2, "b": 1},
    }
    assert credit_targets(billed, {"a": 1}) == {"inv2": {"a": 1}}
