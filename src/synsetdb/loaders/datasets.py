"""Map-style datasets with torchvision's ``ImageFolder`` contract: over an export, over a release.

Both have ``classes``, ``class_to_idx``, ``samples`` (``(path-or-key, class
index)`` pairs), ``targets``, ``transform``, ``target_transform`` and
``loader``, and ``dataset[i]`` is ``(image, target)``. Class indices are the
release's, so a model's outputs mean the same in every format::

    from synsetdb.loaders import ImageFolderExport, ReleaseDataset

    train = ImageFolderExport("exports/ilsvrc", split="train", transform=my_transform)
    val = ReleaseDataset(release, split="val")

Both pickle cheaply (no open files), so ``DataLoader`` workers started by fork
or spawn work. A ``target_transform`` that is a :class:`~.targets.ClassFilter`
(``SuperclassTarget(..., unmatched="drop")``) removes the samples of the
classes it drops from ``samples`` and ``targets``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from torch.utils.data import Dataset

from ..errors import FormatError, SynsetdbError
from ..release.handle import Release
from ..release.manifest import ReleaseItem
from .decode import decode_image, load_image
from .errors import BlobCorruptError, BlobMissingError, BlobReadError
from .targets import keeps_of

__all__ = ["IMG_EXTENSIONS", "ImageFolderExport", "ReleaseDataset", "read_synset_mapping"]

# torchvision's list, compared case-insensitively
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
MAPPING_FILE = "LOC_synset_mapping.txt"

Transform = Callable[[Any], Any]
S = TypeVar("S")  # what ``samples`` holds first: a path or a blob key


class _ClassDataset(Dataset[tuple[Any, Any]], Generic[S]):
    """The shared contract: classes, samples, targets and the two transforms."""

    def __init__(
        self,
        classes: Sequence[str],
        samples: list[tuple[S, int]],
        transform: Transform | None,
        target_transform: Transform | None,
    ) -> None:
        self.classes = list(classes)
        self.class_to_idx = {wnid: i for i, wnid in enumerate(self.classes)}
        self.samples = samples
        self.targets = [target for _, target in samples]
        self.transform = transform
        self.target_transform = target_transform

    def _load(self, index: int) -> Any:
        raise NotImplementedError

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        target: Any = self.samples[index][1]
        sample = self._load(index)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self) -> int:
        return len(self.samples)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} samples, {len(self.classes)} classes)"


def _kept(
    pairs: list[Any], target_transform: Transform | None, target: Callable[[Any], int]
) -> list[Any]:
    """``pairs`` without those whose class the target transform drops."""
    keeps = keeps_of(target_transform)
    return pairs if keeps is None else [p for p in pairs if keeps(target(p))]


# ----------------------------------------------------------------------------- export folders


def read_synset_mapping(path: Path) -> list[tuple[str, str]]:
    """``(wnid, lemmas)`` per line of an ILSVRC ``LOC_synset_mapping.txt``, in file order.

    Raises:
        FormatError: ``E_MAPPING`` when the file is missing, not UTF-8, or
            has a line without a wnid or a wnid twice.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError(
            f"{path} is missing: not an ILSVRC-layout export", code="E_MAPPING"
        ) from None
    except (UnicodeDecodeError, OSError) as e:
        raise FormatError(f"{path} cannot be read: {e}", code="E_MAPPING") from e
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        wnid, _, lemmas = line.strip().partition(" ")
        if not wnid or "/" in wnid or wnid in seen:
            why = "has no wnid" if not wnid else f"repeats or misnames {wnid!r}"
            raise FormatError(f"{path}:{number}: the line {why}", code="E_MAPPING")
        seen.add(wnid)
        rows.append((wnid, lemmas.strip()))
    if not rows:
        raise FormatError(f"{path} lists no class", code="E_MAPPING")
    return rows


