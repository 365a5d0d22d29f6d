"""Votes from outside crowds in, task batches for outside platforms out (CSV).

Vote files, detected from the header:

- crowd-kit rows: ``task,worker,label``, one vote per row. ``task`` is a
  candidate id (as ``export-tasks`` writes them); ``label`` is 1/0,
  true/false or yes/no.
- Mechanical Turk batch results: one row per assignment, with ``WorkerId``,
  ``Input.candidate_ids`` (the batch, space-separated, as ``export-tasks``
  wrote it) and ``Answer.selected`` (the ids the worker selected, separated by
  spaces, commas or ``|``). Every candidate of the batch gets a vote: yes if
  selected. Assignments with ``AssignmentStatus`` ``Rejected`` are skipped.

A file is read and checked whole before anything is stored: a malformed row
(missing column, unknown candidate, bad label) fails the import with every bad
line listed (code ``E_VOTES_FILE``), and nothing is written. The votes, and the
passwordless accounts of their workers, then go in one transaction. The same
file (by sha256) is refused a second time (``E_ALREADY_IMPORTED``): votes are
append-only, so a repeat would count twice.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, insert, select

from ..catalog import Catalog, aggregates, schema
from ..catalog._bulk import insert_ignoring_conflicts
from ..errors import VerifyError
from .accounts import is_valid_name
from .consensus import ConsensusConfig
from .tasks import refresh_decisions

__all__ = ["ImportReport", "VoteRow", "export_tasks", "import_votes", "read_vote_file"]

Format = Literal["auto", "crowdkit", "mturk"]
_MAX_LISTED = 20  # bad lines named in one error
_LABELS = {"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0}
# project_meta key of an imported file: this prefix and its sha256's first 52 hex digits
# (208 bits; the key column holds 64 characters)
_IMPORTED = "votes-file:"


@dataclass(frozen=True, slots=True)
class VoteRow:
    """One vote read from a file: its line, the candidate, the worker's name, the answer."""

    line: int
    candidate_id: int
    worker: str
    answer: int


@dataclass(frozen=True, slots=True)
class ImportReport:
    votes: int
    workers: int
    candidates: int
    skipped_assignments: int


