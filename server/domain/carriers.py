"""Carriers whose public tracking page is known: a tracking number becomes a link."""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["KNOWN_CARRIERS", "tracking_url"]

# The carriers' own public tracking pages; the number is the only variable part.
KNOWN_CARRIERS: dict[str, str] = {
    "ups": "https://www.ups.com/track?tracknum={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "dhl": "https://www.dhl.com/en/express/tracking.html?AWB={number}",
}


def tracking_url(carrier: str, tracking_number: str) -> str | None:
    """The carrier's tracking page for this number, or None when the carrier is unknown."""
    template = KNOWN_CARRIERS.get(carrier.strip().lower())
    number = tracking_number.strip()
    if template is None or not number:
        return None
    return template.format(number=quote(number, safe=""))
