"""The map-style datasets: torchvision's contract over an ILSVRC-layout export and a release."""

from __future__ import annotations

import hashlib
import pickle
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from synsetdb.errors import FormatError, ReleaseError
from synsetdb.loaders import (
    BlobCorruptError,
    BlobMissingError,
    ImageFolderExport,
    ImageReadError,
    ReleaseDataset,
    SuperclassTarget,
)
from synsetdb.loaders.decode import DraftResize
from synsetdb.release import Release
from tests.fixtures.photos import encode, photo

MAMMAL = "n01861778"


def labels_by_name(release: Release, split: str) -> dict[str, int]:
    index = release.manifest.class_to_idx
    return {item.name: index[item.wnid] for item in release.manifest.items_in(split)}


# ----------------------------------------------------------------------------- ImageFolderExport


@pytest.mark.parametrize("split", ["train", "val"])
def test_an_ilsvrc_export_reads_back_with_the_releases_labels(
    ilsvrc: Path, release: Release, split: str
) -> None:
    dataset = ImageFolderExport(ilsvrc, split=split)
    assert dataset.classes == release.manifest.wnids
    assert dataset.class_to_idx == release.manifest.class_to_idx
    assert dataset.names == ["dog", "domestic cat", "sunflower"]
    assert {Path(p).stem: t for p, t in dataset.samples} == labels_by_name(release, split)
    assert dataset.targets == [t for _, t in dataset.samples] == sorted(dataset.targets)
    assert dataset.imgs is dataset.samples and len(dataset) == len(dataset.samples)
    image, target = dataset[0]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and target == 0


def test_the_pixels_are_the_releases(ilsvrc: Path, release: Release) -> None:
    dataset = ImageFolderExport(ilsvrc, split="val")  # val items are JPEGs, copied as they are
    items = {item.name: item for item in release.manifest.items_in("val")}
    for path, _ in dataset.samples:
        item = items[Path(path).stem]
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == item.image


def test_transforms_and_loader_apply(ilsvrc: Path) -> None:
    dataset = ImageFolderExport(
        ilsvrc,
        split="val",
        loader=DraftResize(32),
        transform=lambda t: t.float() / 255,
        target_transform=lambda t: t * 10,
    )
    tensor, target = dataset[len(dataset) - 1]
    assert tensor.shape == (3, 32, 32) and tensor.dtype == torch.float32 and target == 20


def test_labels_follow_the_mapping_not_folder_order(ilsvrc: Path, tmp_path: Path) -> None:
    root = tmp_path / "export"
    shutil.copytree(ilsvrc, root)
    mapping = root / "LOC_synset_mapping.txt"
    mapping.write_text("".join(reversed(mapping.read_text().splitlines(keepends=True))))
    shutil.rmtree(root / "val" / "n02121808")  # a class with no folder in this split
    dataset = ImageFolderExport(root, split="val")
    assert dataset.classes == ["n11978233", "n02121808", "n02084071"]
    assert sorted({t for _, t in dataset.samples}) == [0, 2]
    assert all(Path(p).parent.name == dataset.classes[t] for p, t in dataset.samples)


def test_hidden_and_non_image_files_are_skipped(ilsvrc: Path, tmp_path: Path) -> None:
    root = tmp_path / "export"
    shutil.copytree(ilsvrc, root)
    folder = root / "val" / "n02084071"
    (folder / ".n02084071_9999.JPEG.part").write_bytes(b"half")
    (folder / "notes.txt").write_text("not an image")
    (folder / "extra.png").write_bytes(encode(photo("coffee", (30, 20)), "PNG"))
    (root / "val" / "README").write_text("a stray file beside the class folders")
    dataset = ImageFolderExport(root, split="val")
    names = [Path(p).name for p, _ in dataset.samples]
    assert "extra.png" in names and "notes.txt" not in names and len(names) == 13


@pytest.mark.parametrize(
    ("mapping", "code"),
    [
        (None, "E_MAPPING"),
        (b"", "E_MAPPING"),
        (b"n02084071 dog\n\nn02121808 cat\n", "E_MAPPING"),
        (b"n02084071 dog\nn02084071 dog again\n", "E_MAPPING"),
        (b"\xff\xfe not utf-8", "E_MAPPING"),
        (b"n02084071 dog\nn02121808 cat\n", "E_LAYOUT"),  # the sunflower folder is unlisted
    ],
)
def test_a_bad_mapping_file(ilsvrc: Path, tmp_path: Path, mapping: bytes | None, code: str) -> None:
    root = tmp_path / "export"
    shutil.copytree(ilsvrc, root)
    path = root / "LOC_synset_mapping.txt"
    if mapping is None:
        path.unlink()
    else:
        path.write_bytes(mapping)
    with pytest.raises(FormatError) as err:
        ImageFolderExport(root, split="val")
    assert err.value.code == code


def test_a_missing_split_folder_is_e_no_split(ilsvrc: Path) -> None:
    with pytest.raises(FormatError) as err:
        ImageFolderExport(ilsvrc, split="test")
    assert err.value.code == "E_NO_SPLIT"


# ----------------------------------------------------------------------------- ReleaseDataset


