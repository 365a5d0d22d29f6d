"""Splitting a release: per class, by counts or fractions, leak-free, deterministic for a seed.

Items are (image, class) pairs. Two items are tied together when they are the
same image (one picture labelled with two classes) or when one image's 64-bit
perceptual hash lies within ``SplitConfig.radius`` bits of the other's pHash
or of one of its variant hashes, the pHashes of its mirror, trimmed, centred
and straightened views (``synsetdb.imaging.linking``: multi-index hashing,
linked in chains), so crops, small turns and mirror images of a photo are tied
to it. Each group of tied items goes to one split as a whole, so no near
duplicate of a validation image can sit in train.

Each class gets a target per held-out split (``val = 50``: 50 items;
``val = 0.1``: a tenth of the class, rounded half up); ``train`` takes the rest.
Groups are visited in an order drawn from the seed (a keyed hash of the
group's members, so adding an unrelated image does not reshuffle the others),
and each goes to the first held-out split, in name order, where every class it
touches still has room; a group that fits nowhere goes to train.

With ``official = "keep"``, an item that came with an official split
(``candidate.split``) keeps it, counts toward its class's target, and draws the
free members of its group into the same split. Official members of one group
found in *different* splits are never moved: they are reported as across-split
duplicates of the source's own split.

With a parent release (``previous``: each image the parent had, and its split
there), every item whose image the parent had keeps that split, ahead of any
official split: a model trained on the parent's train and tested on this
release's val (or the other way round) never sees a test image in training.
Kept items count toward their class's targets and draw new near duplicates
into their split; only new images are split fresh. Kept members of one group
found in different splits stay where they were and are reported.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .spec import SplitConfig

__all__ = ["TRAIN", "SplitEntry", "SplitReport", "assign_splits", "split_key"]

TRAIN = "train"
_EXAMPLES = 20  # across-split official groups listed in a report


class SplitEntry(NamedTuple):
    """One item to split (a named tuple: a build makes one per item, 100,000s of them).

    Attributes:
        image: the image's sha256.
        wnid: its class.
        phash: the image's 64-bit perceptual hash (signed or unsigned), if known.
        official: the split the image came with (``candidate.split``), if any.
        variants: the image's variant hashes, packed (``synsetdb.imaging.variants.pack``),
            if known.
    """

    image: str
    wnid: str
    phash: int | None = None
    official: str | None = None
    variants: bytes | None = None


@dataclass(frozen=True, slots=True)
class SplitReport:
    """What splitting found and did.

    Attributes:
        groups: groups of two or more tied items (near duplicates, same image).
        grouped_items: items in those groups.
        groups_moved: groups that an image-by-image split would have cut
            across splits, kept whole instead.
        official_kept: items that kept their official split.
        official_cross_split: groups whose official members lie in different
            official splits (left as the source had them).
        cross_split_examples: the first of those groups, each as its members'
            ``(image, wnid, split)``.
        kept_from_parent: items whose image the parent release had, kept in
            the parent's split.
        parent_cross_split: groups whose kept members lie in different splits
            (left as the parent had them).
        parent_cross_split_examples: the first of those groups, as above.
        shortfalls: class -> split -> items short of the target (a small class,
            or groups too large to fit).
    """

    groups: int = 0
    grouped_items: int = 0
    groups_moved: int = 0
    official_kept: int = 0
    official_cross_split: int = 0
    cross_split_examples: tuple[tuple[tuple[str, str, str], ...], ...] = ()
    shortfalls: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    kept_from_parent: int = 0
    parent_cross_split: int = 0
    parent_cross_split_examples: tuple[tuple[tuple[str, str, str], ...], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "duplicate_groups": self.groups,
            "grouped_items": self.grouped_items,
            "groups_moved": self.groups_moved,
            "official_kept": self.official_kept,
            "official_cross_split_groups": self.official_cross_split,
            "official_cross_split_examples": [
                [list(member) for member in group] for group in self.cross_split_examples
            ],
            "shortfalls": {w: dict(s) for w, s in self.shortfalls.items()},
            "kept_from_parent": self.kept_from_parent,
            "parent_cross_split_groups": self.parent_cross_split,
            "parent_cross_split_examples": [
                [list(member) for member in group] for group in self.parent_cross_split_examples
            ],
        }


def split_key(seed: int, *parts: str) -> int:
    """A 64-bit number drawn from the seed and ``parts`` (a keyed hash, stable across runs)."""
    digest = hashlib.blake2b("\0".join(parts).encode(), digest_size=8, key=str(seed).encode())
    return int.from_bytes(digest.digest(), "big")


def split_keys(seed: int, label: str, pairs: Iterable[tuple[str, str]]) -> list[int]:
    """``split_key(seed, label, a, b)`` for each pair, reusing one keyed hasher (2x faster)."""
    keyed = hashlib.blake2b(digest_size=8, key=str(seed).encode())
    keys = []
    for a, b in pairs:
        h = keyed.copy()
        h.update(f"{label}\0{a}\0{b}".encode())
        keys.append(int.from_bytes(h.digest(), "big"))
    return keys


def assign_splits(
    entries: Sequence[SplitEntry],
    config: SplitConfig,
    seed: int,
    *,
    previous: Mapping[str, str] | None = None,
) -> tuple[list[str], SplitReport]:
    """The split of each entry (aligned with ``entries``) and the report.

    Args:
        entries: the items to split.
        config: targets, the official-split policy and the near-duplicate radius.
        seed: where every choice is drawn from.
        previous: image -> its split in the parent release; those images keep it.

    Deterministic: the same entries (in any order), config, seed and
    ``previous`` give the same assignment.
    """
    keys = split_keys(seed, "split", ((e.image, e.wnid) for e in entries))
    kept = [previous.get(e.image) for e in entries] if previous else [None] * len(entries)
    official = [e.official if config.official == "keep" else None for e in entries]
    fixed = [k if k is not None else o for k, o in zip(kept, official, strict=True)]
    groups = tie_groups(entries, config.radius)
    groups.sort(key=lambda g: keys[g[0]] if len(g) == 1 else min(keys[i] for i in g))
    plan = _Quotas(entries, fixed, config)
    naive = plan.naive(keys)
    splits: list[str] = [TRAIN] * len(entries)
    moved = 0
    cross: list[list[int]] = []  # groups whose official members disagree
    parent_cross: list[list[int]] = []  # groups whose kept (parent's) members disagree
    for group in groups:
        if len(group) == 1:  # most items: no counting, no allocation
            splits[group[0]] = plan.place_one(group[0])
            continue
        held = Counter(fixed[i] for i in group if fixed[i] is not None)
        if len(held) > 1:
            (parent_cross if any(kept[i] is not None for i in group) else cross).append(group)
        elif len({naive[i] for i in group}) > 1:
            moved += 1
        for i, split in plan.place(group, held).items():
            splits[i] = split
    multi = [g for g in groups if len(g) > 1]
    report = SplitReport(
        groups=len(multi),
        grouped_items=sum(len(g) for g in multi),
        groups_moved=moved,
        official_kept=sum(o is not None and k is None for k, o in zip(kept, official, strict=True)),
        official_cross_split=len(cross),
        cross_split_examples=tuple(_members(entries, fixed, g) for g in cross[:_EXAMPLES]),
        shortfalls=plan.shortfalls(),
        kept_from_parent=sum(k is not None for k in kept),
        parent_cross_split=len(parent_cross),
        parent_cross_split_examples=tuple(
            _members(entries, fixed, g) for g in parent_cross[:_EXAMPLES]
        ),
    )
    return splits, report


def _members(
    entries: Sequence[SplitEntry], fixed: Sequence[str | None], group: Sequence[int]
) -> tuple[tuple[str, str, str], ...]:
    """A group's members with a fixed split (official or kept) as ``(image, wnid, split)``."""
    return tuple(
        sorted(
            (entries[i].image, entries[i].wnid, str(fixed[i]))
            for i in group
            if fixed[i] is not None
        )
    )


