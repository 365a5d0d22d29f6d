"""Image bytes: thumbnails, originals and renditions, by content hash with strong ETags.

A blob's key is the sha256 of its bytes, so its ETag never changes meaning
and a browser may keep it for a year. Anyone who may browse gets every image;
a worker who may not gets only the thumbnails of images in its own tasks
(404 for the rest, so a worker cannot probe which images exist).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..catalog.browse import ImageFiles, image_files
from ..errors import CatalogError, NotFoundError
from ..verify.task_reads import worker_was_shown
from .access import NOT_GRANTED, may_browse
from .auth import current_visitor
from .state import PageError, web_state

__all__ = ["BROWSER_FORMATS", "etag_matches", "is_image_id", "router"]

router = APIRouter()

_IMAGE_ID = re.compile(r"[0-9a-f]{64}")
_KIND = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_YEAR = 365 * 24 * 3600
# Formats browsers show inline, and their media types; any other is sent as a download.
BROWSER_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "ICO": "image/x-icon",
    "AVIF": "image/avif",
}


_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def is_image_id(text: str) -> bool:
    """Whether ``text`` has the form of an image id (sha256, lower-case hex)."""
    return bool(_IMAGE_ID.fullmatch(text))  # not match(): "$" allows a trailing newline


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag``: a list, weak tags and ``*`` included."""
    if not header:
        return False
    tags = (tag.strip() for tag in header.split(","))
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)


@router.get("/thumb/{image_id}")
def thumbnail(request: Request, image_id: str) -> Response:
    """An image's JPEG thumbnail."""
    files = _files(request, image_id, thumbnails_only=True)
    if files.thumbnail_key is None:
        raise PageError(404, "This image has no thumbnail.", code="E_NOT_FOUND")
    return _blob(request, files.thumbnail_key, "image/jpeg")


@router.get("/original/{image_id}")
def original(request: Request, image_id: str) -> Response:
    """An image's original bytes, as stored (its format's media type)."""
    files = _files(request, image_id)
    return _blob(request, files.blob_key, BROWSER_FORMATS.get(files.format))


@router.get("/rendition/{image_id}/{kind}")
def rendition(request: Request, image_id: str, kind: str) -> Response:
    """A stored rendition of an image (``resized-256``, ``faces-blurred``)."""
    files = _files(request, image_id)
    key = files.renditions.get(kind) if _KIND.fullmatch(kind) else None
    if key is None:
        raise PageError(404, "This image has no such rendition.", code="E_NOT_FOUND")
    return _blob(request, key, None)


def _files(request: Request, image_id: str, *, thumbnails_only: bool = False) -> ImageFiles:
    """The image's blobs, once the visitor may see them (404 for what it may not)."""
    visitor = current_visitor(request)
    allowed = may_browse(request, visitor)
    if not allowed and visitor is None:
        raise PageError(401, "Sign in to see images.", code="E_SIGN_IN")
    if not is_image_id(image_id):  # before any lookup: the id reaches no query or path
        raise PageError(404, "No such image.", code="E_NOT_FOUND")
    state = web_state(request)
    if not allowed:
        assert visitor is not None
        if not thumbnails_only:
            raise PageError(403, NOT_GRANTED, code="E_FORBIDDEN")
        if not worker_was_shown(state.catalog, visitor.worker.id, image_id):
            raise PageError(404, "No such image.", code="E_NOT_FOUND")
    files = image_files(state.catalog, image_id)
    if files is None:
        raise PageError(404, "No such image.", code="E_NOT_FOUND")
    return files


def _blob(request: Request, key: str, media_type: str | None) -> Response:
    """The blob's bytes with a strong ETag (its key) and a year's cache; 304 when unchanged.

    ``media_type`` None: told by the bytes' signature; what is not an image a
    browser shows is sent as a download, never rendered inline.
    """
    state = web_state(request)
    scope = "public" if state.config.anonymous_browse else "private"
    headers = {"Cache-Control": f"{scope}, max-age={_YEAR}, immutable", "ETag": f'"{key}"'}
    if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    try:
        data = state.blobs.get(key)
    except (NotFoundError, CatalogError):  # missing from the store, or a malformed key
        raise PageError(404, "This image's file is missing.", code="E_NOT_FOUND") from None
    media_type = media_type or _sniff(data)
    if media_type is None:
        headers["Content-Disposition"] = "attachment"
    return Response(data, media_type=media_type or "application/octet-stream", headers=headers)


def _sniff(data: bytes) -> str | None:
    """The media type of an image browsers show, from its first bytes (None for others)."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
