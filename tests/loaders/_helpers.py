"""Helpers for the loader tests, at module level so that spawned DataLoader workers import them."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def sha256_hex(data: bytes) -> str:
    """A ``decode`` that identifies each image by its bytes (the release's image id)."""
    return hashlib.sha256(data).hexdigest()


def image_size(data: bytes) -> tuple[int, int]:
    """A ``decode`` that only reads the header."""
    from PIL import Image

    return Image.open(io.BytesIO(data)).size


def write_tar(path: Path, members: Sequence[tuple[str, bytes]]) -> None:
    """A plain ustar tar of ``(name, bytes)`` members, in order."""
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def edit_index(root: Path, change: Callable[[dict[str, Any]], object]) -> None:
    """Rewrite ``root/index.json`` after ``change`` edits it in place."""
    path = root / "index.json"
    index = json.loads(path.read_text())
    change(index)
    path.write_text(json.dumps(index))


def one_shard_export(root: Path, members: Sequence[tuple[str, bytes]], samples: int) -> Path:
    """An export folder with one train shard of ``members`` and an index claiming ``samples``."""
    root.mkdir(parents=True, exist_ok=True)
    shard = root / "train-000000.tar"
    write_tar(shard, members)
    data = shard.read_bytes()
    index = {
        "format": "synsetdb-webdataset/1",
        "release": {"name": "handmade", "sha256": "0" * 64},
        "classes": [[0, "n02084071", "dog"], [1, "n02121808", "domestic cat"]],
        "splits": {
            "train": {
                "samples": samples,
                "shards": [
                    {
                        "file": shard.name,
                        "samples": samples,
                        "bytes": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                    }
                ],
            }
        },
    }
    (root / "index.json").write_text(json.dumps(index))
    return root


def distributed_reader(rank: int, world_size: int, init_file: str, root: str, out: str) -> None:
    """One rank of a ``torch.distributed`` job reading its share with 2 DataLoader workers.

    The dataset is given no rank: it must find it in the initialised process group.
    Writes ``out/<rank>.json``: the keys read, ``len(dataset)`` and the rank it saw.
    """
    import torch.distributed as dist
    from torch.utils.data import DataLoader

    from synsetdb.loaders import WebDatasetShards

    dist.init_process_group(
        "gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size
    )
    try:
        dataset = WebDatasetShards(root, decode=sha256_hex, with_keys=True, shuffle_buffer=4)
        keys = [key for _, _, key in DataLoader(dataset, batch_size=None, num_workers=2)]
        result = {
            "keys": keys,
            "len": len(dataset),
            "rank": dataset.rank,
            "world": dataset.world_size,
        }
        (Path(out) / f"{rank}.json").write_text(json.dumps(result))
    finally:
        dist.destroy_process_group()
