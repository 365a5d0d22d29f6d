"""The loader benchmark's measured side, one fresh process per run.

Reads one JSON request on stdin, writes one JSON result on stdout. Every mode
turns each image into a 3×224×224 ``torch.uint8`` tensor (shorter side to
256, centre crop 224, as ImageNet evaluation does) and reports the wall time
of the measured loop (worker or pool start-up included; interpreter start and
imports not), CPU seconds of this process and its children, and what it
yielded so the orchestrator can check it:

- ``{"mode": "shards", "root": DIR, "workers": W, "batch": B, "buffer": S, "resample": R}``:
  synsetdb's ``WebDatasetShards`` over an export, decoding with
  ``DraftResize(224, resize=256)`` (R = "torch", the default) or with
  ``DraftResize(224, resize=256, tensor=False)`` then ``to_tensor_uint8``
  (R = "pil": Pillow resamples), shuffle buffer S, through a ``DataLoader``
  with W workers and batches of B.
- ``{"mode": "folder", "root": DIR, "workers": W, "batch": B}``: the peer, what
  a torchvision user without draft decoding runs: ``ImageFolder`` (file
  open, ``Image.open(f).convert("RGB")``), ``Resize(256)``, ``CenterCrop(224)``,
  ``PILToTensor()``, reproduced here with the same PIL calls (torchvision has
  no CPU build on this machine), shuffled by the ``DataLoader``.
- ``{"mode": "limit", "root": DIR, "processes": P}``: the decode limit:
  ``DraftResize(224, resize=256)`` on every file's bytes in a pool of P
  forked processes, no DataLoader, nothing returned but a count.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from _ingest_proc import cpu_since, cpu_times
from _measure import peak_rss_mb, read_request, write_result
from synsetdb.loaders import WebDatasetShards
from synsetdb.loaders.decode import DraftResize, to_tensor_uint8

SIZE, RESIZE = 224, 256
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


# ----------------------------------------------------------------------------- the peer


def pil_loader(path: str) -> Image.Image:
    """torchvision.datasets.folder.pil_loader."""
    with Path(path).open("rb") as f:
        image = Image.open(f)
        return image.convert("RGB")


def resize(image: Image.Image, side: int) -> Image.Image:
    """torchvision.transforms.Resize(side) on a PIL image: shorter side to ``side``, bilinear."""
    w, h = image.size
    short, long_ = (w, h) if w <= h else (h, w)
    new_long = int(side * long_ / short)
    new_w, new_h = (side, new_long) if w <= h else (new_long, side)
    return image.resize((new_w, new_h), Image.Resampling.BILINEAR)


def center_crop(image: Image.Image, size: int) -> Image.Image:
    """torchvision.transforms.CenterCrop(size) on a PIL image at least ``size`` on each side."""
    w, h = image.size
    top, left = round((h - size) / 2.0), round((w - size) / 2.0)
    return image.crop((left, top, left + size, top + size))


def pil_to_tensor(image: Image.Image) -> torch.Tensor:
    """torchvision.transforms.functional.pil_to_tensor for an RGB image."""
    tensor = torch.as_tensor(np.array(image, copy=True))
    return tensor.view(image.size[1], image.size[0], 3).permute((2, 0, 1))


class PeerImageFolder(Dataset[tuple[torch.Tensor, int, int]]):
    """torchvision's ImageFolder with Resize/CenterCrop/PILToTensor; also yields the index."""

    def __init__(self, root: str) -> None:
        classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
        self.classes = classes
        self.samples = [
            (str(path), i)
            for i, wnid in enumerate(classes)
            for path in sorted(Path(root, wnid).iterdir())
            if path.name.lower().endswith(IMG_EXTENSIONS)
        ]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, int]:
        path, target = self.samples[index]
        image = center_crop(resize(pil_loader(path), RESIZE), SIZE)
        return pil_to_tensor(image), target, index


# ----------------------------------------------------------------------------- the modes


def _drain(loader: DataLoader[Any], key_of: Callable[[Any], str]) -> dict[str, Any]:
    """Iterate once; the labels seen per key and any batch of the wrong shape."""
    labels: dict[str, int] = {}
    duplicates = bad_batches = 0
    for images, targets, keys in loader:
        if images.dtype != torch.uint8 or tuple(images.shape[1:]) != (3, SIZE, SIZE):
            bad_batches += 1
        for key, target in zip(keys, targets.tolist(), strict=True):
            name = key_of(key)
            duplicates += name in labels
            labels[name] = target
    return {"labels": labels, "duplicates": duplicates, "bad_batches": bad_batches}


def _timed(
    run: Callable[[], dict[str, Any]], count: Callable[[dict[str, Any]], int]
) -> dict[str, Any]:
    before, started = cpu_times(), time.perf_counter()
    result = run()
    wall = time.perf_counter() - started
    items = count(result)
    return {
        **result,
        "items": items,
        "wall_s": wall,
        "items_per_s": items / wall,
        **cpu_since(before),
    }


def shards(request: dict[str, Any]) -> dict[str, Any]:
    """(a) WebDatasetShards with draft decode through a DataLoader."""
    pil = request["resample"] == "pil"
    decode = DraftResize(SIZE, resize=RESIZE, tensor=not pil)
    dataset = WebDatasetShards(
        request["root"],
        shuffle_buffer=request["buffer"],
        seed=0,
        decode=decode,
        transform=to_tensor_uint8 if pil else None,
        with_keys=True,
    )
    loader = DataLoader(dataset, batch_size=request["batch"], num_workers=request["workers"])
    result = _timed(lambda: _drain(loader, str), lambda r: len(r["labels"]) + r["duplicates"])
    return {**result, "shards": len(dataset.shards), "expected_len": len(dataset)}


def folder(request: dict[str, Any]) -> dict[str, Any]:
    """(b) the torchvision-style peer through a DataLoader."""
    dataset = PeerImageFolder(request["root"])
    loader = DataLoader(
        dataset, batch_size=request["batch"], shuffle=True, num_workers=request["workers"]
    )
    stem = {i: Path(path).stem for i, (path, _) in enumerate(dataset.samples)}
    result = _timed(
        lambda: _drain(loader, lambda i: stem[int(i)]),
        lambda r: len(r["labels"]) + r["duplicates"],
    )
    return {**result, "expected_len": len(dataset)}


def _one(decode: DraftResize, path: str) -> int:
    tensor = decode(path)
    return int(isinstance(tensor, torch.Tensor) and tensor.shape == (3, SIZE, SIZE))


def limit(request: dict[str, Any]) -> dict[str, Any]:
    """(c) the same decode, resize and tensor on every file in a process pool."""
    root = Path(request["root"])
    files = sorted(str(p) for p in root.glob("*/*.JPEG"))
    decode = DraftResize(SIZE, resize=RESIZE)
    context = multiprocessing.get_context("fork")

    def run() -> dict[str, Any]:
        with context.Pool(request["processes"]) as pool:
            good = sum(pool.imap_unordered(partial(_one, decode), files, chunksize=16))
        return {"decoded": good}

    return {**_timed(run, lambda r: len(files)), "expected_len": len(files)}


MODES = {"shards": shards, "folder": folder, "limit": limit}


def main() -> None:
    torch.set_num_threads(1)  # as DataLoader workers run; no side uses torch's thread pool
    request = read_request()
    result = MODES[request["mode"]](request)
    write_result({**result, "peak_rss_mb": peak_rss_mb()})


if __name__ == "__main__":
    main()
