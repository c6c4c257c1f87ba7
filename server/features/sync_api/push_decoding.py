"""Reading a push whose text holds a lone surrogate.

JSON may escape half of a UTF-16 surrogate pair on its own ("\\udfff"): a phone's
JSON.stringify writes one for a string cut in the middle of an emoji. No database can
store it, and msgspec refuses the whole body for it, which would refuse every good
mutation with it and leave the phone resending the push for ever. So such a body is read
again with Python's json module, which keeps lone surrogates as they are: inside a
mutation's arguments the sync engine then rejects that mutation alone (`invalid_text`);
anywhere else the push itself is unreadable and refused before anything is applied.
"""

from __future__ import annotations

import json
import re
from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

from server.domain.errors import ValidationFailed

__all__ = ["PushBodyRequest", "decode_keeping_lone_surrogates"]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _has_lone_surrogate_outside_arguments(value: Any) -> bool:
    """Every key, and every string that is not inside a mutation's `args`."""
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, in_args = stack.pop()
        if isinstance(item, str):
            if not in_args and _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and _LONE_SURROGATE.search(key):
                    return True
                stack.append((child, in_args or key == "args"))
        elif isinstance(item, list):
            stack.extend((child, in_args) for child in item)
    return False


def decode_keeping_lone_surrogates(body: bytes) -> Any:
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise SerializationException(f"JSON is malformed: {exc}") from None
    if _has_lone_surrogate_outside_arguments(value):
        raise ValidationFailed(
            "The push holds a broken character (a lone UTF-16 surrogate) outside any change.",
            code="invalid_text",
        )
    return value


class PushBodyRequest(Request[Any, Any, Any]):
    """The push's request: its JSON is read with msgspec, and read again leniently only when
    msgspec refused it for a lone surrogate."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except SerializationException as exc:
            if "surrogate" not in str(exc):
                raise
        value = decode_keeping_lone_surrogates(await self.body())
        self._json = self._connection_state.json = value
        return value
