"""The datasheet of a release: a dataset card in Markdown and HTML, with two plots.

It follows Gebru et al., "Datasheets for Datasets" (CACM 2021), and Hugging
Face's dataset cards: motivation, composition, collection, preprocessing,
uses, distribution and maintenance, each filled with what the release knows,
and saying plainly what it does not. Written beside the manifest for every
release (``DIR/releases/<name>/``)::

    datasheet.md                  the card (what write_datasheet returns)
    datasheet.html                the same card, one self-contained page
    datasheet-class-counts.png    histogram of images per class
    datasheet-depths.png          classes per depth of the induced hierarchy
    datasheet-classes.csv         images per class and split, every class
    datasheet-split-changes.csv   every image that changed split since the parent
                                  (written when the parent is given)

How the labels were obtained (trusted sources, crowd consensus, a person's
decisions, unverified candidates) is said from the build report's ``labels``
(``provenance.label_summary``); held-out images of the parent now in train get
a warning section right after the summary.

The same inputs always give the same bytes (no times, fixed PNG metadata).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._datasheet_doc import (
    Block,
    Bullets,
    Code,
    Figure,
    Para,
    Section,
    Table,
    few,
    generic,
    to_html,
    to_markdown,
)
from ._datasheet_facts import Facts, classes_csv
from ._datasheet_parent import (
    SPLIT_CHANGES_CSV,
    changes_since,
    leak_issues,
    leak_warning,
    split_changes_csv,
)
from ._datasheet_plots import plot_class_counts, plot_depths
from .diff import ReleaseDiff, diff_releases
from .handle import Release
from .manifest import MANIFEST_FORMAT, Manifest
from .provenance import label_issues

__all__ = ["SPLIT_CHANGES_CSV", "write_datasheet"]

MARKDOWN = "datasheet.md"
HTML = "datasheet.html"
COUNTS_PNG = "datasheet-class-counts.png"
DEPTHS_PNG = "datasheet-depths.png"
CLASSES_CSV = "datasheet-classes.csv"

FULL_TABLE = 50  # classes listed in full up to this many; beyond, the ends and a summary
ENDS = 10  # largest and smallest classes shown beyond FULL_TABLE
SMALL = 0.5  # a class under this fraction of the median class size is a known issue
IMBALANCE = 10.0  # largest / smallest class size above this is a known issue
PERSON = "n00007846"  # person, individual, someone, somebody, mortal, soul


def write_datasheet(
    release: Release,
    out_dir: Path,
    *,
    parent: Release | None = None,
    sources: Mapping[str, int] | None = None,
    licences: Mapping[str, int] | None = None,
    report: Mapping[str, Any] | None = None,
    labels: Mapping[str, Any] | None = None,
) -> Path:
    """Write the release's datasheet and its plots into ``out_dir``.

    Args:
        release: the release described.
        out_dir: the folder to write into (made when missing); files are named
            as in the module docstring and replaced when present.
        parent: the parent release, for the section on what changed.
        sources: images per source (as the builder counts them), if known.
        licences: images per licence, if known.
        report: the build report (filters, duplicates, blurring…), rendered
            as given, whatever its keys; its ``splits`` say how the parent's
            splits were kept.
        labels: how the labels were obtained (the report's ``labels``,
            ``provenance.label_summary``), if known.

    Returns:
        The path of ``datasheet.md``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    facts = Facts.of(release.manifest)
    plot_class_counts([facts.totals[w] for w in facts.wnids], out_dir / COUNTS_PNG)
    plot_depths(Counter(facts.depths.values()), out_dir / DEPTHS_PNG)
    (out_dir / CLASSES_CSV).write_bytes(classes_csv(release.manifest, facts))
    diff = diff_releases(parent, release.manifest) if parent is not None else None
    if diff is not None:
        (out_dir / SPLIT_CHANGES_CSV).write_bytes(split_changes_csv(diff, release.manifest))
    else:
        (out_dir / SPLIT_CHANGES_CSV).unlink(missing_ok=True)
    warning = leak_warning(parent, diff, release.manifest) if parent and diff else None
    title = f"Datasheet: {release.name}"
    sections = [
        _summary(release, facts, labels),
        *([warning] if warning is not None else []),
        _motivation(release.manifest),
        _composition(release.manifest, facts),
        _collection(release.manifest, sources, labels),
        _preprocessing(release.manifest, report),
        _uses(),
        _distribution(release, licences),
        _maintenance(release.manifest, parent, diff, report),
        _known_issues(
            release.manifest,
            facts,
            (sources, licences),
            [*leak_issues(parent, diff), *label_issues(labels or {})],
        ),
    ]
    markdown = out_dir / MARKDOWN
    markdown.write_bytes(to_markdown(title, sections).encode())
    (out_dir / HTML).write_bytes(to_html(title, sections).encode())
    return markdown


