"""Building a release's manifest from the catalog.

selection → filters → per-class minimum and cap → splits → manifest:

1. The spec's sets, subtrees and wnids, less its exclusions, name the
   candidate classes (``resolve_selection``).
2. One query reads their candidates with the wanted statuses (``_reads``).
3. Synset filters (person, unsafe lists) remove classes.
4. Classes under ``min_images`` are dropped; classes over ``max_images`` keep
   a seeded choice (images with an official held-out split first).
5. ``splits.assign_splits`` splits every class, keeping near duplicates together
   and, with a parent release, every image the parent had in its split there
   (unless the spec says ``[splits] parent = "resplit"``).
6. Items get export names and boxes; classes are numbered in sorted wnid
   order (ImageFolder's and ILSVRC's index order) and the hierarchy they
   induce in the taxonomy is recorded.

Nothing here writes (``store.create_release`` stores what this returns), but
for the variant hashes of images that have none yet, computed from their
thumbnails when a blob store is given and kept in the catalog (derived data,
like a cache: see ``catalog.duplicates.image_variants``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, NamedTuple

from .._version import __version__
from ..catalog import BlobStore, Catalog
from ..catalog.duplicates import image_variants
from ..errors import SynsetdbError
from ..hierarchy import Taxonomy, named_set
from ..imaging.variants import VARIANTS_VERSION, packed_variants
from ._empty import empty_release_error
from ._reads import (
    Box,
    Candidate,
    catalog_state,
    crowd_votes,
    fetch_boxes,
    fetch_candidates,
    synset_ids_of,
)
from .filters import apply_synset_filters
from .manifest import Manifest, ReleaseClass, ReleaseItem
from .provenance import label_summary
from .spec import ReleaseSpec
from .splits import TRAIN, SplitEntry, assign_splits, split_key

__all__ = ["BuildResult", "build_manifest", "induced_hierarchy", "item_names", "resolve_selection"]

_IMAGE = attrgetter("image")
_MAX_STEM = 200


@dataclass(frozen=True)
class BuildResult:
    """A built manifest and what the build did.

    Attributes:
        manifest: the release's content.
        report: JSON values: candidates read, filters applied, classes dropped
            or capped, the split report (duplicate groups, moves, official
            across-split duplicates, items kept in the parent's split), how
            the labels were obtained (``provenance.label_summary``), blurred
            images (added by the store).
        sources: images per first-seen source (``unknown`` when not recorded).
        licences: images per licence (``unknown`` when not recorded).
    """

    manifest: Manifest
    report: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    licences: dict[str, int] = field(default_factory=dict)


def build_manifest(
    catalog: Catalog,
    taxonomy: Taxonomy,
    spec: ReleaseSpec,
    *,
    parent: Manifest | None = None,
    blobs: BlobStore | None = None,
) -> BuildResult:
    """Build a release's manifest (see the module docstring); writes nothing.

    Args:
        catalog: the catalog to read (it must hold ``taxonomy``).
        taxonomy: the project's taxonomy.
        spec: the release spec.
        parent: the parent release's manifest, if any: its hash is recorded
            and its images keep their splits (``SplitConfig.parent``).
        blobs: the project's blob store: images without stored variant hashes
            get them from their thumbnails (None: those link by pHash alone).

    Raises:
        ReleaseError: ``E_SPEC`` for a wnid or set the taxonomy does not hold,
            ``E_EMPTY_RELEASE`` when nothing is left to release (saying why).
    """
    selected, explicit = resolve_selection(spec, taxonomy)
    read = _read_catalog(catalog, selected, spec)
    by_class = read.by_class
    counts = {w: len(r) for w, r in by_class.items()}
    kept, outcomes = apply_synset_filters(selected, counts, spec.filters, taxonomy)
    classes, dropped = _at_least_min(kept, counts, explicit, spec)
    if not classes:
        removed = [o.to_dict() for o in outcomes]
        raise empty_release_error(catalog, spec, kept, read.ids, counts, removed)
    capped = _cap(by_class, classes, spec)
    variants = _variants(catalog, by_class, classes, blobs)
    entries = [
        SplitEntry(r.image, w, r.phash, r.split if r.split else None, variants.get(r.image))
        for w in classes
        for r in by_class[w]
    ]
    keep = parent is not None and spec.splits.parent == "keep"
    previous = parent_splits(parent) if keep and parent is not None else None
    if previous is not None:
        _check_parent_splits(spec, set(previous.values()))
    splits, split_report = assign_splits(entries, spec.splits, spec.seed, previous=previous)
    manifest = _manifest(taxonomy, spec, classes, read, splits, parent)
    report = {
        "candidates_read": len(read.rows),
        "classes_selected": len(selected),
        "filters": [o.to_dict() for o in outcomes],
        "dropped_below_min": dropped,
        "capped": capped,
        "splits": {
            **split_report.to_dict(),
            "parent": spec.splits.parent if parent is not None else None,
        },
        "labels": _labels(read, classes),
        "classes": len(manifest.classes),
        "items": len(manifest.items),
        "blurred": 0,
    }
    return BuildResult(manifest, report, *_provenance(by_class, classes))


class _Read(NamedTuple):
    """What a build reads from the catalog, in one transaction."""

    rows: list[Candidate]
    by_class: dict[str, list[Candidate]]  # each class's rows, sorted by image
    boxes: dict[tuple[str, int], list[Box]]  # (image, synset id) -> boxes
    ids: dict[str, int]  # wnid -> synset id
    state: dict[str, Any]  # the catalog state the manifest records
    votes: dict[tuple[str, int], int]  # (image, synset id) -> the crowd's votes, if it decided


def _read_catalog(catalog: Catalog, selected: Sequence[str], spec: ReleaseSpec) -> _Read:
    """The candidates and boxes of the selected synsets, and the catalog's state."""
    meta = {
        "taxonomy": catalog.taxonomy_name(),
        "taxonomy_fingerprint": catalog.taxonomy_fingerprint(),
    }
    sel = spec.selection
    with catalog.engine.connect() as conn:  # one read transaction: a consistent snapshot
        ids = synset_ids_of(conn, selected)
        wanted = {synset_id: wnid for wnid, synset_id in ids.items()}
        rows = fetch_candidates(conn, list(wanted), sel.statuses, sel.official_only)
        boxes = fetch_boxes(conn, list(wanted))
        votes = crowd_votes(conn, list(wanted))
        state = catalog_state(conn, meta)
    by_class: dict[str, list[Candidate]] = {}
    for row in rows:
        by_class.setdefault(wanted[row.synset_id], []).append(row)
    for class_rows in by_class.values():  # the database's order is no order: sort
        class_rows.sort(key=_IMAGE)
    return _Read(rows, by_class, boxes, ids, state, votes)


def _check_parent_splits(spec: ReleaseSpec, parents: set[str]) -> None:
    """Refuse to keep a parent's split this spec does not have (its images would land
    in a split the spec never asked for)."""
    missing = sorted(parents - {TRAIN, *(name for name, _ in spec.splits.held_out)})
    if missing:
        raise spec.error(
            "splits",
            f"the parent release has a {' and a '.join(missing)} split that this spec does "
            f"not declare, and a child keeps its parent's splits: declare it in [splits], "
            'or re-split (`release create --resplit`, or [splits] parent = "resplit")',
        )


def parent_splits(parent: Manifest) -> dict[str, str]:
    """Each image of the parent and its split there (a held-out split first, should it have two)."""
    found: dict[str, str] = {}
    for item in parent.items:
        split, before = item.split, found.get(item.image)
        if before is None or (split != TRAIN, split) > (before != TRAIN, before):
            found[item.image] = split
    return found


def _labels(read: _Read, classes: Sequence[str]) -> dict[str, Any]:
    """How the released items' labels were obtained (``provenance.label_summary``)."""
    votes = read.votes
    return label_summary(
        (r.status, r.decided_by, r.label_source, votes.get((r.image, r.synset_id), 0))
        for w in classes
        for r in read.by_class[w]
    )


def _variants(
    catalog: Catalog,
    by_class: Mapping[str, Sequence[Candidate]],
    classes: Sequence[str],
    blobs: BlobStore | None,
) -> dict[str, bytes]:
    """The packed variant hashes of the images to split (computed and kept where missing)."""
    images = {r.image for w in classes for r in by_class[w] if r.phash is not None}
    return image_variants(
        catalog, images, version=VARIANTS_VERSION, compute=packed_variants, blobs=blobs
    )


def _at_least_min(
    kept: Sequence[str], counts: Mapping[str, int], explicit: set[str], spec: ReleaseSpec
) -> tuple[list[str], dict[str, int]]:
    """The classes with ``min_images`` or more (sorted), and those dropped (named or not empty)."""
    least = spec.selection.min_images
    dropped = {
        w: counts.get(w, 0)
        for w in sorted(kept)
        if counts.get(w, 0) < least and (w in counts or w in explicit)
    }
    classes = sorted(w for w in kept if counts.get(w, 0) >= least)
    return classes, dropped


# ----------------------------------------------------------------------------- selection


def resolve_selection(spec: ReleaseSpec, taxonomy: Taxonomy) -> tuple[list[str], set[str]]:
    """The spec's classes before filters, in spec order, and those it named explicitly.

    Subtrees contribute every descendant (the build keeps those with images);
    sets and wnids are explicit, so an empty one is reported as dropped.

    Raises:
        ReleaseError: ``E_SPEC`` naming the key of a wnid or set the taxonomy lacks.
    """
    sel = spec.selection
    explicit = _named(spec, taxonomy, "selection", sel.sets, sel.wnids)
    chosen = dict.fromkeys(explicit)
    chosen.update(dict.fromkeys(_subtrees(spec, taxonomy, "selection.subtrees", sel.subtrees)))
    excluded = set(_named(spec, taxonomy, "selection.exclude", sel.exclude_sets, sel.exclude_wnids))
    excluded.update(_subtrees(spec, taxonomy, "selection.exclude.subtrees", sel.exclude_subtrees))
    return [w for w in chosen if w not in excluded], set(explicit) - excluded


def _named(
    spec: ReleaseSpec, taxonomy: Taxonomy, where: str, sets: Sequence[str], wnids: Sequence[str]
) -> list[str]:
    found: dict[str, None] = {}
    for i, name in enumerate(sets):
        try:
            members = named_set(name, taxonomy).wnids
        except SynsetdbError as exc:
            raise spec.error(f"{where}.sets[{i}]", f"set {name!r}: {exc}") from exc
        missing = [w for w in members if w not in taxonomy]
        if missing:
            raise spec.error(
                f"{where}.sets[{i}]",
                f"{len(missing)} synset(s) of set {name!r} are not in taxonomy "
                f"{taxonomy.name!r}, e.g. {missing[0]}",
            )
        found.update(dict.fromkeys(members))
    for i, wnid in enumerate(wnids):
        _check_wnid(spec, taxonomy, f"{where}.wnids[{i}]", wnid)
        found[wnid] = None
    return list(found)


def _subtrees(spec: ReleaseSpec, taxonomy: Taxonomy, key: str, roots: Sequence[str]) -> list[str]:
    found: dict[str, None] = {}
    for i, root in enumerate(roots):
        _check_wnid(spec, taxonomy, f"{key}[{i}]", root)
        found.update(dict.fromkeys(taxonomy.descendants(root, include_self=True)))
    return list(found)


def _check_wnid(spec: ReleaseSpec, taxonomy: Taxonomy, key: str, wnid: str) -> None:
    if wnid not in taxonomy:
        close = taxonomy.suggest(wnid, 3) if wnid else []
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise spec.error(key, f"{wnid!r} is not in taxonomy {taxonomy.name!r}{hint}")


# ----------------------------------------------------------------------------- caps


def _cap(
    by_class: dict[str, list[Candidate]], classes: Sequence[str], spec: ReleaseSpec
) -> dict[str, Any]:
    """Keep a seeded choice of ``max_images`` per class; returns what was removed."""
    limit = spec.selection.max_images
    removed: dict[str, int] = {}
    if limit is None:
        return {"classes": 0, "images_removed": 0, "by_class": removed}
    keep_official = spec.splits.official == "keep"
    for wnid in classes:
        rows = by_class[wnid]
        if len(rows) > limit:
            ranked = sorted(rows, key=lambda r: _cap_rank(r, wnid, spec.seed, keep_official))
            by_class[wnid] = sorted(ranked[:limit], key=_IMAGE)
            removed[wnid] = len(rows) - limit
    return {"classes": len(removed), "images_removed": sum(removed.values()), "by_class": removed}


def _cap_rank(row: Candidate, wnid: str, seed: int, keep_official: bool) -> tuple[bool, int]:
    """Images with an official held-out split first (when kept), then a seeded order."""
    held_out = keep_official and bool(row.split) and row.split != TRAIN
    return (not held_out, split_key(seed, "cap", row.image, wnid))


# ----------------------------------------------------------------------------- the manifest


def _manifest(
    taxonomy: Taxonomy,
    spec: ReleaseSpec,
    classes: Sequence[str],
    read: _Read,
    splits: Sequence[str],
    parent: Manifest | None,
) -> Manifest:
    flat = [(w, r) for w in classes for r in read.by_class[w]]
    boxes, ids = read.boxes, read.ids
    names = item_names([(w, r.image, r.file_name) for w, r in flat])
    items = [
        ReleaseItem(
            image=r.image,
            wnid=w,
            split=split,
            blob=r.blob_key,
            name=name,
            format=r.format,
            boxes=tuple(boxes.get((r.image, ids[w]), ())),
        )
        for (w, r), split, name in zip(flat, splits, names, strict=True)
    ]
    return Manifest(  # sorts the items: (split, wnid, name)
        classes=tuple(ReleaseClass(i, w, taxonomy.get(w).name) for i, w in enumerate(classes)),
        hierarchy=induced_hierarchy(taxonomy, classes),
        items=tuple(items),
        spec=spec.to_dict(),
        parent=parent.sha256 if parent is not None else None,
        catalog_state=dict(read.state),
        synsetdb_version=__version__,
    )


def induced_hierarchy(taxonomy: Taxonomy, wnids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each class and every ancestor of it, mapped to its parents (sorted; roots to ``()``).

    Walks up through ``parents`` only, so it costs the size of the answer, not
    of the taxonomy (``Taxonomy.ancestors`` first builds a whole-DAG closure).
    """
    found: dict[str, tuple[str, ...]] = {}
    todo = list(wnids)
    while todo:
        wnid = todo.pop()
        if wnid not in found:
            found[wnid] = tuple(sorted(taxonomy.parents(wnid)))
            todo.extend(found[wnid])
    return dict(sorted(found.items()))


def item_names(items: Sequence[tuple[str, str, str | None]]) -> list[str]:
    """An export name for each ``(wnid, image, file_name)``, unique among them.

    The original file name's stem where known (``n01440764_10026``), else
    ``<wnid>_<first 12 hex of the image sha256>``; a stem taken already gets
    the image's hex (then the wnid) appended. Assigned in (wnid, stem, image)
    order, so the result does not depend on the input order.
    """
    stems = [_stem(file_name) or f"{wnid}_{image[:12]}" for wnid, image, file_name in items]
    order = sorted(range(len(items)), key=lambda i: (items[i][0], stems[i], items[i][1]))
    taken: set[str] = set()
    names = [""] * len(items)
    for i in order:
        wnid, image, _ = items[i]
        base = stems[i]
        for name in (base, f"{base}_{image[:12]}", f"{base}_{wnid}_{image[:12]}"):
            if name not in taken:
                break
        else:
            n = 2
            while (name := f"{base}_{wnid}_{image[:12]}_{n}") in taken:
                n += 1
        taken.add(name)
        names[i] = name
    return names


def _stem(file_name: str | None) -> str | None:
    """A file name's stem (``a/b/n0144_1.JPEG`` -> ``n0144_1``), or None when unusable."""
    if not file_name:
        return None
    base = file_name.rpartition("/")[2].rpartition("\\")[2]
    # no leading dot: exporters' folders would hide the file (".hidden" -> "hidden")
    stem = (base.rpartition(".")[0] or base).strip().lstrip(".")
    if not stem or len(stem) > _MAX_STEM or not stem.isprintable():
        return None
    return stem


def _provenance(
    by_class: Mapping[str, Sequence[Candidate]], classes: Sequence[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Images per source and per licence (each image once)."""
    seen: dict[str, Candidate] = {}
    for wnid in classes:
        for row in by_class[wnid]:
            seen.setdefault(row.image, row)
    sources = Counter(r.source or "unknown" for r in seen.values())
    licences = Counter(r.licence or "unknown" for r in seen.values())
    return dict(sorted(sources.items())), dict(sorted(licences.items()))
