"""``release verify``: re-hash every blob a release names and compare the catalog's rows.

A release never changes, so anything that differs from its manifest is
damage: a blob gone from the store (``E_BLOB_MISSING``), a blob whose bytes no
longer hash to its key (``E_BLOB_CORRUPT``), ``release_item`` rows that do not
match the manifest's items (``E_ITEMS_MISMATCH``). The manifest file itself is
checked by ``load_release`` (``E_MANIFEST_MISMATCH``). Each problem names the
items it touches; the CLI exits non-zero when there is any.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..catalog import Project, schema
from ..catalog.blobs import BlobStore
from ..errors import SynsetdbError
from .handle import Release
from .store import load_release

__all__ = ["ReleaseProblem", "VerifyReport", "verify_release"]

_EXAMPLES = 5  # item names listed per problem


@dataclass(frozen=True, slots=True)
class ReleaseProblem:
    """One thing wrong with a stored release.

    Attributes:
        code: ``E_BLOB_MISSING``, ``E_BLOB_CORRUPT`` or ``E_ITEMS_MISMATCH``.
        subject: the blob key, or ``release_item`` for the rows.
        items: names of the items concerned (the first few for row mismatches).
        message: one line for people.
    """

    code: str
    subject: str
    items: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "subject": self.subject,
            "items": list(self.items),
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What ``verify_release`` checked and found."""

    name: str
    sha256: str
    items: int
    blobs: int
    problems: tuple[ReleaseProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for p in self.problems:
            counts[p.code] = counts.get(p.code, 0) + 1
        return {
            "name": self.name,
            "sha256": self.sha256,
            "ok": self.ok,
            "items": self.items,
            "blobs_checked": self.blobs,
            "problem_counts": counts,
            "problems": [p.to_dict() for p in self.problems],
        }


def verify_release(project: Project, name: str, *, threads: int | None = None) -> VerifyReport:
    """Re-hash every blob of release ``name`` and compare its catalog rows with its manifest.

    Args:
        project: the project holding the release.
        name: the release.
        threads: blobs hashed at once (hashlib and file reads release the GIL);
            default: twice the cores, at most 16.

    Raises:
        ReleaseError: from ``load_release`` (``E_NO_RELEASE``, ``E_MANIFEST_MISMATCH``, …).
    """
    release = load_release(project, name)
    by_blob: dict[str, list[str]] = {}
    for item in release.manifest.items:
        by_blob.setdefault(item.blob, []).append(item.name)
    problems = list(_blob_problems(release.blobs, by_blob, threads))
    problems.extend(_row_problems(project, release))
    return VerifyReport(
        name, release.sha256, len(release.manifest.items), len(by_blob), tuple(problems)
    )


def _blob_problems(
    blobs: BlobStore, by_blob: Mapping[str, Sequence[str]], threads: int | None
) -> Iterator[ReleaseProblem]:
    keys = sorted(by_blob)
    workers = threads or min(16, 2 * (os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for key, failure in zip(keys, pool.map(_check_blob(blobs), keys), strict=True):
            if failure is not None:
                code, message = failure
                yield ReleaseProblem(code, key, tuple(by_blob[key]), message)


def _check_blob(blobs: BlobStore) -> Any:
    def check(key: str) -> tuple[str, str] | None:
        try:
            blobs.get(key, verify=True)
        except SynsetdbError as exc:
            return exc.code, str(exc)
        except OSError as exc:
            return "E_BLOB_READ", f"cannot read blob {key}: {exc}"
        return None

    return check


def _row_problems(project: Project, release: Release) -> Iterator[ReleaseProblem]:
    """The ``release_item`` rows against the manifest's (image, wnid, split) triples."""
    r, ri, s = schema.release.c, schema.release_item.c, schema.synset.c
    query = (
        select(ri.image_id, s.wnid, ri.split)
        .join_from(schema.release_item, schema.release, r.id == ri.release_id)
        .join(schema.synset, s.id == ri.synset_id)
        .where(r.name == release.name)
    )
    with project.catalog.engine.connect() as conn:
        rows = {(image, wnid, split) for image, wnid, split in conn.execute(query)}
    wanted = {(it.image, it.wnid, it.split): it.name for it in release.manifest.items}
    missing = [wanted[t] for t in sorted(set(wanted) - rows)]
    extra = sorted(rows - set(wanted))
    if missing or extra:
        yield ReleaseProblem(
            "E_ITEMS_MISMATCH",
            "release_item",
            tuple(missing[:_EXAMPLES]),
            f"the catalog's release_item rows differ from the manifest: {len(missing)} "
            f"item(s) without a row, {len(extra)} row(s) not in the manifest",
        )
