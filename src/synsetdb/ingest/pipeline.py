"""The ingest stage: source items in, validated and deduplicated images in the catalog.

Decoding, hashing and blob writes run in worker processes; this process only
reads the source, resolves labels and writes catalog batches. A blob is always
written before the row that names it, and each batch of rows is one
transaction, so killing an ingest at any moment leaves every committed image
stored once with nothing dangling, and a re-run picks up where it stopped.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from ..catalog import (
    BlobStore,
    BoxRecord,
    ImageRecord,
    IngestEntry,
    Project,
    RenditionRecord,
    open_blob_store,
)
from ..engine import LocalEngine
from ..errors import ConfigError, IngestError
from ..imaging.variants import VARIANTS_VERSION
from .items import Inspected, Rejected, Source, SourceItem
from .labels import unknown_label_message
from .validate import Flagged, ValidationConfig, inspect_image

__all__ = ["IngestConfig", "IngestReport", "Rejection", "ingest"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """How to ingest.

    Attributes:
        validation: what counts as a usable image, and the renditions made.
        workers: worker processes (default: one more than the cores, since workers
            also wait on file writes; 0 runs everything in this process).
        batch_size: inputs per catalog transaction.
        label_status: the status labelled images get as candidates: ``candidate``
            for images still to verify, ``accepted`` for already-verified
            datasets such as ILSVRC-2012.
        retry_rejected: try again the inputs earlier runs of the source rejected
            (a fixed file under its old name, a server back up); by default a
            re-run skips every input it has logged.
    """

    validation: ValidationConfig = field(default_factory=ValidationConfig)
    workers: int | None = None
    batch_size: int = 256
    label_status: str = "candidate"
    retry_rejected: bool = False

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError("batch_size must be at least 1", code="E_CONFIG")
        if self.label_status not in ("candidate", "accepted"):
            raise ConfigError("label_status must be 'candidate' or 'accepted'", code="E_CONFIG")


@dataclass(frozen=True, slots=True)
class Rejection:
    """One input of this run that was not stored: where it was, the code and the reason."""

    input: str  # a file's path, a URL, an archive member or a source's key
    code: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"input": self.input, "code": self.code, "detail": self.detail}


@dataclass(slots=True)
class IngestReport:
    """Counts by outcome and by reason code, and every rejected input; ``to_dict`` for ``--json``.

    ``total`` is what the source holds, skipped inputs included, when the source
    can tell (:meth:`~synsetdb.ingest.items.Source.total`); it arrives from a
    background thread while the run goes on, so it stays None for a while, or
    for good when counting is not cheap for that source.
    """

    source: str
    seen: int = 0  # inputs looked at in this run
    skipped: int = 0  # inputs done by earlier runs of the same source
    added: int = 0
    duplicate: int = 0
    rejected: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    total: int | None = None
    rejections: list[Rejection] = field(default_factory=list)  # in input order

    @property
    def processed(self) -> int:
        return self.added + self.duplicate + self.rejected

    @property
    def rate(self) -> float:
        """Inputs processed per second in this run (0.0 before the first batch)."""
        return self.processed / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds until every input is processed at the current rate; None while unknown."""
        if self.total is None or not self.rate:
            return None
        remaining = max(0, self.total - self.skipped - self.processed)
        return remaining / self.rate

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "total": self.total,
            "seen": self.seen,
            "skipped": self.skipped,
            "added": self.added,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "codes": dict(sorted(self.codes.items())),
            "elapsed_s": round(self.elapsed_s, 3),
            "items_per_s": round(self.rate, 1),
            "rejections": [r.to_dict() for r in self.rejections],
        }


def process_item(
    item: SourceItem, *, blob_url: str, config: ValidationConfig
) -> ImageRecord | Rejected:
    """Worker side: read, validate, hash and store one image (original and renditions)."""
    try:
        data = item.read()
    except OSError as exc:
        return Rejected("E_READ", f"cannot read {item.path}: {exc.strerror or exc}")
    result = inspect_image(data, config)
    if isinstance(result, Rejected):
        return result
    return _store(data, result, blob_url)


