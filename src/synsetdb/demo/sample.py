"""The demo's sample bundle: real third-party images with their synset, source and licence.

The bundle ships inside the package (``synsetdb/demo/bundle``), made once by
``tools/build_demo_bundle.py``: ``items.csv`` lists every image with the wnid
it shows, where it came from and under which licence; ``LICENSES/`` holds the
licence texts. :class:`BundleSource` offers it to the ingest stage the way a
web image search would: each image as a candidate of its own synset, plus a
seeded share of images proposed for a synset they do not show (the noise that
crowd verification exists to remove).
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import PurePosixPath

from ..errors import DemoError
from ..hierarchy import Taxonomy
from ..ingest import SourceItem

__all__ = [
    "BUNDLE_COLUMNS",
    "BundleItem",
    "BundleSource",
    "bundle_root",
    "check_bundle",
    "load_bundle",
]

BUNDLE_COLUMNS = (
    "path", "wnid", "label", "source", "title", "author", "licence", "origin", "sha256",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BundleItem:
    """One image of the bundle (a row of ``items.csv``)."""

    path: str
    wnid: str
    label: str
    source: str
    title: str
    author: str
    licence: str
    origin: str
    sha256: str


def bundle_root() -> Traversable:
    """The bundle's folder inside the installed package."""
    return resources.files("synsetdb.demo") / "bundle"


def load_bundle(root: Traversable | None = None) -> list[BundleItem]:
    """Every row of ``items.csv``, checked for its columns.

    Raises:
        DemoError: ``E_BUNDLE`` when the list is missing or malformed.
    """
    listing = (root or bundle_root()) / "items.csv"
    try:
        text = listing.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DemoError(f"cannot read the demo bundle's {listing}: {exc}", code="E_BUNDLE") from exc
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != BUNDLE_COLUMNS:
        raise DemoError(
            f"{listing}: expected the columns {', '.join(BUNDLE_COLUMNS)}", code="E_BUNDLE"
        )
    items = []
    for line, row in enumerate(reader, start=2):
        if any(not row.get(column) for column in BUNDLE_COLUMNS):
            raise DemoError(f"{listing} line {line}: an empty field", code="E_BUNDLE")
        path = PurePosixPath(row["path"])
        if path.is_absolute() or ".." in path.parts:
            raise DemoError(
                f"{listing} line {line}: {row['path']!r:.80} is not a path inside the bundle",
                code="E_BUNDLE",
            )
        items.append(BundleItem(**{column: row[column] for column in BUNDLE_COLUMNS}))
    if not items:
        raise DemoError(f"{listing} lists no images", code="E_BUNDLE")
    return items


def read_item(root: Traversable, item: BundleItem) -> bytes:
    """An item's bytes, checked against its sha256 in ``items.csv``.

    Raises:
        DemoError: ``E_BUNDLE`` naming the file when it is missing, unreadable
            or not the bytes listed.
    """
    try:
        data = (root / item.path).read_bytes()
    except OSError as exc:
        raise DemoError(
            f"cannot read the demo bundle's {item.path}: {exc.strerror or exc}", code="E_BUNDLE"
        ) from exc
    if hashlib.sha256(data).hexdigest() != item.sha256:
        raise DemoError(
            f"the demo bundle's {item.path} does not match its sha256 in items.csv",
            code="E_BUNDLE",
        )
    return data


def check_bundle(root: Traversable, items: Sequence[BundleItem]) -> None:
    """Read every listed image and check its sha256, before anything is made from them.

    Raises:
        DemoError: ``E_BUNDLE`` naming the first image missing or changed.
    """
    for item in items:
        read_item(root, item)


@dataclass(frozen=True, slots=True)
class Proposal:
    """A candidate the simulated search proposes: an image for a synset, right or wrong."""

    item: BundleItem
    wnid: str

    @property
    def key(self) -> str:
        """The ingest key: the image's path, with ``#wnid`` for a wrong proposal."""
        return self.item.path if self.wnid == self.item.wnid else f"{self.item.path}#{self.wnid}"

    @property
    def shows_synset(self) -> bool:
        """Whether the image shows the synset it is proposed for (the crowd's truth)."""
        return self.wnid == self.item.wnid


def propose(
    items: Sequence[BundleItem], taxonomy: Taxonomy, *, noise: float, seed: int
) -> list[Proposal]:
    """Every image for its own synset, plus wrong images for every synset.

    Each synset with ``n`` images also gets ``max(1, round(noise × n))`` images
    of other synsets, as every web search returns some junk. Every synset
    needs a few: dynamic consensus learns a synset's confidence table from its
    own votes, and votes on good images alone cannot tell a careful crowd from
    one that says yes to everything.

    A wrong image never shows an ancestor or descendant of the synset, so each
    proposal's truth is unambiguous (a dog proposed for "canine" is not junk).
    """
    rng = random.Random(seed)
    by_wnid: dict[str, list[BundleItem]] = {}
    for item in items:
        by_wnid.setdefault(item.wnid, []).append(item)
    proposals = [Proposal(item, item.wnid) for item in items]
    for wnid, own in sorted(by_wnid.items()):
        related = {*taxonomy.ancestors(wnid, include_self=True), *taxonomy.descendants(wnid)}
        others = [item for item in items if item.wnid not in related]
        count = min(len(others), max(1, round(noise * len(own))))
        proposals += [Proposal(item, wnid) for item in rng.sample(others, count)]
    return proposals


class BundleSource:
    """The bundle's proposals as an ingest :class:`~synsetdb.ingest.Source`."""

    def __init__(self, proposals: Sequence[Proposal], root: Traversable | None = None) -> None:
        self.root = root or bundle_root()
        self.proposals = list(proposals)

    @property
    def name(self) -> str:
        """The source's name in ingest reports and provenance."""
        return "demo-bundle"

    def total(self) -> int | None:
        """How many items :meth:`items` yields (for the progress bar)."""
        return len(self.proposals)

    def items(self, skip: Container[str] = frozenset()) -> Iterator[SourceItem]:
        """Each proposal not in ``skip`` as a source item, its bytes checked (``E_BUNDLE``)."""
        for proposal in self.proposals:
            if proposal.key in skip:
                continue
            item = proposal.item
            yield SourceItem(
                key=proposal.key,
                name=item.path.rpartition("/")[2],
                wnid=proposal.wnid,
                provenance={
                    "query": proposal.wnid if proposal.shows_synset else "simulated search noise",
                    "provider": item.source,
                    "title": item.title,
                    "author": item.author,
                    "licence": item.licence,
                    "origin": item.origin,
                },
                data=read_item(self.root, item),
            )
