"""File names from manifest strings, which may hold anything.

A manifest allows any string as an item's name, a class's wnid or a split's
name, and each becomes part of a path under the output folder. Rather than
sanitise (two names could then meet in one file), a string that is not a
plain, portable file-name component is refused with ``E_EXPORT_NAME`` before
anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import FormatError
from ..release import Manifest, ReleaseItem

__all__ = ["MAX_NAME_BYTES", "check_component", "check_manifest_names", "sample_key"]

MAX_NAME_BYTES = 200  # file systems allow 255; room for ".JPEG", ".part" and a leading dot
_FORBIDDEN = frozenset("/\\\0") | {chr(c) for c in range(32)} | {"\x7f"}


def check_component(text: str, what: str) -> str:
    """Return ``text`` if it can be one path component under the output folder.

    Refused: empty, ``.``/``..`` or any name starting with a dot (hidden; the
    export's own temporary files start with one), path separators (``/``,
    ``\\``), NUL and other control characters, and names over 200 UTF-8 bytes.

    Raises:
        FormatError: ``E_EXPORT_NAME``, naming ``what`` and the string.
    """
    bad = next((c for c in text if c in _FORBIDDEN), None)
    if not text or text.startswith(".") or bad is not None:
        reason = f"contains {bad!r}" if bad is not None else "is empty or starts with '.'"
        raise FormatError(f"{what} {text!r} cannot be a file name ({reason})", code="E_EXPORT_NAME")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise FormatError(
            f"{what} {text[:40]!r}… is longer than {MAX_NAME_BYTES} bytes", code="E_EXPORT_NAME"
        )
    return text


def check_manifest_names(manifest: Manifest, items: Iterable[ReleaseItem]) -> None:
    """Check every class wnid, split and item name an export will turn into paths."""
    for cls in manifest.classes:
        check_component(cls.wnid, "class")
    splits: set[str] = set()
    for item in items:
        if item.split not in splits:
            splits.add(check_component(item.split, "split"))
        check_component(item.name, "item name")


def sample_key(item: ReleaseItem) -> str:
    """A WebDataset key: the item's name with every ``.`` replaced by ``_``.

    (WebDataset takes everything after a member's first dot as its extension.)
    """
    return item.name.replace(".", "_")