def tie_groups(entries: Sequence[SplitEntry], radius: int) -> list[list[int]]:
    """Positions of entries tied together (same image, or a pHash within ``radius`` of the
    other's pHash or variant hashes), every group.

    Singletons included; each group is sorted. ``variant_groups`` gives the
    connected components over distinct images, so each image is in at most
    one of them and no further union is needed.
    """
    by_image: dict[str, list[int]] = {}
    hashes: dict[str, int] = {}
    variants: dict[str, bytes] = {}
    for i, e in enumerate(entries):
        by_image.setdefault(e.image, []).append(i)
        if e.phash is not None:
            hashes[e.image] = e.phash
            if e.variants:
                variants[e.image] = e.variants
    groups: list[list[int]] = []
    tied: set[str] = set()
    for near in _near_duplicates(hashes, variants, radius):
        groups.append(sorted(i for image in near for i in by_image[image]))
        tied.update(near)
    groups.extend(members for image, members in by_image.items() if image not in tied)
    return groups


def _near_duplicates(
    hashes: Mapping[str, int], variants: Mapping[str, bytes], radius: int
) -> list[tuple[str, ...]]:
    if len(hashes) < 2:
        return []
    import numpy as np

    from ..imaging.linking import variant_groups
    from ..imaging.variants import unpack

    ids = list(hashes)
    try:  # the catalog's hashes are signed BIGINTs already
        values = np.fromiter(hashes.values(), dtype=np.int64, count=len(hashes))
    except OverflowError:  # some given unsigned
        values = np.array([h - (1 << 64) if h >= 1 << 63 else h for h in hashes.values()])
    packed = [unpack(variants[i]) if i in variants else None for i in ids]
    return [g.ids for g in variant_groups(ids, values, packed, radius, max_bucket=None)]


