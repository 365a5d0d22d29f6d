"""The explorer's read API: counts, grids, images, tallies, each a few indexed queries.

Nothing here scans the images or joins the closure with the candidates: counts
come from the maintained tables (:mod:`~synsetdb.catalog.aggregates`), grids
read one synset's own candidates (a range of the ``(synset_id, status)``
index) or a page of an indexed facet, and an image's page reads its own rows
by primary or foreign key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import Connection, select

from ..errors import NotFoundError
from . import schema
from .aggregates import ALL_SPLITS, LIVE
from .catalog import Catalog

__all__ = ["SynsetCounts", "release_id", "synset_counts"]


@dataclass(frozen=True, slots=True)
class SynsetCounts:
    """A synset's image counts, of its own and of its whole subtree (distinct images).

    Keys are candidate statuses and ``live`` (any status but rejected) for
    the catalog, or splits and ``all`` for a release.
    """

    own: Mapping[str, int] = field(default_factory=dict)
    subtree: Mapping[str, int] = field(default_factory=dict)

    @property
    def images(self) -> int:
        """Images in the subtree: live ones in the catalog, all of them in a release."""
        return self.subtree.get(LIVE, self.subtree.get(ALL_SPLITS, 0))

    @property
    def own_images(self) -> int:
        return self.own.get(LIVE, self.own.get(ALL_SPLITS, 0))

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {"own": dict(self.own), "subtree": dict(self.subtree)}


NO_IMAGES = SynsetCounts()


def release_id(conn: Connection, name: str) -> int:
    """The id of the release called ``name``.

    Raises:
        NotFoundError: ``E_NO_RELEASE`` when there is none.
    """
    r = schema.release.c
    found = conn.execute(select(r.id).where(r.name == name)).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no release named {name!r}", code="E_NO_RELEASE")
    return int(found)


def synset_counts(
    catalog: Catalog, wnids: Iterable[str], *, release: str | None = None
) -> dict[str, SynsetCounts]:
    """Counts of each synset (one query; synsets without images get empty counts).

    Args:
        wnids: the synsets (unknown ids raise ``UnknownSynsetError``).
        release: count this release's items by split instead of the catalog's candidates.
    """
    ids = {catalog.synset_id(w): w for w in wnids}
    with catalog.engine.connect() as conn:
        return _counts(conn, ids, release)


def _counts(
    conn: Connection, ids: Mapping[int, str], release: str | None
) -> dict[str, SynsetCounts]:
    if release is None:
        t = schema.synset_count
        key, where = t.c.status, []
    else:
        rc = schema.release_count
        t, key, where = rc, rc.c.split, [rc.c.release_id == release_id(conn, release)]
    own: dict[int, dict[str, int]] = {}
    subtree: dict[int, dict[str, int]] = {}
    keys = sorted(ids)
    for start in range(0, len(keys), 10_000):
        query = select(t.c.synset_id, key, t.c.own, t.c.subtree).where(
            t.c.synset_id.in_(keys[start : start + 10_000]), *where
        )
        for synset, name, n_own, n_subtree in conn.execute(query):
            if n_own:
                own.setdefault(int(synset), {})[name] = int(n_own)
            if n_subtree:
                subtree.setdefault(int(synset), {})[name] = int(n_subtree)
    return {
        wnid: SynsetCounts(MappingProxyType(own.get(i, {})), MappingProxyType(subtree.get(i, {})))
        for i, wnid in ids.items()
    }
