"""What a one-line text (a name, a code) may hold.

Control characters are never typed: they arrive from pasted terminal output or from
someone trying to smuggle escape sequences (ESC [ 31 m) into logs, exports and screens.
Names and codes are refused with them; longer texts (notes, descriptions) may still break
lines.
"""

from __future__ import annotations

import re

__all__ = [
    "CONTROL_CHARACTERS_MESSAGE",
    "ONE_LINE_PATTERN",
    "has_control_characters",
    "is_one_line_refusal",
]

_CONTROL = "\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029"
_LINE_BREAKS = "\t\n\r"

# For schema constraints (msgspec, OpenAPI): none of the control characters, up to the very
# end of the text (`$` would let a final line feed through; the lookahead reads the same in
# Python and in JavaScript).
ONE_LINE_PATTERN = f"^[^{_CONTROL}]*(?![\\s\\S])"

_ANY_CONTROL = re.compile(f"[{_CONTROL}]")


def has_control_characters(text: str, *, line_breaks_allowed: bool = False) -> bool:
    if line_breaks_allowed:
        text = text.translate({ord(ch): None for ch in _LINE_BREAKS})
    return _ANY_CONTROL.search(text) is not None


CONTROL_CHARACTERS_MESSAGE = (
    "may not contain control characters (such as line breaks or escape codes)."
)


def is_one_line_refusal(message: str) -> bool:
    """Whether a schema validation message is the refusal of ONE_LINE_PATTERN (as msgspec
    words it), so it can be answered as the text refusal it is."""
    return f"matching regex {ONE_LINE_PATTERN!r}" in message
