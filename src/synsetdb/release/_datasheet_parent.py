"""The datasheet against the parent release: what changed, and held-out images now in train.

A held-out (val, test…) image of the parent that sits in this release's train
split makes any comparison across the two releases unsound: a model trained
here and evaluated on the parent's val is tested on images it trained on. The
datasheet puts such moves in a warning section right after the summary, as a
known issue, and lists every change of split in ``datasheet-split-changes.csv``.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ._datasheet_doc import Block, Bullets, Para, Section, Table, few
from .diff import ReleaseDiff
from .handle import Release
from .manifest import Manifest
from .splits import TRAIN

__all__ = [
    "SPLIT_CHANGES_CSV",
    "WARNING_TITLE",
    "changes_since",
    "leak_issues",
    "leak_warning",
    "split_changes_csv",
]

SPLIT_CHANGES_CSV = "datasheet-split-changes.csv"
WARNING_TITLE = "Warning: held-out images moved into train"
SHOWN = 20  # moves listed in the warning; the CSV has every one


def _n(value: int) -> str:
    return f"{value:,}"


def split_changes_csv(diff: ReleaseDiff, manifest: Manifest) -> bytes:
    """Every image that changed split since the parent (CSV, UTF-8), held-out → train flagged.

    One row per moved item (same image, same class, another split), then one
    per image relabelled out of a held-out split into train.
    """
    names = {(it.image, it.wnid): it.name for it in manifest.items}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["image", "wnid", "name", "from", "to", "held_out_to_train"])
    moved = {image for image, *_ in diff.moved}
    for image, wnid, before, after in diff.moved:
        flag = "yes" if before != TRAIN and after == TRAIN else "no"
        writer.writerow([image, wnid, names.get((image, wnid), ""), before, after, flag])
    for image, wnid, before, after in diff.held_out_to_train:
        if image not in moved:  # relabelled as well as moved
            writer.writerow([image, wnid, names.get((image, wnid), ""), before, after, "yes"])
    return out.getvalue().encode()


def leak_warning(parent: Release, diff: ReleaseDiff, manifest: Manifest) -> Section | None:
    """The warning section when held-out images of the parent are in train here."""
    leaks = diff.held_out_to_train
    if not leaks:
        return None
    names = {(it.image, it.wnid): it.name for it in manifest.items}
    held = sorted({before for _, _, before, _ in leaks})
    rows = tuple(
        (image, wnid, names.get((image, wnid), ""), before, after)
        for image, wnid, before, after in leaks[:SHOWN]
    )
    every = f"every change of split is in {SPLIT_CHANGES_CSV}."
    where = f"E{every[1:]}" if len(leaks) <= SHOWN else f"The first {SHOWN} are listed; {every}"
    return Section(
        WARNING_TITLE,
        (
            Para(
                f"{_n(len(leaks))} image(s) moved from a held-out split into train since "
                f"{parent.name}: a model trained on this release and evaluated on "
                f"{parent.name}'s {', '.join(held)} split is tested on images it was trained "
                f"on, so results across the two releases are not comparable. Evaluate on this "
                f"release's own held-out splits, or build it again keeping the parent's "
                f'splits ([splits] parent = "keep", the default).'
            ),
            Table(("image", "class", "name", f"in {parent.name}", "here"), rows),
            Para(where),
        ),
    )


def leak_issues(parent: Release | None, diff: ReleaseDiff | None) -> list[str]:
    """The known issue of held-out images moved into train (none without a parent)."""
    if parent is None or diff is None or not diff.held_out_to_train:
        return []
    return [
        f"{_n(len(diff.held_out_to_train))} image(s) moved from a held-out split of "
        f"{parent.name} into train (see the warning at the top)"
    ]


def changes_since(
    parent: Release, manifest: Manifest, diff: ReleaseDiff, report: Mapping[str, Any] | None
) -> list[Block]:
    """What changed since the parent (counted, classes named) and how splits were kept."""
    counts = diff.counts()
    moves = Counter((before, after) for _, _, before, after in diff.moved)
    note = "" if manifest.parent in (None, diff.a) else " (not the parent this manifest names)"
    rows = [
        ("classes added", _n(counts["classes_added"])),
        ("classes removed", _n(counts["classes_removed"])),
        ("images added", _n(counts["images_added"])),
        ("images removed", _n(counts["images_removed"])),
        ("items moved between splits", _n(counts["moved"])),
        ("images moved from a held-out split into train", _n(counts["held_out_to_train"])),
        ("images relabelled", _n(counts["relabelled"])),
    ]
    named = [
        f"classes added: {few(list(diff.classes_added))}",
        f"classes removed: {few(list(diff.classes_removed))}",
        *(f"moved {a} → {b}: {_n(n)}" for (a, b), n in sorted(moves.items())),
    ]
    if diff.moved or diff.held_out_to_train:
        named.append(f"every change of split: {SPLIT_CHANGES_CSV}")
    blocks: list[Block] = [
        Para(f"Changes since {parent.name} ({diff.a}){note}:", strong=True),
        Table(("change", "count"), tuple(rows), frozenset({1})),
        Bullets(tuple(x for x in named if not x.endswith(": "))),
    ]
    splits = (report or {}).get("splits")
    if isinstance(splits, Mapping) and (policy := _split_policy(parent.name, splits)):
        blocks.append(Para(policy))
    return blocks


def _split_policy(parent: str, splits: Mapping[str, Any]) -> str | None:
    """How the build treated the parent's splits, from the build report."""
    if splits.get("parent") == "resplit":
        return (
            f'Splits: re-split ([splits] parent = "resplit"): images did not keep the split '
            f"they had in {parent}."
        )
    if splits.get("parent") != "keep":
        return None
    text = (
        f"Splits: each of the {_n(int(splits.get('kept_from_parent', 0)))} item(s) whose "
        f"image {parent} had kept the split it had in {parent}; new images were split fresh."
    )
    if crossed := int(splits.get("parent_cross_split_groups", 0)):
        text += (
            f" {_n(crossed)} near-duplicate group(s) hold images that {parent} had put in "
            "different splits: they were left there."
        )
    return text
