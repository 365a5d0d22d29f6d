"""An iterable dataset over a WebDataset export's tar shards: rank- and worker-aware, shuffled.

::

    from torch.utils.data import DataLoader
    from synsetdb.loaders import WebDatasetShards
    from synsetdb.loaders.decode import DraftResize

    shards = WebDatasetShards("exports/wds", split="train", shuffle_buffer=2000, seed=1,
                              decode=DraftResize(224, resize=256))
    loader = DataLoader(shards, batch_size=256, num_workers=8)
    for epoch in range(90):
        shards.set_epoch(epoch)
        for images, labels in loader:
            ...

Shards are split first across ranks (``shards[rank::world_size]``, fixed for
every epoch), then across the ``DataLoader``'s workers; every sample is seen
exactly once per epoch over all ranks × workers. When the shard count is a
multiple of ranks × workers (``synsetdb export --shard-multiple``) every
worker gets the same number of shards; otherwise some get one more, and
workers beyond the shard count get none. That is logged once per dataset
object (not every epoch: the flag is shared with the workers), with the
worker counts, world sizes and ``--shard-multiple`` that would divide evenly.

With ``shuffle_buffer`` > 0, each rank's shards are read in a new order every
epoch and samples pass through a shuffle buffer of that many samples (raw
bytes: memory is about the buffer times the mean sample size, per worker),
seeded by ``(seed, epoch, rank, worker)``. Samples are decoded after the
buffer, so it holds compressed bytes. ``set_epoch`` reaches the workers when
they are started for each epoch (the ``DataLoader`` default;
``persistent_workers=True`` would keep the first epoch's order).
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from torch.utils.data import IterableDataset, get_worker_info

from ..errors import FormatError
from ._once import SharedFlag
from ._shardio import RawSample, ShardInfo, iter_shard, read_index
from .decode import decode_image
from .targets import keeps_of

__all__ = ["WebDatasetShards", "uneven_shares"]

log = logging.getLogger(__name__)

Transform = Callable[[Any], Any]
Decode = Callable[[bytes], Any] | Literal["pil", "bytes"] | None


def _raw(data: bytes) -> bytes:
    return data


class WebDatasetShards(IterableDataset[tuple[Any, ...]]):
    """The samples of one split of a WebDataset export, as ``(image, target)`` pairs.

    Args:
        source: the export folder, or its ``index.json``.
        split: which split's shards to read.
        shuffle_buffer: 0 reads shards and samples in order; N > 0 shuffles
            the shard order per epoch and samples through an N-sample buffer.
        seed: the shuffle's seed (combined with the epoch, rank and worker).
        decode: image bytes -> sample: ``"pil"`` (an RGB ``PIL.Image``, the
            default), ``"bytes"`` or None (the bytes as stored), or any
            picklable callable such as ``DraftResize(224, resize=256)``.
        transform: applied to the decoded sample.
        target_transform: applied to the class index; a ``ClassFilter``
            (``SuperclassTarget(..., unmatched="drop")``) also drops samples.
        rank, world_size: this process's share; default: ``torch.distributed``'s
            when it is initialised (also checked again when iterating), else 0 of 1.
        with_keys: yield ``(image, target, key)`` triples.
        verify: check each shard's sha256 against the index while reading.

    Raises:
        ShardIndexError: ``E_INDEX_MISSING`` / ``E_INDEX_CORRUPT`` (see
            ``read_index``); FormatError ``E_NO_SPLIT`` (no such split),
            ``E_OPTIONS`` (bad rank, world size or buffer). Iterating raises the
            shard and sample errors of ``synsetdb.loaders.errors``.
    """

    def __init__(
        self,
        source: str | os.PathLike[str],
        split: str = "train",
        *,
        shuffle_buffer: int = 0,
        seed: int = 0,
        decode: Decode = "pil",
        transform: Transform | None = None,
        target_transform: Transform | None = None,
        rank: int | None = None,
        world_size: int | None = None,
        with_keys: bool = False,
        verify: bool = False,
    ) -> None:
        index = read_index(source)
        if split not in index.splits:
            have = ", ".join(sorted(index.splits)) or "none"
            raise FormatError(
                f"the export has no split {split!r} (it has {have})", code="E_NO_SPLIT"
            )
        if shuffle_buffer < 0:
            raise FormatError("shuffle_buffer must be 0 or more", code="E_OPTIONS")
        self.root = index.root
        self.split = split
        self.release = {"name": index.release_name, "sha256": index.release_sha256}
        self.classes = [wnid for _, wnid, _ in index.classes]
        self.class_to_idx = {wnid: i for i, wnid in enumerate(self.classes)}
        self.shards: tuple[ShardInfo, ...] = index.splits[split]
        self.shuffle_buffer = shuffle_buffer
        self.seed = seed
        self.decode = _decoder(decode)
        self.transform = transform
        self.target_transform = target_transform
        self._explicit = rank is not None or world_size is not None
        self.rank, self.world_size = _resolve_rank(rank, world_size)
        self.with_keys = with_keys
        self.verify = verify
        self.epoch = 0
        self._uneven_told = SharedFlag()  # the uneven-shares warning: once, workers included

    def set_epoch(self, epoch: int) -> None:
        """Use the shuffle order of ``epoch`` from the next iteration on."""
        self.epoch = epoch

    # ------------------------------------------------------------------ shares

    def _rank_and_world(self) -> tuple[int, int]:
        if not self._explicit and (live := _distributed()) is not None:
            return live
        return self.rank, self.world_size

    def rank_shards(self) -> tuple[ShardInfo, ...]:
        """This rank's shards, in index order (its share for every epoch)."""
        rank, world = self._rank_and_world()
        return self.shards[rank::world]

    def worker_shards(self) -> list[ShardInfo]:
        """The shards the calling ``DataLoader`` worker reads this epoch, in reading order."""
        rank, world = self._rank_and_world()
        shards = list(self.shards[rank::world])
        if self.shuffle_buffer:
            random.Random(f"shards:{self.seed}:{self.epoch}:{rank}").shuffle(shards)
        info = get_worker_info()
        if info is None or info.id == 0:
            self._tell_uneven(world, 1 if info is None else info.num_workers)
        if info is None:
            return shards
        return shards[info.id :: info.num_workers]

    def _tell_uneven(self, world: int, workers: int) -> None:
        """Warn, once for this dataset, when ranks or workers get unequal shares of shards."""
        message = uneven_shares(len(self.shards), world, workers, self.release["name"] or "NAME")
        if message is not None and self._uneven_told.claim():
            log.warning("split %r: %s (said once per dataset)", self.split, message)

    def __len__(self) -> int:
        """This rank's samples per epoch (all its workers together), from the index."""
        if keeps_of(self.target_transform) is not None:
            raise TypeError("the length is unknown when the target transform drops classes")
        return sum(s.samples for s in self.rank_shards())

    # ------------------------------------------------------------------ iteration

    def _raw_samples(self, shards: Iterable[ShardInfo]) -> Iterator[RawSample]:
        keeps = keeps_of(self.target_transform)
        for shard in shards:
            for sample in iter_shard(shard, len(self.classes), verify=self.verify):
                if keeps is None or keeps(sample.cls):
                    yield sample

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        shards = self.worker_shards()
        samples = self._raw_samples(shards)
        if self.shuffle_buffer:
            samples = _shuffled(samples, self.shuffle_buffer, self._sample_rng())
        for raw in samples:
            yield self._finish(raw)

    def _sample_rng(self) -> random.Random:
        rank, _ = self._rank_and_world()
        info = get_worker_info()
        worker = 0 if info is None else info.id
        return random.Random(f"samples:{self.seed}:{self.epoch}:{rank}:{worker}")

    def _finish(self, raw: RawSample) -> tuple[Any, ...]:
        sample = self.decode(raw.image)
        if self.transform is not None:
            sample = self.transform(sample)
        target: Any = raw.cls
        if self.target_transform is not None:
            target = self.target_transform(target)
        return (sample, target, raw.key) if self.with_keys else (sample, target)

    def __repr__(self) -> str:
        return (
            f"WebDatasetShards({str(self.root)!r}, split={self.split!r}, shards={len(self.shards)},"
            f" shuffle_buffer={self.shuffle_buffer})"
        )