class ImageFolderExport(_ClassDataset[str]):
    """An ILSVRC-layout export's ``<split>/<wnid>/<name>.JPEG`` files, labelled as the release.

    The classes and their order come from ``LOC_synset_mapping.txt`` (class
    index order), not from sorting folder names, so labels equal the release's
    class indices even when a split lacks some classes. Samples are in class
    order, then by file name.

    Args:
        root: the export folder (holding ``LOC_synset_mapping.txt``).
        split: the sub-folder to read (``train``, ``val``, …).
        transform: applied to what ``loader`` returns.
        target_transform: applied to the class index.
        loader: path -> sample; default: decode to an RGB ``PIL.Image``
            (``DraftDecoder``/``DraftResize`` decode JPEGs at reduced scale).
        extensions: file suffixes taken as images (case-insensitive).

    Raises:
        FormatError: ``E_MAPPING`` (see ``read_synset_mapping``), ``E_NO_SPLIT``
            (no such split folder), ``E_LAYOUT`` (a class folder the mapping
            does not list).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        *,
        transform: Transform | None = None,
        target_transform: Transform | None = None,
        loader: Callable[[str], Any] = load_image,
        extensions: Sequence[str] = IMG_EXTENSIONS,
    ) -> None:
        self.root = Path(root)
        self.split = split
        mapping = read_synset_mapping(self.root / MAPPING_FILE)
        classes = [wnid for wnid, _ in mapping]
        self.names = [lemmas for _, lemmas in mapping]
        samples = _scan(self.root / split, classes, tuple(e.lower() for e in extensions))
        samples = _kept(samples, target_transform, lambda s: s[1])
        super().__init__(classes, samples, transform, target_transform)
        self.loader = loader

    @property
    def imgs(self) -> list[tuple[str, int]]:
        """torchvision's older name for ``samples``."""
        return self.samples

    def _load(self, index: int) -> Any:
        return self.loader(self.samples[index][0])


def _scan(folder: Path, classes: list[str], extensions: tuple[str, ...]) -> list[tuple[str, int]]:
    if not folder.is_dir():
        raise FormatError(f"the export has no split folder {folder}", code="E_NO_SPLIT")
    index = {wnid: i for i, wnid in enumerate(classes)}
    found = sorted(entry.name for entry in os.scandir(folder) if entry.is_dir())
    unknown = [name for name in found if name not in index]
    if unknown:
        raise FormatError(
            f"{folder}: folder(s) not in {MAPPING_FILE}: {', '.join(unknown[:10])}",
            code="E_LAYOUT",
        )
    samples: list[tuple[str, int]] = []
    for wnid in sorted(found, key=index.__getitem__):
        files = sorted(os.scandir(folder / wnid), key=lambda e: e.name)
        samples += [
            (e.path, index[wnid])
            for e in files
            if not e.name.startswith(".") and e.name.lower().endswith(extensions) and e.is_file()
        ]
    return samples


# ----------------------------------------------------------------------------- releases


class ReleaseDataset(_ClassDataset[str]):
    """One split of a release, read from its blob store: no export needed.

    ``samples`` holds ``(blob key, class index)`` pairs and ``items`` the
    matching :class:`~synsetdb.release.ReleaseItem`\\ s, in manifest order.

    Args:
        release: the release to read.
        split: one of ``release.manifest.splits``.
        transform, target_transform: as in torchvision.
        loader: bytes -> sample; default: decode to an RGB ``PIL.Image``.
        verify: re-hash every blob read (``E_BLOB_CORRUPT`` on a mismatch).

    Raises:
        ReleaseError: ``E_NO_SPLIT`` when the release has no such split.
        BlobMissingError, BlobCorruptError, BlobReadError: when an item is
            read (``E_BLOB_MISSING``, ``E_BLOB_CORRUPT``, ``E_BLOB_READ``).
    """

    def __init__(
        self,
        release: Release,
        split: str = "train",
        *,
        transform: Transform | None = None,
        target_transform: Transform | None = None,
        loader: Callable[[bytes], Any] = decode_image,
        verify: bool = False,
    ) -> None:
        manifest = release.manifest
        index = manifest.class_to_idx
        pairs = [(item, index[item.wnid]) for item in manifest.items_in(split)]
        pairs = _kept(pairs, target_transform, lambda p: p[1])
        super().__init__(
            manifest.wnids, [(it.blob, c) for it, c in pairs], transform, target_transform
        )
        self.release = release
        self.split = split
        self.items: list[ReleaseItem] = [item for item, _ in pairs]
        self.loader = loader
        self.verify = verify

    def _load(self, index: int) -> Any:
        return self.loader(_read_item(self.release, self.items[index], self.verify))


# A class per code: a DataLoader worker's error is re-raised as ``cls(message)``.
_BLOB_ERRORS: dict[str, type[FormatError]] = {
    "E_BLOB_MISSING": BlobMissingError,
    "E_BLOB_CORRUPT": BlobCorruptError,
}


def _read_item(release: Release, item: ReleaseItem, verify: bool) -> bytes:
    """An item's bytes; a blob store failure becomes the loaders' error class for its code."""
    try:
        return release.read(item, verify=verify)
    except SynsetdbError as e:
        error = _BLOB_ERRORS.get(e.code, BlobReadError)
        raise error(f"item {item.name!r} ({item.split}, {item.wnid}): {e}") from e
    except OSError as e:
        raise BlobReadError(f"item {item.name!r}: cannot read blob {item.blob}: {e}") from e
