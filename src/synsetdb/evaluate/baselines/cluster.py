"""A synset's visual modes: k-means over its images' features, with contact sheets.

The 2009 paper shows that a synset's images fall into a few visual groups
(a tusker seen from the side and from the front). ``cluster_synset`` takes
every image in a node's subtree, embeds it (tiny image, colour histogram,
HOG, …) and runs k-means (scikit-learn, the ``eval`` extra);
``write_contact_sheets`` draws one PNG per cluster, its members nearest the
centre first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from ...errors import EvaluationError
from .._files import write_atomically
from ..features import Embedder, TinyImage, fit_embedder
from ..features._extras import require
from .data import read_small
from .tree import NodeTable

if TYPE_CHECKING:
    from ...release import Release, ReleaseItem

__all__ = ["Cluster", "Clusters", "cluster_images", "cluster_synset", "write_contact_sheets"]

_BACKGROUND = (40, 40, 40)


@dataclass(frozen=True, slots=True)
class Cluster:
    """One visual mode: item names, nearest the cluster centre first, and their distances."""

    index: int
    members: tuple[str, ...]
    distances: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Clusters:
    """The k-means clusters of one synset's images, largest first.

    Attributes:
        wnid: the synset (its whole subtree's images were clustered).
        embedder: the features used, as text.
        clusters: the clusters, by size then first member.
        inertia: k-means' sum of squared distances to the centres.
    """

    wnid: str
    embedder: str
    clusters: tuple[Cluster, ...]
    inertia: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each cluster's members and distances."""
        return {
            "wnid": self.wnid,
            "embedder": self.embedder,
            "k": len(self.clusters),
            "inertia": self.inertia,
            "clusters": [
                {
                    "index": c.index,
                    "size": len(c.members),
                    "members": list(c.members),
                    "distances": [round(d, 6) for d in c.distances],
                }
                for c in self.clusters
            ],
        }


def _subtree_items(release: Release, wnid: str, splits: Sequence[str] | None) -> list[ReleaseItem]:
    manifest = release.manifest
    for split in splits or ():
        manifest.items_in(split)  # E_NO_SPLIT for a split the release lacks
    table = NodeTable.from_taxonomy(manifest.taxonomy(), manifest.wnids)
    under = table.classes_under[table.index(wnid)]
    wanted = {c for c, inside in zip(manifest.wnids, under, strict=True) if inside}
    items = [
        i for i in manifest.items if i.wnid in wanted and (splits is None or i.split in splits)
    ]
    return sorted(items, key=lambda item: item.name)


def cluster_synset(
    release: Release,
    wnid: str,
    k: int,
    embedder: Embedder | None = None,
    *,
    splits: Sequence[str] | None = None,
    seed: int = 0,
) -> Clusters:
    """Cluster the images of ``wnid``'s subtree (in ``splits``; default all) into ``k`` modes.

    Raises:
        EvaluationError: ``E_NOT_IN_RELEASE`` when ``wnid`` is neither a class
            nor an ancestor of one; ``E_OPTIONS`` when ``k`` is below 1 or
            above the number of images, or ``seed`` below 0;
            ``E_MISSING_EXTRA`` without scikit-learn.
        ReleaseError: ``E_NO_SPLIT`` for a split the release lacks.
    """
    _check(seed)
    items = _subtree_items(release, wnid, splits)
    _check_k(k, len(items), wnid)
    images = [read_small(release, item) for item in items]
    return cluster_images(wnid, [item.name for item in items], images, k, embedder, seed=seed)


def cluster_images(
    wnid: str,
    names: Sequence[str],
    images: Sequence[Image.Image],
    k: int,
    embedder: Embedder | None = None,
    *,
    seed: int = 0,
) -> Clusters:
    """k-means of decoded images (one name each) into ``k`` modes: the core of ``cluster_synset``.

    Raises:
        EvaluationError: ``E_OPTIONS`` for ``k`` outside 1..len(images) or a
            negative seed; ``E_MISSING_EXTRA`` without scikit-learn.
    """
    _check(seed)
    _check_k(k, len(images), wnid)
    cluster = require("sklearn.cluster", "eval", "clustering")
    features = fit_embedder(embedder or TinyImage(), images)
    rows = np.asarray(features.embed(images), np.float64)
    kmeans = cluster.KMeans(n_clusters=k, n_init=10, random_state=seed).fit(rows)
    distances = np.linalg.norm(rows - kmeans.cluster_centers_[kmeans.labels_], axis=1)
    return Clusters(
        wnid=wnid,
        embedder=repr(features),
        clusters=_ordered(kmeans.labels_, distances, list(names), k),
        inertia=float(kmeans.inertia_),
    )


def _check(seed: int) -> None:
    if seed < 0:
        raise EvaluationError(f"seed must be >= 0, got {seed}", code="E_OPTIONS")


def _check_k(k: int, images: int, wnid: str) -> None:
    if not 1 <= k <= images:
        raise EvaluationError(
            f"k must be in 1..{images} ({wnid} has {images} image(s)), got {k}",
            code="E_OPTIONS",
        )


def _ordered(
    labels: NDArray[np.integer], distances: NDArray[np.floating], names: list[str], k: int
) -> tuple[Cluster, ...]:
    """Clusters largest first (ties: first member's name), members nearest the centre first."""
    groups = []
    for label in range(k):
        members = np.flatnonzero(labels == label).tolist()
        members.sort(key=lambda i: (distances[i], names[i]))
        groups.append(members)
    groups.sort(key=lambda g: (-len(g), names[g[0]] if g else ""))
    return tuple(
        Cluster(n, tuple(names[i] for i in g), tuple(float(distances[i]) for i in g))
        for n, g in enumerate(groups)
    )


def write_contact_sheets(
    release: Release,
    clusters: Clusters,
    out_dir: Path,
    *,
    thumb: int = 96,
    columns: int = 8,
    limit: int = 64,
) -> list[Path]:
    """One PNG per cluster (``cluster-00.png``, …): its first ``limit`` members in a grid.

    Raises:
        EvaluationError: ``E_WRITE`` when ``out_dir`` or a sheet cannot be written.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EvaluationError(f"cannot make {out_dir}: {e.strerror or e}", code="E_WRITE") from e
    by_name = {item.name: item for item in release.manifest.items}
    paths = []
    for group in clusters.clusters:
        tiles = [_tile(release, by_name[n], thumb) for n in group.members[:limit]]
        save = partial(_sheet(tiles, thumb, columns).save, format="PNG")
        paths.append(write_atomically(out_dir / f"cluster-{group.index:02d}.png", save))
    return paths


def _tile(release: Release, item: ReleaseItem, side: int) -> Image.Image:
    return ImageOps.pad(read_small(release, item, side), (side, side), color=_BACKGROUND)


def _sheet(tiles: Sequence[Image.Image], side: int, columns: int) -> Image.Image:
    columns = max(1, min(columns, len(tiles)))
    rows = max(1, math.ceil(len(tiles) / columns))
    sheet = Image.new("RGB", (columns * side, rows * side), _BACKGROUND)
    for n, tile in enumerate(tiles):
        sheet.paste(tile, ((n % columns) * side, (n // columns) * side))
    return sheet