def uneven_shares(shards: int, world: int, workers: int, release: str = "RELEASE") -> str | None:
    """Why ``shards`` split over ``world`` ranks × ``workers`` is uneven, and what would fix it.

    None when every rank reads the same number of shards and, within a rank,
    every worker does. Uneven ranks come first: they change the length of a
    rank's epoch, which stalls distributed training, not only its speed.

    Example:
        >>> uneven_shares(12, 2, 3) is None
        True
        >>> print(uneven_shares(3, 1, 2, "v1"))  # doctest: +NORMALIZE_WHITESPACE
        3 shards do not divide evenly over 2 DataLoader workers: 1 worker reads 2 shards,
        1 reads 1, so part of every epoch runs on fewer workers. To fix: export with
        `synsetdb export v1 --format webdataset --shard-multiple 2 --out DIR` (a multiple of
        ranks x workers), or use num_workers=1 or 3, which divide 3 shards evenly
    """
    multiple = world * workers
    export = (
        f"`synsetdb export {release} --format webdataset --shard-multiple {multiple} --out DIR`"
    )
    if shards % world:
        return (
            f"{_count(shards)} over {world} ranks: "
            f"{_shares(shards, world, 'rank')}, so ranks see different numbers of samples "
            "per epoch and distributed training waits at each epoch's end for the ranks "
            f"that read more. To fix: export with {export} (a multiple of ranks x workers), "
            f"or use a world size of {' or '.join(map(str, _divisors_near(shards, world)))}"
        )
    per_rank = shards // world
    if per_rank % workers:
        where = _count(shards) if world == 1 else f"each rank's {_count(per_rank)}"
        near = _divisors_near(per_rank, workers)
        return (
            f"{where} over {workers} DataLoader workers: "
            f"{_shares(per_rank, workers, 'worker')}, so part of every epoch runs on fewer "
            f"workers. To fix: export with {export} (a multiple of ranks x workers), or use "
            f"num_workers={' or '.join(map(str, near))}, which "
            f"{'divide' if len(near) > 1 else 'divides'} {per_rank} shard{'s' * (per_rank > 1)}"
            " evenly"
        )
    return None