def _n(value: int) -> str:
    return f"{value:,}"


def _distinct_images(manifest: Manifest) -> int:
    return len({item.image for item in manifest.items})


# ----------------------------------------------------------------- sections


def _summary(release: Release, facts: Facts, labels: Mapping[str, Any] | None) -> Section:
    m = release.manifest
    rows = [
        ("name", release.name),
        ("manifest sha256", m.sha256),
        ("manifest format", MANIFEST_FORMAT),
        ("classes", _n(len(m.classes))),
        ("items (image, class, split)", _n(len(m.items))),
        ("distinct images", _n(_distinct_images(m))),
        ("splits", ", ".join(facts.splits) or "none"),
        ("labels", str(labels["text"]) if labels and "text" in labels else "not recorded"),
        ("parent release", m.parent or "none"),
        ("built by synsetdb", m.synsetdb_version or "unknown"),
    ]
    return Section(
        "Summary",
        (
            Table(("field", "value"), tuple(rows)),
            Para(
                "The manifest sha256 names exactly these images, labels and splits: "
                "cite it, not only the release name, when reporting results."
            ),
        ),
    )


def _motivation(manifest: Manifest) -> Section:
    description = manifest.spec.get("description")
    said = (
        Para(f"From the release spec: {description}")
        if isinstance(description, str) and description.strip()
        else Para("The release spec gives no description of why this release was made.")
    )
    return Section(
        "Motivation",
        (
            said,
            Para(
                "Who created the release, for which task, and who funded it are not "
                "recorded in the release; ask its maintainers."
            ),
        ),
    )


def _composition(manifest: Manifest, facts: Facts) -> Section:
    blocks: list[Block] = [
        Para(
            "Each instance is one image labelled with one WordNet noun synset (its class, "
            "by wnid) and placed in one split. An image appears at most once per class."
        ),
        _split_table(manifest, facts),
        Para("Images per class and split:", strong=True),
        *_class_table(facts),
        Figure(COUNTS_PNG, "Histogram of images per class"),
        *_hierarchy(manifest, facts),
        _formats_and_boxes(manifest),
    ]
    return Section("Composition", tuple(blocks))


def _split_table(manifest: Manifest, facts: Facts) -> Table:
    rows = []
    for split in facts.splits:
        items = [it for it in manifest.items if it.split == split]
        classes = sum(1 for w in facts.wnids if facts.per_class[w][split])
        rows.append((split, _n(len(items)), _n(classes)))
    rows.append(("all", _n(len(manifest.items)), _n(len(facts.wnids))))
    return Table(("split", "images", "classes with images"), tuple(rows), frozenset({1, 2}))


def _class_table(facts: Facts) -> list[Block]:
    header = ("index", "wnid", "name", *facts.splits, "total")
    numeric = frozenset({0, *range(3, len(header))})

    def row(w: str) -> tuple[str, ...]:
        counts = [_n(facts.per_class[w][s]) for s in facts.splits]
        return (str(facts.wnids.index(w)), w, facts.names[w], *counts, _n(facts.totals[w]))

    if len(facts.wnids) <= FULL_TABLE:
        return [Table(header, tuple(row(w) for w in facts.wnids), numeric)]
    ranked = facts.by_size()
    return [
        Para(
            f"{len(ranked):,} classes: the {ENDS} largest and the {ENDS} smallest are "
            f"listed; every class is in {CLASSES_CSV}."
        ),
        Table(header, tuple(row(w) for w in ranked[:ENDS]), numeric),
        Table(header, tuple(row(w) for w in ranked[-ENDS:]), numeric),
        _size_summary(facts),
    ]


def _size_summary(facts: Facts) -> Table:
    sizes = [facts.totals[w] for w in facts.wnids]
    rows = [
        ("smallest", _n(min(sizes))),
        ("median", f"{statistics.median(sizes):g}"),
        ("mean", f"{statistics.fmean(sizes):.1f}"),
        ("largest", _n(max(sizes))),
    ]
    return Table(("images per class", "value"), tuple(rows), frozenset({1}))


