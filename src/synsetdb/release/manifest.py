"""A release's manifest: what exactly a model trained on it saw, content-addressed.

The manifest holds the class list in index order, the hierarchy those classes
induce in the taxonomy, every item (image, class, split, the blob to read), the
resolved spec it was built from, its parent release and the catalog state. It
holds no name and no time: building the same spec on the same catalog twice
gives the same bytes, hence the same sha256, which is the release's identity.
A name is only a label the catalog gives to a manifest hash.

The canonical bytes are JSON with sorted keys and no spaces; ``sha256`` is
taken over them. Reading checks the structure and refuses anything else with
``E_MANIFEST``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Any

from ..errors import ReleaseError
from ..hierarchy import Synset, Taxonomy

__all__ = ["MANIFEST_FORMAT", "Manifest", "ReleaseClass", "ReleaseItem"]

MANIFEST_FORMAT = "synsetdb-release/1"

Box = tuple[float, float, float, float]
_ITEM_ORDER = attrgetter("split", "wnid", "name")


@dataclass(frozen=True, slots=True)
class ReleaseClass:
    """One class of a release.

    Attributes:
        index: its label index (0-based, the order of ``Manifest.classes``).
        wnid: its synset id (``n02084071``).
        name: a readable name (the synset's first lemma).
    """

    index: int
    wnid: str
    name: str


@dataclass(frozen=True, slots=True)
class ReleaseItem:
    """One image of a release, under one class, in one split.

    Attributes:
        image: the catalog's image id (sha256 of the original bytes).
        wnid: its class.
        split: ``train``, ``val``, ``test`` or a spec-defined split name.
        blob: the blob key of the bytes consumers get: ``image`` itself, or
            the face-blurred copy's key when ``blurred``.
        name: a file stem for exports, unique in the release (the original
            file name's stem where known, e.g. ``n01440764_10026``).
        format: the blob's image format as Pillow names it (``JPEG``, ``PNG``).
        blurred: whether faces were blurred in ``blob``.
        boxes: bounding boxes of ``wnid`` in the image, pixels (x0, y0, x1, y1).
    """

    image: str
    wnid: str
    split: str
    blob: str
    name: str
    format: str = "JPEG"
    blurred: bool = False
    boxes: tuple[Box, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """A release's content (see the module docstring).

    Attributes:
        classes: in label-index order.
        hierarchy: every class and each of its ancestors, mapped to its parents
            (the sub-DAG of the taxonomy the classes induce; roots map to ``()``);
            kept sorted by wnid, each node's parents sorted.
        items: kept sorted by (split, wnid, name), whatever order they are given in.
        spec: the resolved spec the release was built from (JSON values).
        parent: the parent release's manifest sha256, if any.
        catalog_state: what the catalog looked like (taxonomy fingerprint, …).
        synsetdb_version: the version that built it.
    """

    classes: tuple[ReleaseClass, ...]
    hierarchy: Mapping[str, tuple[str, ...]]
    items: tuple[ReleaseItem, ...]
    spec: Mapping[str, Any] = field(default_factory=dict)
    parent: str | None = None
    catalog_state: Mapping[str, Any] = field(default_factory=dict)
    synsetdb_version: str = ""

    def __post_init__(self) -> None:
        # The canonical order, whatever order the caller gave: the same content,
        # the same bytes, the same sha256.
        object.__setattr__(self, "items", tuple(sorted(self.items, key=_ITEM_ORDER)))
        object.__setattr__(
            self, "hierarchy", {w: tuple(sorted(set(p))) for w, p in sorted(self.hierarchy.items())}
        )
        _validate(self)

    # ------------------------------------------------------------------ lookups

    @cached_property
    def class_to_idx(self) -> dict[str, int]:
        """wnid -> label index."""
        return {c.wnid: c.index for c in self.classes}

    @property
    def wnids(self) -> list[str]:
        """Class wnids in index order."""
        return [c.wnid for c in self.classes]

    def taxonomy(self) -> Taxonomy:
        """The induced hierarchy as a :class:`~synsetdb.hierarchy.Taxonomy`.

        Depth, height (within the induced hierarchy: classes are its leaves
        unless one is another's ancestor), paths and lowest common ancestors
        for loaders' hierarchical targets and hierarchical evaluation. Class
        nodes carry their names; ancestors carry their wnid only.
        """
        names = {c.wnid: c.name for c in self.classes}
        return Taxonomy.from_synsets(
            (
                Synset(wnid, (names[wnid].replace(" ", "_"),) if wnid in names else (), "", parents)
                for wnid, parents in sorted(self.hierarchy.items())
            ),
            name=f"release {self.sha256[:12]}",
        )

    @cached_property
    def splits(self) -> tuple[str, ...]:
        """The split names present, sorted."""
        return tuple(sorted({item.split for item in self.items}))

    def items_in(self, split: str) -> list[ReleaseItem]:
        """The items of one split, in manifest order.

        Raises:
            ReleaseError: ``E_NO_SPLIT`` when the release has no such split.
        """
        if split not in self.splits:
            raise ReleaseError(
                f"the release has no split {split!r} (it has {', '.join(self.splits) or 'none'})",
                code="E_NO_SPLIT",
            )
        return [item for item in self.items if item.split == split]

    # ------------------------------------------------------------------ bytes

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "classes": [[c.index, c.wnid, c.name] for c in self.classes],
            "hierarchy": {wnid: list(parents) for wnid, parents in self.hierarchy.items()},
            "items": [_item_to_list(item) for item in self.items],
            "spec": dict(self.spec),
            "parent": self.parent,
            "catalog_state": dict(self.catalog_state),
            "synsetdb_version": self.synsetdb_version,
        }

    def to_bytes(self) -> bytes:
        """The canonical bytes: sorted keys, no whitespace, UTF-8."""
        return json.dumps(
            self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    @cached_property
    def sha256(self) -> str:
        """The release's identity: sha256 of the canonical bytes, hex."""
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        """Read canonical (or any equivalent) JSON bytes back.

        Raises:
            ReleaseError: ``E_MANIFEST`` for anything that is not a valid manifest.
        """
        try:
            raw = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ReleaseError(f"a manifest must be JSON: {e}", code="E_MANIFEST") from e
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: Any) -> Manifest:
        """Build from the structure ``to_dict`` gives (see ``from_bytes``)."""
        if not isinstance(raw, dict) or raw.get("format") != MANIFEST_FORMAT:
            raise ReleaseError(f"not a {MANIFEST_FORMAT} manifest", code="E_MANIFEST")
        try:
            return cls(
                classes=tuple(ReleaseClass(int(i), str(w), str(n)) for i, w, n in raw["classes"]),
                hierarchy={str(w): tuple(map(str, p)) for w, p in raw["hierarchy"].items()},
                items=tuple(_item_from_list(row) for row in raw["items"]),
                spec=dict(raw["spec"]),
                parent=raw["parent"],
                catalog_state=dict(raw["catalog_state"]),
                synsetdb_version=str(raw["synsetdb_version"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ReleaseError(f"a malformed manifest: {e!r}", code="E_MANIFEST") from e


# Items are stored as short lists rather than objects: a million-image release's
# manifest stays a few hundred MB smaller.
_ITEM_FIELDS = ("image", "wnid", "split", "blob", "name", "format", "blurred", "boxes")


def _item_to_list(item: ReleaseItem) -> list[Any]:
    return [
        item.image,
        item.wnid,
        item.split,
        item.blob,
        item.name,
        item.format,
        item.blurred,
        [list(box) for box in item.boxes],
    ]


def _item_from_list(row: Sequence[Any]) -> ReleaseItem:
    if len(row) != len(_ITEM_FIELDS):
        raise ValueError(f"an item needs {len(_ITEM_FIELDS)} fields {_ITEM_FIELDS}, got {row!r}")
    image, wnid, split, blob, name, fmt, blurred, boxes = row
    if not isinstance(blurred, bool):
        raise ValueError(f"blurred must be true or false, got {blurred!r}")
    return ReleaseItem(
        image=str(image),
        wnid=str(wnid),
        split=str(split),
        blob=str(blob),
        name=str(name),
        format=str(fmt),
        blurred=blurred,
        boxes=tuple(_box(b) for b in boxes),
    )


def _box(raw: Sequence[Any]) -> Box:
    x0, y0, x1, y1 = (float(v) for v in raw)
    return (x0, y0, x1, y1)


def _validate(manifest: Manifest) -> None:
    """Check the invariants every reader relies on.

    Classes are indexed 0..n-1 with unique wnids; the hierarchy holds every
    class and every parent it names, and has no cycle; items have known
    classes and unique names.
    """
    wnids = [c.wnid for c in manifest.classes]
    if [c.index for c in manifest.classes] != list(range(len(wnids))):
        raise ReleaseError("class indices must run 0, 1, 2, … in order", code="E_MANIFEST")
    if len(set(wnids)) != len(wnids):
        raise ReleaseError("a class is listed twice", code="E_MANIFEST")
    missing = set(wnids) - set(manifest.hierarchy)
    if missing:
        raise ReleaseError(
            f"{len(missing)} class(es) missing from the hierarchy, e.g. {min(missing)}",
            code="E_MANIFEST",
        )
    dangling = {p for parents in manifest.hierarchy.values() for p in parents} - set(
        manifest.hierarchy
    )
    if dangling:
        raise ReleaseError(
            f"{len(dangling)} parent(s) missing from the hierarchy, e.g. {min(dangling)}",
            code="E_MANIFEST",
        )
    _check_acyclic(manifest.hierarchy)
    known = set(wnids)
    names: set[str] = set()
    for item in manifest.items:
        if item.wnid not in known:
            raise ReleaseError(
                f"item {item.name!r} has unknown class {item.wnid}", code="E_MANIFEST"
            )
        if item.name in names:
            raise ReleaseError(f"two items are named {item.name!r}", code="E_MANIFEST")
        names.add(item.name)


def _check_acyclic(hierarchy: Mapping[str, tuple[str, ...]]) -> None:
    """Refuse a cycle of parents (depths, paths and heights all assume none)."""
    done: set[str] = set()
    for start in hierarchy:
        path: list[str] = []
        on_path: set[str] = set()
        stack = [(start, iter(hierarchy[start]))]
        while stack:
            node, parents = stack[-1]
            if node not in on_path:
                path.append(node)
                on_path.add(node)
            parent = next((p for p in parents if p not in done), None)
            if parent is None:
                stack.pop()
                on_path.discard(path.pop())
                done.add(node)
            elif parent in on_path:
                cycle = path[path.index(parent) :]
                raise ReleaseError(
                    f"the hierarchy has a cycle: {' -> '.join([*cycle, parent])}",
                    code="E_MANIFEST",
                )
            else:
                stack.append((parent, iter(hierarchy[parent])))
