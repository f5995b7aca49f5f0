"""HTTP details the apps share: how a download of customer-supplied bytes is answered, and
addresses made for many rows at once."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import content_disposition_header

# A number no address holds: where it lands in a reversed address, any other number goes.
_STAND_IN = 918_273_645_546_372_819


def is_htmx(request: HttpRequest) -> bool:
    """Tell whether HTMX asked, so the view answers with a fragment instead of a page."""
    return request.headers.get("HX-Request") == "true"


def url_by_number(viewname: str) -> Callable[[int], str]:
    """The address of `viewname` for any one number (a ticket's reference, an order's), from a
    single `reverse`: for lists that link every row, where reversing each costs more than the
    rest of the row. Made per request (the script prefix may differ between requests)."""
    stand_in = str(_STAND_IN)
    before, found, after = reverse(viewname, args=[_STAND_IN]).partition(stand_in)
    if not found or stand_in in after:
        raise ValueError(f"{viewname} does not take one number")
    return lambda number: f"{before}{int(number)}{after}"


def attachment_response_headers(filename: str, size: int) -> dict[str, str]:
    """Return headers that make a browser save, never render, customer-supplied bytes.

    A generic content type plus `nosniff` and a sandboxing CSP mean that an HTML or SVG
    attachment cannot run in our origin even if a browser is talked into displaying it.
    """
    return {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": content_disposition_header(True, filename) or "attachment",
        "Content-Length": str(size),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }


_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(head: bytes) -> str | None:
    """Return the content type of a raster image by its first bytes, or None.

    Only formats that cannot carry script are recognised (no SVG), whatever the sender
    declared: the bytes decide.
    """
    for magic, content_type in _IMAGE_MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