def _hierarchy(manifest: Manifest, facts: Facts) -> list[Block]:
    roots = sorted(w for w, parents in manifest.hierarchy.items() if not parents)
    per_depth = Counter(facts.depths.values())
    text = (
        f"The classes induce a hierarchy of {len(manifest.hierarchy):,} synsets (the classes "
        f"and all their WordNet ancestors) with {len(roots)} root(s): {few(roots)}. A "
        "class's depth is the fewest is-a edges from it up to a root (WordNet's min_depth)."
    )
    return [
        Para(text),
        Table(
            ("depth", "classes"),
            tuple((str(d), _n(per_depth[d])) for d in sorted(per_depth)),
            frozenset({0, 1}),
        ),
        Figure(DEPTHS_PNG, "Classes per depth of the release's hierarchy"),
    ]


def _formats_and_boxes(manifest: Manifest) -> Bullets:
    formats = Counter(item.format for item in manifest.items)
    boxed = [item for item in manifest.items if item.boxes]
    boxes = sum(len(item.boxes) for item in boxed)
    return Bullets(
        (
            "image formats: "
            + (", ".join(f"{f} {_n(n)}" for f, n in sorted(formats.items())) or "none"),
            f"bounding boxes: {_n(boxes)} on {_n(len(boxed))} item(s)",
        )
    )


def _counts_table(label: str, counts: Mapping[str, int]) -> Table:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return Table((label, "images"), tuple((k, _n(v)) for k, v in ranked), frozenset({1}))


def _collection(
    manifest: Manifest, sources: Mapping[str, int] | None, labels: Mapping[str, Any] | None
) -> Section:
    blocks: list[Block] = [
        Para(
            "Images were gathered into a synsetdb catalog (by ingesting folders, "
            "official ImageNet layouts or URL lists) and checked and deduplicated there. "
            "Each label is a candidate (an image proposed for a synset by a source or a "
            "search) that a trusted source, the crowd's consensus or a person may have decided."
        ),
        *_labels(manifest, labels),
    ]
    if sources:
        blocks += [
            Para("Images per first-seen source:", strong=True),
            _counts_table("source", sources),
        ]
    else:
        blocks.append(Para("Sources: not recorded for this release."))
    if manifest.catalog_state:
        blocks += [
            Para("Catalog state at build time:", strong=True),
            generic(manifest.catalog_state),
        ]
    return Section("Collection process", tuple(blocks))


def _labels(manifest: Manifest, labels: Mapping[str, Any] | None) -> list[Block]:
    """How the labels were obtained, in words and counted (or that it is not recorded)."""
    if not labels or "text" not in labels:
        statuses = manifest.spec.get("selection", {}).get("statuses")
        taken = f"; the spec took labels with status {', '.join(statuses)}" if statuses else ""
        return [Para(f"How each label was obtained is not recorded for this release{taken}.")]
    rows = []
    for group in labels.get("groups", ()):
        detail = ", ".join(f"{k} {_n(v)}" for k, v in group.get("sources", {}).items())
        if "votes" in group:
            detail = f"{_n(group['votes'])} vote(s)"
        undecided = "nobody yet" if group["status"] == "candidate" else "not recorded"
        by = group.get("decided_by") or undecided
        rows.append((group["status"], by, _n(group["items"]), detail))
    return [
        Para(f"How the labels were obtained: {labels['text']}."),
        Table(("status", "decided by", "items", "sources or votes"), tuple(rows), frozenset({2})),
    ]


def _preprocessing(manifest: Manifest, report: Mapping[str, Any] | None) -> Section:
    blocks: list[Block] = [
        Para(
            "The spec the release was built from (selection, filters, splits, seed):", strong=True
        ),
        Code(json.dumps(dict(manifest.spec), sort_keys=True, indent=2, ensure_ascii=False), "json"),
    ]
    if report:
        blocks += [
            Para("The build report (filters applied, duplicates, splits, blurring):", strong=True),
            generic(report),
        ]
    else:
        blocks.append(
            Para("No build report was given: filters and duplicates are not recorded here.")
        )
    blocks.append(_faces(manifest))
    return Section("Preprocessing, cleaning and labelling", tuple(blocks))


def _faces(manifest: Manifest) -> Para:
    blurred = {item.image for item in manifest.items if item.blurred}
    if not blurred:
        return Para("Face obfuscation: none. Faces in these images are shown as photographed.")
    return Para(
        f"Face obfuscation: {len(blurred):,} image(s) had faces blurred, following Yang et al., "
        "'A Study of Face Obfuscation in ImageNet' (ICML 2022): each detected face box grown "
        "by 0.1 x its longer side, a Gaussian blur of 0.1 x the largest face's size, composited "
        "through a feathered mask. The originals are not in the release. The detector finds "
        "upright frontal faces only: profiles, small and occluded faces may remain visible."
    )


