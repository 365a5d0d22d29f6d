"""``release diff A B``: what changed between two releases, image by image.

Images are known by their sha256 (``ReleaseItem.image``), so a renamed or
re-blurred item is still the same image. Between A and B:

- classes added and removed (by wnid);
- images added (in B only) and removed (in A only), with their classes and splits;
- images moved: the same image under the same class in another split;
- images relabelled: the same image under a different set of classes;
- images moved from a held-out split into train (under any of their classes):
  a model trained on B and evaluated on A's held-out splits, or compared with
  models that were, is tested on images it trained on. These are flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .handle import Release
from .manifest import Manifest, ReleaseItem
from .splits import TRAIN

__all__ = ["ReleaseDiff", "diff_releases"]


@dataclass(frozen=True, slots=True)
class ReleaseDiff:
    """The differences from release ``a`` to release ``b`` (all lists sorted).

    Attributes:
        a, b: the two manifests' sha256.
        classes_added, classes_removed: wnids.
        images_added, images_removed: ``(image, wnid, split)`` of each item
            whose image is only in ``b`` / only in ``a``.
        moved: ``(image, wnid, split in a, split in b)``.
        relabelled: ``(image, wnids in a, wnids in b)``.
        held_out_to_train: ``(image, wnid in b, held-out split in a, "train")``,
            one per image that was held out in ``a`` and is in train in ``b``.
    """

    a: str
    b: str
    classes_added: tuple[str, ...]
    classes_removed: tuple[str, ...]
    images_added: tuple[tuple[str, str, str], ...]
    images_removed: tuple[tuple[str, str, str], ...]
    moved: tuple[tuple[str, str, str, str], ...]
    relabelled: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
    held_out_to_train: tuple[tuple[str, str, str, str], ...] = ()

    @property
    def identical(self) -> bool:
        return self.a == self.b

    @property
    def changed(self) -> bool:
        """Whether any class or image differs (the hashes may differ by spec alone)."""
        return any(
            (
                self.classes_added,
                self.classes_removed,
                self.images_added,
                self.images_removed,
                self.moved,
                self.relabelled,
            )
        )

    def counts(self) -> dict[str, int]:
        return {
            "classes_added": len(self.classes_added),
            "classes_removed": len(self.classes_removed),
            "images_added": len({i for i, _, _ in self.images_added}),
            "images_removed": len({i for i, _, _ in self.images_removed}),
            "moved": len(self.moved),
            "relabelled": len(self.relabelled),
            "held_out_to_train": len(self.held_out_to_train),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "counts": self.counts(),
            "classes_added": list(self.classes_added),
            "classes_removed": list(self.classes_removed),
            "images_added": [_triple(t) for t in self.images_added],
            "images_removed": [_triple(t) for t in self.images_removed],
            "moved": [{"image": i, "wnid": w, "from": s, "to": t} for i, w, s, t in self.moved],
            "relabelled": [
                {"image": i, "from": list(old), "to": list(new)} for i, old, new in self.relabelled
            ],
            "held_out_to_train": [
                {"image": i, "wnid": w, "from": s, "to": t} for i, w, s, t in self.held_out_to_train
            ],
        }


def _triple(t: tuple[str, str, str]) -> dict[str, str]:
    return {"image": t[0], "wnid": t[1], "split": t[2]}


def diff_releases(a: Release | Manifest, b: Release | Manifest) -> ReleaseDiff:
    """What changed from ``a`` to ``b`` (see the module docstring)."""
    ma = a.manifest if isinstance(a, Release) else a
    mb = b.manifest if isinstance(b, Release) else b
    by_a, by_b = _by_image(ma.items), _by_image(mb.items)
    moved: list[tuple[str, str, str, str]] = []
    relabelled: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
    leaked: list[tuple[str, str, str, str]] = []
    for image in sorted(by_a.keys() & by_b.keys()):
        old, new = by_a[image], by_b[image]
        if old.keys() != new.keys():
            relabelled.append((image, tuple(sorted(old)), tuple(sorted(new))))
        moved.extend(
            (image, w, old[w], new[w]) for w in sorted(old.keys() & new.keys()) if old[w] != new[w]
        )
        if leak := _held_out_to_train(image, old, new):
            leaked.append(leak)
    wa, wb = set(ma.wnids), set(mb.wnids)
    return ReleaseDiff(
        a=ma.sha256,
        b=mb.sha256,
        classes_added=tuple(sorted(wb - wa)),
        classes_removed=tuple(sorted(wa - wb)),
        images_added=_only(by_b, by_a),
        images_removed=_only(by_a, by_b),
        moved=tuple(moved),
        relabelled=tuple(relabelled),
        held_out_to_train=tuple(leaked),
    )


def _held_out_to_train(
    image: str, old: dict[str, str], new: dict[str, str]
) -> tuple[str, str, str, str] | None:
    """``(image, wnid in b, split in a, "train")`` if ``a`` held it out and ``b`` trains on it.

    The same class is preferred on both sides, so a plain move reads as in ``moved``.
    """
    in_train = sorted(w for w, split in new.items() if split == TRAIN)
    held = sorted(w for w, split in old.items() if split != TRAIN)
    if not in_train or not held:
        return None
    same = [w for w in held if w in in_train]
    wnid_a, wnid_b = (same[0], same[0]) if same else (held[0], in_train[0])
    return (image, wnid_b, old[wnid_a], TRAIN)


def _by_image(items: Iterable[ReleaseItem]) -> dict[str, dict[str, str]]:
    """image -> wnid -> split."""
    found: dict[str, dict[str, str]] = {}
    for item in items:
        found.setdefault(item.image, {})[item.wnid] = item.split
    return found


def _only(
    here: dict[str, dict[str, str]], there: dict[str, dict[str, str]]
) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (image, wnid, split)
        for image in sorted(here.keys() - there.keys())
        for wnid, split in sorted(here[image].items())
    )