def test_a_release_split_reads_its_blobs(release: Release) -> None:
    dataset = ReleaseDataset(release, split="train")
    items = release.manifest.items_in("train")
    assert dataset.classes == release.manifest.wnids
    assert dataset.items == items
    assert dataset.samples == [
        (item.blob, release.manifest.class_to_idx[item.wnid]) for item in items
    ]
    assert len(dataset) == 60
    for i in (0, 1, 59):
        image, target = dataset[i]
        assert isinstance(image, Image.Image) and image.mode == "RGB"
        assert target == dataset.targets[i]
    png_item = next(i for i, item in enumerate(items) if item.format == "PNG")
    assert dataset[png_item][0].size == Image.open(release.blobs.path(items[png_item].blob)).size  # type: ignore[attr-defined]


def test_an_unknown_release_split_is_e_no_split(release: Release) -> None:
    with pytest.raises(ReleaseError) as err:
        ReleaseDataset(release, split="test")
    assert err.value.code == "E_NO_SPLIT"


def test_verify_rehashes_each_blob(release: Release, tmp_path: Path) -> None:
    from tests.fixtures.releases import small_release

    copy = small_release(tmp_path / "blobs", train_per_class=2, val_per_class=1)
    item = copy.manifest.items_in("val")[0]
    path = copy.blobs.path(item.blob)  # type: ignore[attr-defined]
    path.write_bytes(encode(photo("moon", (40, 40)), "JPEG"))  # other bytes under the key
    assert ReleaseDataset(copy, split="val")[0][0].size == (40, 40)  # unverified: read as is
    with pytest.raises(BlobCorruptError) as err:
        ReleaseDataset(copy, split="val", verify=True)[0]
    assert err.value.code == "E_BLOB_CORRUPT" and repr(item.name) in str(err.value)


def first_error(dataset: object, workers: int) -> FormatError:
    """The error reading every sample raises, through ``workers`` DataLoader workers."""
    with pytest.raises(FormatError) as err:
        list(DataLoader(dataset, batch_size=None, num_workers=workers))  # type: ignore[arg-type]
    return err.value


@pytest.mark.parametrize("workers", [0, 2])
def test_a_bad_blob_keeps_its_code_in_dataloader_workers(tmp_path: Path, workers: int) -> None:
    from tests.fixtures.releases import small_release

    copy = small_release(tmp_path / "blobs", train_per_class=2, val_per_class=2)
    missing, corrupt = copy.manifest.items_in("val")[:2]
    copy.blobs.path(missing.blob).unlink()  # type: ignore[attr-defined]
    copy.blobs.path(corrupt.blob).write_bytes(b"other bytes")  # type: ignore[attr-defined]
    error = first_error(ReleaseDataset(copy, split="val"), workers)
    assert isinstance(error, BlobMissingError) and error.code == "E_BLOB_MISSING"
    assert missing.blob in str(error)
    only_corrupt = ReleaseDataset(copy, split="val", verify=True)
    only_corrupt.items, only_corrupt.samples = only_corrupt.items[1:], only_corrupt.samples[1:]
    error = first_error(only_corrupt, workers)
    assert isinstance(error, BlobCorruptError) and error.code == "E_BLOB_CORRUPT"


@pytest.mark.parametrize("workers", [0, 2])
def test_a_file_gone_from_an_export_is_e_image_read(
    ilsvrc: Path, tmp_path: Path, workers: int
) -> None:
    root = tmp_path / "export"
    shutil.copytree(ilsvrc, root)
    dataset = ImageFolderExport(root, split="val")
    Path(dataset.samples[0][0]).unlink()  # removed after the folder was scanned
    error = first_error(dataset, workers)
    assert isinstance(error, ImageReadError) and error.code == "E_IMAGE_READ"


def test_a_dropping_target_transform_filters_samples(release: Release, ilsvrc: Path) -> None:
    mammals = SuperclassTarget(release.manifest, [MAMMAL], unmatched="drop")
    for dataset in (
        ReleaseDataset(release, split="train", target_transform=mammals),
        ImageFolderExport(ilsvrc, split="train", target_transform=mammals),
    ):
        assert len(dataset) == 40 and set(dataset.targets) == {0, 1}  # dog and cat, not sunflower
        assert {dataset[i][1] for i in range(len(dataset))} == {0}
    dataset = ReleaseDataset(release, split="train", target_transform=mammals)
    assert [item.wnid for item in dataset.items] == [dataset.classes[t] for t in dataset.targets]


# ----------------------------------------------------------------------------- workers


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_both_datasets_work_in_dataloader_workers(
    release: Release, ilsvrc: Path, context: str
) -> None:
    to_tensor = DraftResize(48, resize=56)
    for dataset in (
        ReleaseDataset(release, split="val", loader=to_tensor),
        ImageFolderExport(ilsvrc, split="val", loader=to_tensor),
    ):
        loader = DataLoader(dataset, batch_size=5, num_workers=2, multiprocessing_context=context)
        images, targets = zip(*loader, strict=True)
        assert torch.cat(images).shape == (12, 3, 48, 48)
        assert torch.cat(targets).tolist() == dataset.targets
        serial = torch.stack([dataset[i][0] for i in range(len(dataset))])
        assert torch.equal(torch.cat(images), serial)


def test_datasets_pickle(release: Release, ilsvrc: Path) -> None:
    for dataset in (ReleaseDataset(release, split="val"), ImageFolderExport(ilsvrc, split="val")):
        copy = pickle.loads(pickle.dumps(dataset))
        assert copy.samples == dataset.samples and copy.classes == dataset.classes
        assert copy[3][1] == dataset[3][1]