@functools.cache
def _worker_blobs(blob_url: str) -> BlobStore:
    """One store per worker process. Not durable per file: the writer syncs per batch."""
    return open_blob_store(blob_url, durable=False)


def _store(data: bytes, image: Inspected, blob_url: str) -> ImageRecord:
    """Write the original and its renditions as blobs; the record naming them comes later."""
    blobs = _worker_blobs(blob_url)
    copy = image.resized
    try:
        key = blobs.put(data, key=image.sha256)
        thumbnail_key = blobs.put(image.thumbnail) if image.thumbnail is not None else None
        renditions = (
            (RenditionRecord(copy.kind, blobs.put(copy.data), copy.width, copy.height),)
            if copy is not None
            else ()
        )
    except OSError as exc:  # disk full, permissions: the whole run stops, nothing half-stored
        raise IngestError(
            f"cannot write to the blob store {blob_url}: {exc}", code="E_BLOB_WRITE"
        ) from exc
    finding = (image.code, image.detail) if isinstance(image, Flagged) else None
    return ImageRecord(
        id=image.sha256,
        width=image.width,
        height=image.height,
        format=image.format,
        byte_size=image.byte_size,
        blob_key=key,
        phash=image.phash,
        thumbnail_key=thumbnail_key,
        renditions=renditions,
        variants=image.variants,
        variants_version=VARIANTS_VERSION if image.variants is not None else None,
        finding=finding,
    )