def _shares(total: int, parts: int, name: str) -> str:
    """``"1 worker reads 2 shards, 1 reads 1"``: how ``total`` shards fall over ``parts``."""
    less, more = divmod(total, parts)
    first = f"{more} {name}{'s read' if more > 1 else ' reads'} {less + 1} shard{'s' * bool(less)}"
    return f"{first}, {parts - more} read{'s' * (parts - more == 1)} {less or 'none'}"


def _count(shards: int) -> str:
    return (
        f"{shards} shard does not divide evenly"
        if shards == 1
        else (f"{shards} shards do not divide evenly")
    )


def _divisors_near(total: int, wanted: int) -> list[int]:
    """The divisors of ``total`` nearest ``wanted``: the largest below it, the smallest above."""
    divisors = [d for d in range(1, total + 1) if total % d == 0]
    return [*[d for d in divisors if d < wanted][-1:], *[d for d in divisors if d > wanted][:1]]


def _decoder(decode: Decode) -> Callable[[bytes], Any]:
    if decode == "pil":
        return decode_image
    if decode in ("bytes", None):
        return _raw
    if callable(decode):
        return decode
    raise FormatError(
        f"decode must be 'pil', 'bytes', None or a callable, not {decode!r}", code="E_OPTIONS"
    )


def _distributed() -> tuple[int, int] | None:
    """``torch.distributed``'s rank and world size when a process group is initialised."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return None


def _resolve_rank(rank: int | None, world_size: int | None) -> tuple[int, int]:
    if rank is None and world_size is None:
        live = _distributed()
        return (0, 1) if live is None else live
    if rank is None or world_size is None:
        raise FormatError("give both rank and world_size, or neither", code="E_OPTIONS")
    if world_size < 1 or not 0 <= rank < world_size:
        raise FormatError(f"rank {rank} is not in 0..{world_size - 1}", code="E_OPTIONS")
    return rank, world_size


def _shuffled(samples: Iterable[RawSample], size: int, rng: random.Random) -> Iterator[RawSample]:
    """A reservoir shuffle: fill a buffer, then emit a random member for each new sample."""
    buffer: list[RawSample] = []
    for sample in samples:
        if len(buffer) < size:
            buffer.append(sample)
            continue
        i = rng.randrange(size)
        yield buffer[i]
        buffer[i] = sample
    rng.shuffle(buffer)
    yield from buffer
