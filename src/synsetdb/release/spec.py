"""A release's spec: which synsets, which candidates, how to split and filter (a TOML file).

Example (``docs/release.md`` explains every key)::

    seed = 2012

    [selection]
    sets = ["ilsvrc2012"]
    min_images = 10
    max_images = 1300

    [splits]
    val = 50

    [filters]
    person = true

Every value is checked when the file is read; a problem is a
``ReleaseError(code="E_SPEC")`` naming the file and the key. Wnids are checked
against the project's taxonomy when the release is built (same code).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..catalog.schema import CANDIDATE_STATUSES
from ..errors import ReleaseError
from ..hierarchy import named_sets

__all__ = [
    "FilterSpec",
    "ReleaseSpec",
    "SelectionSpec",
    "SplitConfig",
    "load_spec",
    "parse_spec",
]

Official = Literal["keep", "ignore"]
ParentSplits = Literal["keep", "resplit"]

DEFAULT_RADIUS = 6  # synsetdb.ingest.dups.DEFAULT_RADIUS, without importing numpy here
MAX_RADIUS = 20
_SPLIT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")
_RESERVED_SPLIT_KEYS = ("official", "near_duplicate_radius", "parent")
_LIVE = ("candidate", "accepted", "undecided")


@dataclass(frozen=True, slots=True)
class SelectionSpec:
    """Which synsets become classes and which of their candidates become items.

    Attributes:
        sets: named synset sets (``synsetdb.hierarchy.named_sets()``).
        subtrees: roots whose every descendant with images becomes a class.
        wnids: explicit classes.
        exclude_sets, exclude_subtrees, exclude_wnids: taken out again.
        statuses: candidate statuses that count (``accepted`` by default).
        official_only: only candidates that came with an official split
            (``labels = "official"``: an ILSVRC ingest's labels).
        min_images: classes with fewer images are dropped (and reported).
        max_images: a per-class cap, chosen by the seed; None for no cap.
    """

    sets: tuple[str, ...] = ()
    subtrees: tuple[str, ...] = ()
    wnids: tuple[str, ...] = ()
    exclude_sets: tuple[str, ...] = ()
    exclude_subtrees: tuple[str, ...] = ()
    exclude_wnids: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("accepted",)
    official_only: bool = False
    min_images: int = 1
    max_images: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sets": list(self.sets),
            "subtrees": list(self.subtrees),
            "wnids": list(self.wnids),
            "exclude": {
                "sets": list(self.exclude_sets),
                "subtrees": list(self.exclude_subtrees),
                "wnids": list(self.exclude_wnids),
            },
            "statuses": list(self.statuses),
            "official_only": self.official_only,
            "min_images": self.min_images,
            "max_images": self.max_images,
        }


@dataclass(frozen=True, slots=True)
class SplitConfig:
    """How items are split, per class.

    Attributes:
        held_out: ``(split, size)`` pairs in name order; an ``int`` size is a
            count per class (ILSVRC's ``val = 50``), a ``float`` a fraction of
            the class. ``train`` takes what remains.
        official: ``keep`` an image's official split (``candidate.split``) or
            ``ignore`` it.
        radius: the pHash Hamming radius within which images are near
            duplicates; a group of them never straddles two splits.
        parent: with a parent release, ``keep`` every image the parent had in
            the split it had there (new images are split fresh), or
            ``resplit`` everything as if there were no parent.
    """

    held_out: tuple[tuple[str, int | float], ...] = ()
    official: Official = "keep"
    radius: int = DEFAULT_RADIUS
    parent: ParentSplits = "keep"

    def to_dict(self) -> dict[str, Any]:
        return {
            "held_out": dict(self.held_out),
            "official": self.official,
            "near_duplicate_radius": self.radius,
            "parent": self.parent,
        }


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """Synset sets taken out of a release, and face obfuscation.

    Attributes:
        person: drop the person subtree (``synsetdb.hierarchy.PERSON_ROOT``).
        unsafe: wnids of reviewed unsafe synsets (read from the spec's
            ``unsafe`` files); they and everything under them are dropped.
        blur_faces: store a face-blurred copy of every image with a face and
            give consumers that copy.
    """

    person: bool = False
    unsafe: tuple[str, ...] = ()
    blur_faces: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"person": self.person, "unsafe": list(self.unsafe), "blur_faces": self.blur_faces}


@dataclass(frozen=True, slots=True)
class ReleaseSpec:
    """A whole spec (see the module docstring).

    Attributes:
        selection, splits, filters: the three sections.
        seed: every random choice (caps, splits) derives from it.
        parent: the name of the release this one follows, if any.
        description: free text for the datasheet.
        source: the file the spec was read from (messages only; never stored).
    """

    selection: SelectionSpec = field(default_factory=SelectionSpec)
    splits: SplitConfig = field(default_factory=SplitConfig)
    filters: FilterSpec = field(default_factory=FilterSpec)
    seed: int = 0
    parent: str | None = None
    description: str = ""
    source: str = "<spec>"

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec as JSON values, as the manifest stores it (no paths, no names)."""
        return {
            "seed": self.seed,
            "description": self.description,
            "selection": self.selection.to_dict(),
            "splits": self.splits.to_dict(),
            "filters": self.filters.to_dict(),
        }

    def error(self, key: str, message: str) -> ReleaseError:
        """An ``E_SPEC`` error about one key of this spec."""
        return spec_error(self.source, key, message)


def spec_error(source: str, key: str, message: str) -> ReleaseError:
    """``E_SPEC``, naming the spec file and the dotted key (``splits.val``)."""
    return ReleaseError(f"{source}: {key}: {message}", code="E_SPEC")


# ----------------------------------------------------------------------------- reading


def load_spec(path: str | Path) -> ReleaseSpec:
    """Read a spec file (TOML); ``unsafe`` lists are read relative to it.

    Raises:
        ReleaseError: ``E_SPEC`` for a file that cannot be read, is not TOML,
            or holds an unknown key or a bad value (the message names both).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReleaseError(f"cannot read spec {path}: {exc}", code="E_SPEC") from exc
    return parse_spec(text, source=str(path), base_dir=path.parent)


def parse_spec(text: str, *, source: str = "<spec>", base_dir: Path | None = None) -> ReleaseSpec:
    """Parse spec text (see ``load_spec``); ``base_dir`` resolves relative ``unsafe`` files."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ReleaseError(f"{source}: not valid TOML: {exc}", code="E_SPEC") from exc
    return _Reader(source, base_dir or Path.cwd()).spec(raw)


class _Reader:
    """Checks each value, naming the file and the dotted key in every error."""

    def __init__(self, source: str, base_dir: Path) -> None:
        self.source = source
        self.base_dir = base_dir

    def fail(self, key: str, message: str) -> ReleaseError:
        return spec_error(self.source, key, message)

    def spec(self, raw: Mapping[str, Any]) -> ReleaseSpec:
        self.known(raw, "", ("seed", "parent", "description", "selection", "splits", "filters"))
        parent = raw.get("parent")
        if parent is not None and (not isinstance(parent, str) or not parent):
            raise self.fail("parent", "must be the name of an existing release")
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise self.fail("description", "must be a string")
        splits = self.splits(self.table(raw, "splits"))
        if splits.parent == "resplit" and parent is None:
            raise self.fail("splits.parent", '"resplit" needs a parent release (parent = "NAME")')
        return ReleaseSpec(
            selection=self.selection(self.table(raw, "selection")),
            splits=splits,
            filters=self.filters(self.table(raw, "filters")),
            seed=self.integer(raw, "seed", "seed", 0, minimum=0),
            parent=parent,
            description=description,
            source=self.source,
        )

    # -------------------------------------------------------------- sections

    def selection(self, raw: Mapping[str, Any]) -> SelectionSpec:
        keys = ("sets", "subtrees", "wnids", "exclude", "labels", "min_images", "max_images")
        self.known(raw, "selection", keys)
        exclude = self.table(raw, "exclude", "selection.exclude")
        self.known(exclude, "selection.exclude", ("sets", "subtrees", "wnids"))
        sets = self.sets(raw, "selection.sets")
        subtrees = self.wnid_list(raw, "subtrees", "selection.subtrees")
        wnids = self.wnid_list(raw, "wnids", "selection.wnids")
        if not (sets or subtrees or wnids):
            raise self.fail("selection", "select classes with sets, subtrees or wnids")
        statuses, official = self.labels(raw.get("labels", "accepted"))
        min_images = self.integer(raw, "min_images", "selection.min_images", 1, minimum=1)
        max_images = raw.get("max_images")
        if max_images is not None:
            max_images = self.integer(raw, "max_images", "selection.max_images", 0, minimum=1)
            if max_images < min_images:
                raise self.fail("selection.max_images", f"is below min_images ({min_images})")
        return SelectionSpec(
            sets=sets,
            subtrees=subtrees,
            wnids=wnids,
            exclude_sets=self.sets(exclude, "selection.exclude.sets"),
            exclude_subtrees=self.wnid_list(exclude, "subtrees", "selection.exclude.subtrees"),
            exclude_wnids=self.wnid_list(exclude, "wnids", "selection.exclude.wnids"),
            statuses=statuses,
            official_only=official,
            min_images=min_images,
            max_images=max_images,
        )

    def labels(self, value: Any) -> tuple[tuple[str, ...], bool]:
        if value == "accepted":
            return ("accepted",), False
        if value == "official":
            return _LIVE, True
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            bad = [v for v in value if v not in CANDIDATE_STATUSES]
            if bad:
                raise self.fail(
                    "selection.labels",
                    f"unknown status {bad[0]!r} (statuses: {', '.join(CANDIDATE_STATUSES)})",
                )
            return tuple(sorted(set(value))), False
        raise self.fail(
            "selection.labels",
            f'must be "accepted", "official" or a list of statuses, got {value!r}',
        )

    def splits(self, raw: Mapping[str, Any]) -> SplitConfig:
        official = raw.get("official", "keep")
        if official not in ("keep", "ignore"):
            raise self.fail("splits.official", f'must be "keep" or "ignore", got {official!r}')
        radius = self.integer(
            raw, "near_duplicate_radius", "splits.near_duplicate_radius", DEFAULT_RADIUS, minimum=0
        )
        if radius > MAX_RADIUS:
            raise self.fail("splits.near_duplicate_radius", f"must be at most {MAX_RADIUS}")
        parent = raw.get("parent", "keep")
        if parent not in ("keep", "resplit"):
            raise self.fail("splits.parent", f'must be "keep" or "resplit", got {parent!r}')
        held_out = []
        for name in sorted(k for k in raw if k not in _RESERVED_SPLIT_KEYS):
            held_out.append((name, self.split_size(name, raw[name])))
        fractions = sum(size for _, size in held_out if isinstance(size, float))
        if fractions >= 1:
            raise self.fail("splits", f"fractions add up to {fractions:g}; train would get nothing")
        return SplitConfig(tuple(held_out), official, radius, parent)

    def split_size(self, name: str, value: Any) -> int | float:
        key = f"splits.{name}"
        if name == "train":
            raise self.fail(key, "train takes what the other splits leave; do not size it")
        if not _SPLIT_NAME.match(name):
            raise self.fail(
                key, "a split name is 1-16 of a-z, 0-9, _ and -, starting with a letter"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"must be a count per class or a fraction, got {value!r}")
        if isinstance(value, int):
            if value < 0:
                raise self.fail(key, "a count cannot be negative")
            return value
        if not (math.isfinite(value) and 0 < value < 1):
            raise self.fail(key, f"a fraction must lie between 0 and 1, got {value!r}")
        return value

    def filters(self, raw: Mapping[str, Any]) -> FilterSpec:
        from .filters import load_synset_list

        self.known(raw, "filters", ("person", "unsafe", "blur_faces"))
        files = raw.get("unsafe", [])
        if isinstance(files, str):
            files = [files]
        if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
            raise self.fail("filters.unsafe", "must be a file name or a list of them")
        unsafe: set[str] = set()
        for name in files:
            unsafe.update(load_synset_list(self.base_dir / name))
        return FilterSpec(
            person=self.boolean(raw, "person", "filters.person"),
            unsafe=tuple(sorted(unsafe)),
            blur_faces=self.boolean(raw, "blur_faces", "filters.blur_faces"),
        )

    # -------------------------------------------------------------- values

    def known(self, raw: Mapping[str, Any], where: str, keys: tuple[str, ...]) -> None:
        for key in raw:
            if key not in keys:
                at = f"{where}.{key}" if where else key
                raise self.fail(at, f"unknown key (known here: {', '.join(keys)})")

    def table(self, raw: Mapping[str, Any], key: str, dotted: str | None = None) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(dotted or key, "must be a table")
        return value

    def integer(
        self, raw: Mapping[str, Any], key: str, dotted: str, default: int, *, minimum: int
    ) -> int:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(dotted, f"must be an integer, got {value!r}")
        if value < minimum:
            raise self.fail(dotted, f"must be at least {minimum}, got {value}")
        if value >= 2**63:
            raise self.fail(dotted, "is too large")
        return value

    def boolean(self, raw: Mapping[str, Any], key: str, dotted: str) -> bool:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(dotted, f"must be true or false, got {value!r}")
        return value

    def strings(self, raw: Mapping[str, Any], key: str, dotted: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(dotted, "must be a list of strings")
        return tuple(dict.fromkeys(value))

    def wnid_list(self, raw: Mapping[str, Any], key: str, dotted: str) -> tuple[str, ...]:
        values = self.strings(raw, key, dotted)
        for i, wnid in enumerate(values):
            if not wnid.isascii() or not wnid.isalnum():
                raise self.fail(f"{dotted}[{i}]", f"{wnid!r} is not a synset id")
        return values

    def sets(self, raw: Mapping[str, Any], dotted: str) -> tuple[str, ...]:
        values = self.strings(raw, "sets", dotted)
        known = named_sets()
        for i, name in enumerate(values):
            if name not in known:
                raise self.fail(
                    f"{dotted}[{i}]", f"unknown synset set {name!r} (known: {', '.join(known)})"
                )
        return values
