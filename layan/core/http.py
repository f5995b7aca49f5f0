"""HTTP details shared by every download of customer-supplied bytes."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import content_disposition_header


def is_htmx(request: HttpRequest) -> bool:
    """Tell whether HTMX asked, so the view answers with a fragment instead of a page."""
    return request.headers.get("HX-Request") == "true"


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
