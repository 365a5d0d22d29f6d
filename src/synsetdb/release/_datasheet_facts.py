"""What the datasheet says about a release's classes: counts per split, depths."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from .manifest import Manifest

__all__ = ["Facts", "classes_csv"]


@dataclass(frozen=True)
class Facts:
    """The counts every section draws on."""

    wnids: tuple[str, ...]
    names: dict[str, str]
    splits: tuple[str, ...]
    per_class: dict[str, Counter[str]]  # wnid -> split -> items
    totals: dict[str, int]  # wnid -> items
    depths: dict[str, int]  # class wnid -> fewest edges up to a root (WordNet's min_depth)

    @classmethod
    def of(cls, manifest: Manifest) -> Facts:
        per_class: dict[str, Counter[str]] = {w: Counter() for w in manifest.wnids}
        for item in manifest.items:
            per_class[item.wnid][item.split] += 1
        taxonomy = manifest.taxonomy()
        return cls(
            wnids=tuple(manifest.wnids),
            names={c.wnid: c.name for c in manifest.classes},
            splits=manifest.splits,
            per_class=per_class,
            totals={w: sum(c.values()) for w, c in per_class.items()},
            depths={w: taxonomy.depth(w).shortest for w in manifest.wnids},
        )

    def by_size(self) -> list[str]:
        """Class wnids, largest first (ties by index order)."""
        order = {w: i for i, w in enumerate(self.wnids)}
        return sorted(self.wnids, key=lambda w: (-self.totals[w], order[w]))


def classes_csv(manifest: Manifest, facts: Facts) -> bytes:
    """Images per class and split, and each class's depth, for every class (CSV, UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["index", "wnid", "name", *facts.splits, "total", "depth"])
    for c in manifest.classes:
        counts = [facts.per_class[c.wnid][s] for s in facts.splits]
        depth = facts.depths[c.wnid]
        writer.writerow([c.index, c.wnid, c.name, *counts, facts.totals[c.wnid], depth])
    return out.getvalue().encode()