class _Quotas:
    """Per-class room left in each held-out split."""

    def __init__(
        self, entries: Sequence[SplitEntry], fixed: Sequence[str | None], config: SplitConfig
    ) -> None:
        self.entries = entries
        self.fixed = fixed
        self.held_out = [name for name, _ in config.held_out]
        sizes: Counter[str] = Counter(e.wnid for e in entries)
        self.wanted = {w: _wanted(n, config.held_out) for w, n in sizes.items()}
        self.targets = {w: _targets(n, self.wanted[w]) for w, n in sizes.items()}
        self.room = {w: dict(t) for w, t in self.targets.items()}
        for e, split in zip(entries, fixed, strict=True):
            if split is not None and split in self.room[e.wnid]:
                self.room[e.wnid][split] -= 1

    def naive(self, keys: Sequence[int]) -> list[str]:
        """An image-by-image split (no groups), to count the groups it would cut."""
        saved = {w: dict(r) for w, r in self.room.items()}
        result = [TRAIN] * len(keys)
        for i in sorted(range(len(keys)), key=keys.__getitem__):
            result[i] = self.place_one(i)
        self.room = saved
        return result

    def place_one(self, i: int) -> str:
        """Where a lone item goes: its official split, else the first split with room."""
        official = self.fixed[i]
        if official is not None:
            return official  # its room was taken up front
        room = self.room[self.entries[i].wnid]
        for split in self.held_out:
            if room[split] > 0:
                room[split] -= 1
                return split
        return TRAIN

    def place(self, group: Sequence[int], held: Counter[str | None]) -> dict[int, str]:
        """Where each member of a group goes; takes room from the quotas.

        ``held`` counts the fixed splits (official or the parent's) of its members.
        """
        placed = {i: split for i in group if (split := self.fixed[i]) is not None}
        free = [i for i in group if i not in placed]
        if held:
            # the most common fixed split (ties: by name) draws the free members
            target = str(min(held.items(), key=lambda kv: (-kv[1], str(kv[0])))[0])
        else:
            need = Counter(self.entries[i].wnid for i in free)
            target = next(
                (s for s in self.held_out if all(self.room[w][s] >= k for w, k in need.items())),
                TRAIN,
            )
        for i in free:
            placed[i] = target
            room = self.room[self.entries[i].wnid]
            if target in room:
                room[target] -= 1
        return placed

    def shortfalls(self) -> dict[str, dict[str, int]]:
        """class -> split -> items short of what the spec asked (room left, or a small class)."""
        short: dict[str, dict[str, int]] = {}
        for wnid in sorted(self.wanted):
            for split, wanted in self.wanted[wnid].items():
                got = self.targets[wnid][split] - max(0, self.room[wnid][split])
                if got < wanted:
                    short.setdefault(wnid, {})[split] = wanted - got
        return short


def _wanted(n: int, held_out: Sequence[tuple[str, int | float]]) -> dict[str, int]:
    """Items each held-out split asks of a class of ``n`` (fractions rounded half up)."""
    return {name: size if isinstance(size, int) else int(size * n + 0.5) for name, size in held_out}


def _targets(n: int, wanted: Mapping[str, int]) -> dict[str, int]:
    """What each held-out split can get, in name order, never more than the class has."""
    left, targets = n, {}
    for name, size in wanted.items():
        targets[name] = min(size, left)
        left -= targets[name]
    return targets