def _uses() -> Section:
    return Section(
        "Uses",
        (
            Para(
                "Made for training and evaluating image classifiers over WordNet synsets, "
                "as ImageNet is. Other uses the makers intended or ruled out are not recorded."
            ),
            Para(
                "Do not use it to identify people or to infer attributes of people pictured. "
                "WordNet labels carry their time's biases: some synsets, notably in the person "
                "subtree, are offensive or not visual (Yang et al., FAT* 2020)."
            ),
        ),
    )


def _distribution(release: Release, licences: Mapping[str, int] | None) -> Section:
    blocks: list[Block] = [
        Para(
            "synsetdb exports a release as an ILSVRC-style folder layout, WebDataset "
            "shards or Parquet files (synsetdb export); the manifest sha256 identifies "
            "the content whatever the format. Images keep the licences of their sources: "
            "synsetdb does not relicense them."
        )
    ]
    if licences:
        blocks += [Para("Images per licence:", strong=True), _counts_table("licence", licences)]
    else:
        blocks.append(Para("Licences: not recorded for this release; check each source's terms."))
    return Section("Distribution", tuple(blocks))


def _maintenance(
    manifest: Manifest,
    parent: Release | None,
    diff: ReleaseDiff | None,
    report: Mapping[str, Any] | None,
) -> Section:
    blocks: list[Block] = [
        Para(
            "A release never changes: corrections and additions come as a new release whose "
            "parent is this one. Who maintains it and how to report problems are not recorded."
        )
    ]
    if parent is not None and diff is not None:
        blocks += changes_since(parent, manifest, diff, report)
    elif manifest.parent:
        blocks.append(
            Para(
                f"Parent {manifest.parent}: its manifest was not available, "
                "so no changes are shown."
            )
        )
    else:
        blocks.append(Para("This release has no parent."))
    return Section("Maintenance", tuple(blocks))


def _known_issues(
    manifest: Manifest,
    facts: Facts,
    provenance: tuple[Mapping[str, int] | None, Mapping[str, int] | None],
    more: list[str],
) -> Section:
    """The automatic checks' findings; ``more``: the parent's and the labels' issues, first."""
    issues = [
        *more,
        *_size_issues(facts),
        *_split_gaps(facts),
        *_provenance_gaps(*provenance),
    ]
    if PERSON in manifest.hierarchy:
        issues.append(
            "classes under person (n00007846): images of people, labelled by WordNet terms"
        )
    if any(item.blurred for item in manifest.items):
        issues.append("face blurring relies on a frontal-face detector: some faces may be missed")
    items: tuple[str, ...] = tuple(issues) or ("none found by the automatic checks",)
    return Section("Known issues", (Bullets(items),))


def _size_issues(facts: Facts) -> list[str]:
    sizes = [facts.totals[w] for w in facts.wnids]
    if not sizes:
        return ["the release has no classes"]
    out = []
    empty = [w for w in facts.wnids if not facts.totals[w]]
    if empty:
        out.append(f"{len(empty):,} class(es) without images: {few(empty)}")
    median = statistics.median(sizes)
    small = [w for w in facts.by_size()[::-1] if 0 < facts.totals[w] < SMALL * median]
    if small:
        shown = [f"{w} ({facts.totals[w]:,})" for w in small]
        out.append(
            f"{len(small):,} class(es) under {SMALL:g} x the median ({median:g}): {few(shown)}"
        )
    largest, smallest = max(sizes), min(sizes)
    if smallest and largest / smallest > IMBALANCE:
        out.append(
            f"imbalance: the largest class has {largest / smallest:.1f} x the smallest's images"
        )
    return out


def _split_gaps(facts: Facts) -> list[str]:
    out = []
    for split in facts.splits:
        missing = [w for w in facts.wnids if facts.totals[w] and not facts.per_class[w][split]]
        if missing:
            out.append(f"{len(missing):,} class(es) have no {split} images: {few(missing)}")
    return out


def _provenance_gaps(
    sources: Mapping[str, int] | None, licences: Mapping[str, int] | None
) -> list[str]:
    out = []
    for label, counts in (("source", sources), ("licence", licences)):
        if not counts:
            out.append(f"{label}s are not recorded")
        elif counts.get("unknown"):
            out.append(f"{counts['unknown']:,} image(s) of unknown {label}")
    return out