def ingest(
    project: Project,
    source: Source,
    config: IngestConfig | None = None,
    progress: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Ingest every item of ``source`` not ingested before; return what happened."""
    config = config or IngestConfig()
    run = _Run(project, source, config, progress)
    return run.execute()


class _Run:
    """One ingest run: the early checks, the worker pool and the batched writer."""

    def __init__(
        self,
        project: Project,
        source: Source,
        config: IngestConfig,
        progress: Callable[[IngestReport], None] | None,
    ) -> None:
        self.project, self.source, self.config, self.progress = project, source, config, progress
        self.catalog = project.catalog
        self.synset_ids: Mapping[str, int] = self.catalog.synset_ids()
        self.report = IngestReport(source.name)
        self.batch: list[IngestEntry] = []
        self.batch_rejections: list[Rejection] = []
        self.pending: Future[None] | None = None
        self.writer: ThreadPoolExecutor
        self.started = time.perf_counter()
        self.finished = False  # set under `lock` when the report is final
        self.lock = threading.Lock()

    def execute(self) -> IngestReport:
        check_labels = getattr(self.source, "check_labels", None)
        if check_labels is not None:  # a source that can refuse bad labels before any work
            check_labels(self.synset_ids, self._unknown_label)
        threading.Thread(target=self._count, name="synsetdb-total", daemon=True).start()
        done = self.catalog.done_keys(self.source.name, rejected=not self.config.retry_rejected)
        self.report.skipped = len(done)
        work = partial(
            process_item,
            blob_url=self.project.settings.resolved_blob_url(),
            config=self.config.validation,
        )
        workers = self.config.workers
        engine = LocalEngine((os.cpu_count() or 1) + 1 if workers is None else workers)
        # One writer thread: while it syncs blobs and commits a batch, this thread
        # keeps the workers fed. At most one batch waits for it (bounded memory).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="synsetdb-writer") as writer:
            self.writer = writer
            for item, result in engine.imap(work, self._to_process(done)):
                self._add(item, result)
            self._flush()
            self._wait_for_writer()
        with self.lock:  # a total counted after this point would change a returned report
            self.finished = True
        log.info("ingest %s: %s", self.source.name, self.report.to_dict())
        return self.report

    def _count(self) -> None:
        """Background thread: the source's total, for progress only; it can never fail the run."""
        try:
            total = self.source.total()
        except Exception:
            log.debug("ingest %s: no total, counting failed", self.source.name, exc_info=True)
            return
        with self.lock:
            if not self.finished:
                self.report.total = total

    def _to_process(self, done: set[str]) -> Iterator[SourceItem]:
        """Items that need a worker; the rest are counted or logged right here."""
        for item in self.source.items(skip=done):
            self.report.seen += 1
            if item.key in done:  # sources may leave done keys out; these did not
                continue
            problem = item.problem or self._label_problem(item)
            if problem is not None:
                self._add(item, problem)
                continue
            yield item

    def _label_problem(self, item: SourceItem) -> Rejected | None:
        for wnid in {item.wnid, *(box.wnid for box in item.boxes)} - {None}:
            if wnid not in self.synset_ids:
                assert wnid is not None
                return Rejected("E_LABEL", self._unknown_label(wnid))
        return None

    @functools.cache  # noqa: B019  (one run, a handful of distinct bad labels)
    def _unknown_label(self, wnid: str) -> str:
        """Why a label is refused, with the synsets it probably meant."""
        return unknown_label_message(wnid, self.project.taxonomy)

    def _add(self, item: SourceItem, result: ImageRecord | Rejected) -> None:
        ids = self.synset_ids
        image = self._with_origin(result, item) if isinstance(result, ImageRecord) else None
        rejected = result if isinstance(result, Rejected) else None
        # An image accepted with a finding (corrupt data, flagged) keeps its code in the log.
        noted = rejected or (Rejected(*image.finding) if image and image.finding else None)
        if rejected is not None:
            where = item.path or item.provenance.get("url") or item.key
            self.batch_rejections.append(Rejection(str(where), rejected.code, rejected.detail))
        self.batch.append(
            IngestEntry(
                source=self.source.name,
                key=item.key,
                image=image,
                code=noted.code if noted else None,
                detail=noted.detail if noted else None,
                wnid=item.wnid,
                synset_id=ids[item.wnid] if item.wnid and image else None,
                split=item.split,
                file_name=item.name or None,
                boxes=tuple(BoxRecord(ids[b.wnid], b.x0, b.y0, b.x1, b.y1) for b in item.boxes)
                if image
                else (),
                provenance=dict(item.provenance),
            )
        )
        if len(self.batch) >= self.config.batch_size:
            self._flush()

    def _with_origin(self, image: ImageRecord, item: SourceItem) -> ImageRecord:
        """The image with where it was seen and its licence (kept for the first sighting only)."""
        licence = item.provenance.get("licence", item.provenance.get("license"))
        return replace(image, source=self.source.name, licence=str(licence) if licence else None)

    def _flush(self) -> None:
        if not self.batch:
            return
        self._wait_for_writer()  # batches commit in order, one at a time
        batch, self.batch = self.batch, []
        rejections, self.batch_rejections = self.batch_rejections, []
        self.pending = self.writer.submit(self._write, batch, rejections)

    def _wait_for_writer(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()  # re-raises the writer's error here

    def _write(self, batch: list[IngestEntry], rejections: list[Rejection]) -> None:
        """Writer thread: make the batch's blobs durable, then commit its rows."""
        if any(e.image is not None for e in batch):
            self.project.blobs.sync()  # blobs reach the disk before rows that name them
        tally = self.catalog.record_ingest(
            batch,
            label_status=self.config.label_status,
            retry_rejected=self.config.retry_rejected,
        )
        self.report.added += tally.added
        self.report.duplicate += tally.duplicate
        self.report.rejected += tally.rejected
        self.report.codes.update(e.code for e in batch if e.code)
        self.report.rejections.extend(rejections)
        self.report.elapsed_s = time.perf_counter() - self.started
        if self.progress is not None:
            self.progress(self.report)