def read_vote_file(path: str | Path, fmt: Format = "auto") -> tuple[list[VoteRow], int]:
    """Every vote of a file, checked, and the number of skipped (rejected) assignments.

    Raises:
        VerifyError: ``E_VOTES_FILE`` naming the bad lines (nothing is returned then).
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            kind = _detect(header, path) if fmt == "auto" else fmt
            parse = _mturk_rows if kind == "mturk" else _crowdkit_rows
            _require(header, _COLUMNS[kind], path)
            rows, errors, skipped = [], [], 0
            for line, record in enumerate(reader, start=2):
                try:
                    parsed = list(parse(line, record))
                except _BadRow as bad:
                    errors.append(f"line {line}: {bad}")
                    continue
                if kind == "mturk" and not parsed:  # a rejected assignment
                    skipped += 1
                rows.extend(parsed)
    except UnicodeDecodeError as exc:
        raise VerifyError(f"{path} is not UTF-8 text", code="E_VOTES_FILE") from exc
    except OSError as exc:
        raise VerifyError(f"cannot read {path}: {exc}", code="E_VOTES_FILE") from exc
    if errors:
        raise VerifyError(_listing(path, errors), code="E_VOTES_FILE")
    return rows, skipped


def import_votes(
    catalog: Catalog,
    path: str | Path,
    fmt: Format = "auto",
    consensus: ConsensusConfig | None = None,
) -> ImportReport:
    """Store a vote file's votes in one transaction, then refresh the touched synsets' decisions.

    Raises:
        VerifyError: ``E_VOTES_FILE`` (bad rows, unknown candidates: nothing
            stored), ``E_ALREADY_IMPORTED``.
    """
    rows, skipped = read_vote_file(path, fmt)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    key = _IMPORTED + digest[:52]
    with catalog.engine.begin() as conn:
        if conn.execute(
            select(schema.project_meta.c.key).where(schema.project_meta.c.key == key)
        ).first():
            raise VerifyError(
                f"{path} was imported before (sha256 {digest[:12]}…)", code="E_ALREADY_IMPORTED"
            )
        synset_of = _check_candidates(conn, rows, Path(path))
        worker_ids = _workers(conn, sorted({r.worker for r in rows}))
        now = datetime.now(UTC)
        if rows:
            conn.execute(
                insert(schema.vote),
                [
                    {
                        "candidate_id": r.candidate_id,
                        "worker_id": worker_ids[r.worker],
                        "task_id": None,
                        "answer": r.answer,
                        "is_control": False,
                        "created_at": now,
                    }
                    for r in rows
                ],
            )
            aggregates.count_votes(conn, [now] * len(rows))
        conn.execute(insert(schema.project_meta).values(key=key, value=str(path)))
    for synset_id in sorted(set(synset_of.values())):
        refresh_decisions(catalog, synset_id, consensus)
    return ImportReport(len(rows), len(worker_ids), len(synset_of), skipped)


def export_tasks(
    catalog: Catalog,
    out: str | Path,
    *,
    wnid: str | None = None,
    batch_size: int = 48,
    url_prefix: str | None = None,
) -> int:
    """Write batches of open candidates as a CSV for an outside platform; returns the batch count.

    Columns: ``batch``, ``wnid``, ``words``, ``gloss``, ``candidate_ids`` and
    ``image_ids`` (space-separated, in the same order), and ``image_urls``
    when ``url_prefix`` is given (``{url_prefix}/{image_id}``). The file is
    written to a temporary name and renamed, so a failure leaves no half file.
    """
    if batch_size < 1:
        raise VerifyError("batch_size must be >= 1", code="E_CONFIG")
    c, s = schema.candidate, schema.synset
    query = (
        select(c.c.id, c.c.image_id, s.c.wnid, s.c.lemmas, s.c.gloss)
        .join(s, s.c.id == c.c.synset_id)
        .where(c.c.status == "candidate")
        .order_by(s.c.wnid, c.c.id)
    )
    if wnid is not None:
        query = query.where(c.c.synset_id == catalog.synset_id(wnid))
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        batches = _write_batches(catalog, query, tmp, batch_size, url_prefix)
        tmp.replace(out)
    except OSError as exc:
        raise VerifyError(f"cannot write {out}: {exc.strerror or exc}", code="E_EXPORT") from exc
    finally:
        tmp.unlink(missing_ok=True)  # only left when writing failed
    return batches


def _write_batches(
    catalog: Catalog, query: Any, path: Path, batch_size: int, url_prefix: str | None
) -> int:
    batches = 0
    with catalog.engine.connect() as conn, path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        header = ["batch", "wnid", "words", "gloss", "candidate_ids", "image_ids"]
        writer.writerow(header + (["image_urls"] if url_prefix else []))
        for batch in _batches(conn.execute(query), batch_size):
            batches += 1
            first = batch[0]
            row = [
                batches,
                first.wnid,
                ", ".join(first.lemmas.split("\t")),
                first.gloss,
                " ".join(str(r.id) for r in batch),
                " ".join(r.image_id for r in batch),
            ]
            if url_prefix:
                row.append(" ".join(f"{url_prefix.rstrip('/')}/{r.image_id}" for r in batch))
            writer.writerow(row)
    return batches


# ----------------------------------------------------------------------------- reading


class _BadRow(ValueError):
    pass


_COLUMNS = {
    "crowdkit": ("task", "worker", "label"),
    "mturk": ("WorkerId", "Input.candidate_ids", "Answer.selected"),
}


def _detect(header: Sequence[str], path: Path) -> Literal["crowdkit", "mturk"]:
    if "WorkerId" in header:
        return "mturk"
    if {"task", "worker", "label"} <= set(header):
        return "crowdkit"
    raise VerifyError(
        f"{path}: neither crowd-kit rows (task,worker,label) nor MTurk batch results "
        f"(WorkerId, Input.candidate_ids, Answer.selected); header: {list(header)}",
        code="E_VOTES_FILE",
    )


def _require(header: Sequence[str], columns: Sequence[str], path: Path) -> None:
    missing = [c for c in columns if c not in header]
    if missing:
        raise VerifyError(f"{path}: missing column(s) {', '.join(missing)}", code="E_VOTES_FILE")


def _crowdkit_rows(line: int, record: dict[str, str]) -> Iterator[VoteRow]:
    worker = _worker_name(record.get("worker"))
    label = _LABELS.get((record.get("label") or "").strip().lower())
    if label is None:
        raise _BadRow(f"label {record.get('label')!r} is not 1/0, true/false or yes/no")
    yield VoteRow(line, _candidate_id(record.get("task")), worker, label)


def _mturk_rows(line: int, record: dict[str, str]) -> Iterator[VoteRow]:
    if (record.get("AssignmentStatus") or "").strip() == "Rejected":
        return
    worker = _worker_name(record.get("WorkerId"))
    batch = [_candidate_id(x) for x in (record.get("Input.candidate_ids") or "").split()]
    if not batch:
        raise _BadRow("empty Input.candidate_ids")
    selected = {
        _candidate_id(x) for x in re.split(r"[\s,|]+", record.get("Answer.selected") or "") if x
    }
    stray = selected - set(batch)
    if stray:
        raise _BadRow(f"selected ids not in the batch: {sorted(stray)[:5]}")
    for candidate in batch:
        yield VoteRow(line, candidate, worker, int(candidate in selected))


def _worker_name(value: str | None) -> str:
    name = (value or "").strip()
    if not is_valid_name(name):
        raise _BadRow(f"worker {name[:40]!r} is not a usable name (1-128 characters, no spaces)")
    return name


def _candidate_id(value: str | None) -> int:
    text = (value or "").strip()
    if not text.isdigit():
        raise _BadRow(f"candidate id {value!r} is not a number")
    return int(text)


def _listing(path: Path, errors: list[str]) -> str:
    shown = "; ".join(errors[:_MAX_LISTED])
    more = f"; and {len(errors) - _MAX_LISTED} more" if len(errors) > _MAX_LISTED else ""
    return f"{path}: {len(errors)} bad row(s), nothing imported: {shown}{more}"


# ----------------------------------------------------------------------------- storing


def _check_candidates(conn: Connection, rows: list[VoteRow], path: Path) -> dict[int, int]:
    """Candidate id -> synset id for every voted candidate; unknown ones fail the import."""
    c = schema.candidate
    wanted = sorted({r.candidate_id for r in rows})
    synset_of: dict[int, int] = {}
    for start in range(0, len(wanted), 10_000):
        chunk = wanted[start : start + 10_000]
        synset_of.update(conn.execute(select(c.c.id, c.c.synset_id).where(c.c.id.in_(chunk))).all())
    errors = [
        f"line {r.line}: no candidate {r.candidate_id}"
        for r in rows
        if r.candidate_id not in synset_of
    ]
    if errors:
        raise VerifyError(_listing(path, errors), code="E_VOTES_FILE")
    return synset_of


def _workers(conn: Connection, names: list[str]) -> dict[str, int]:
    """Ids of the named workers, creating passwordless accounts for new names."""
    w = schema.worker
    now = datetime.now(UTC)
    if names:
        conn.execute(
            insert_ignoring_conflicts(conn, w),
            [
                {
                    "name": n,
                    "role": "worker",
                    "password_hash": None,
                    "is_active": True,
                    "created_at": now,
                }
                for n in names
            ],
        )
    ids: dict[str, int] = {}
    for start in range(0, len(names), 10_000):
        chunk = names[start : start + 10_000]
        ids.update(conn.execute(select(w.c.name, w.c.id).where(w.c.name.in_(chunk))).all())
    return ids


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive rows of one synset, ``size`` at a time."""
    batch: list[Any] = []
    for row in rows:
        if batch and (len(batch) == size or row.wnid != batch[0].wnid):
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch
