"""Where an order or a new customer came from: its channel, decided by the server.

The channel is a fact about the caller, not a claim of the body: an integration token says
`api` (or `edi`, if it was created as an EDI bridge), the rep's app (the sync push) says
`phone`, the desktop pages say `web`. A staff client of the JSON API may still send the
field (old phones send `field`); it only chooses between `phone` and `web`, never the
channels reserved to integrations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from server.domain.actor import CurrentUser

__all__ = ["ORDER_CHANNELS", "Channel", "Edge", "channel_for", "integration_channels"]

Channel = Literal["web", "phone", "edi", "api"]
# Where the request came in: the JSON API, the sync push or a desktop page.
Edge = Literal["api", "sync", "page"]

ORDER_CHANNELS: tuple[Channel, ...] = (
    "web",  # the desktop pages (managers, back office)
    "phone",  # the rep's app: the sync push, or the JSON API saying phone or field
    "edi",  # an integration token created as an EDI bridge
    "api",  # any other integration token
)
_PHONE_CLAIMS = frozenset({"phone", "field"})


def integration_channels() -> tuple[Channel, ...]:
    """What an integration token may be created for."""
    return ("api", "edi")


def channel_for(user: CurrentUser, edge: Edge, declared: str | None = None) -> Channel:
    if user.channel is not None:
        return user.channel
    if edge == "sync":
        return "phone"
    if edge == "page":
        return "web"
    return "phone" if declared in _PHONE_CLAIMS else "web"
