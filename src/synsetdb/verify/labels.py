"""Decisions taken without a crowd: a person's bulk accept or reject, and trusted sources.

A lab that labelled its own photos does not need five strangers to vote on
them. Two ways in:

* :func:`decide_labels` accepts or rejects the candidates a
  :class:`LabelSelection` picks (by synset, source, release, or a list of image
  ids or file paths), as one person's decisions with a reason;
* :func:`trust_source` accepts a source's open candidates as given (its labels
  are the truth, as ILSVRC-2012's are), and :func:`untrust_source` returns
  them to the pool.

Every change is one transaction, keeps the maintained counts right, sets
``candidate.decided_by`` (``person`` or ``source``, never to be confused with
the crowd's ``crowd``) and appends a row per candidate to the ``decision`` log.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from ..catalog import Catalog, aggregates, schema
from ..catalog.browse import release_id
from ..catalog.ingest_reads import match_source
from ..errors import VerifyError

__all__ = [
    "LabelReport",
    "LabelSelection",
    "decide_labels",
    "log_decisions",
    "read_image_list",
    "resolve_source",
    "trust_source",
    "untrust_source",
]

OPEN_STATUSES = ("candidate", "undecided")
_CHUNK = 5_000  # ids per IN (...) list
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class LabelSelection:
    """Which candidates a bulk decision touches; the criteria given must all hold.

    Attributes:
        wnids: candidates of these synsets (with ``subtree``: or of any synset under them).
        subtree: widen ``wnids`` to their subtrees.
        source: candidates that came from this source (``folder:/data/photos``).
        release: candidates whose (image, synset) pair is in this release.
        image_ids: candidates of these images (sha256 ids; :func:`read_image_list`
            turns a file of ids or paths into them).
    """

    wnids: tuple[str, ...] = ()
    subtree: bool = False
    source: str | None = None
    release: str | None = None
    image_ids: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not (self.wnids or self.source or self.release or self.image_ids is not None):
            raise VerifyError(
                "say which candidates: a synset, a source, a release or a file of images",
                code="E_NO_SELECTION",
            )


@dataclass(slots=True)
class LabelReport:
    """What a bulk decision did.

    Attributes:
        status: the status given (``accepted``, ``rejected`` or ``candidate``).
        matched: candidates the selection picked.
        changed: of those, how many changed, by their status before.
        unchanged: already in ``status``.
        kept: decided before (by the crowd, a person or a trusted source) and
            left alone, by status; ``override`` decides them too.
    """

    status: str
    matched: int = 0
    changed: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0
    kept: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "matched": self.matched,
            "changed": dict(sorted(self.changed.items())),
            "unchanged": self.unchanged,
            "kept": dict(sorted(self.kept.items())),
        }


def decide_labels(
    catalog: Catalog,
    selection: LabelSelection,
    status: str,
    *,
    actor: str,
    reason: str,
    override: bool = False,
) -> LabelReport:
    """Give the selected candidates ``status`` (``accepted`` or ``rejected``) as a person's call.

    Open candidates (``candidate``, ``undecided``) change; candidates decided
    before are kept and counted unless ``override`` is set.

    Raises:
        VerifyError: ``E_STATUS`` for another status, ``E_NO_REASON`` without a reason.
        NotFoundError: an unknown synset (with suggestions), source or release.
    """
    if status not in ("accepted", "rejected"):
        raise VerifyError(f"a person accepts or rejects, not {status!r}", code="E_STATUS")
    if not reason.strip():
        raise VerifyError("a decision needs a reason (--reason)", code="E_NO_REASON")
    with catalog.engine.begin() as conn:
        aggregates.bump_generation(conn)  # first: every writer of the counts locks in one order
        rows = _selected(conn, catalog, selection)
        report = LabelReport(status)
        to_change: list[int] = []
        for candidate_id, current in rows:
            report.matched += 1
            if current == status:
                report.unchanged += 1
            elif current in OPEN_STATUSES or override:
                report.changed[current] += 1
                to_change.append(candidate_id)
            else:
                report.kept[current] += 1
        _set_status(conn, to_change, status, "person", actor=actor, reason=reason.strip())
    return report


def trust_source(catalog: Catalog, source: str, *, actor: str) -> LabelReport:
    """Accept the source's open candidates as given: their labels are trusted.

    Candidates the crowd or a person decided stay as they are.
    """
    with catalog.engine.begin() as conn:
        aggregates.bump_generation(conn)
        name = resolve_source(conn, source)
        c = schema.candidate.c
        rows = conn.execute(select(c.id, c.status).where(c.source == name)).all()
        report = LabelReport("accepted")
        to_change = []
        for candidate_id, current in rows:
            report.matched += 1
            if current == "candidate":
                report.changed[current] += 1
                to_change.append(int(candidate_id))
            else:
                report.kept[current] += 1
        reason = f"source trusted by {actor}"
        _set_status(conn, to_change, "accepted", "source", actor=name, reason=reason)
    return report


def untrust_source(catalog: Catalog, source: str, *, actor: str) -> LabelReport:
    """Return the candidates accepted because their source was trusted to the pool to verify."""
    with catalog.engine.begin() as conn:
        aggregates.bump_generation(conn)
        name = resolve_source(conn, source)
        c = schema.candidate.c
        rows = conn.execute(select(c.id, c.status, c.decided_by).where(c.source == name)).all()
        report = LabelReport("candidate")
        to_change = []
        for candidate_id, current, decided_by in rows:
            report.matched += 1
            if decided_by == "source":
                report.changed[current] += 1
                to_change.append(int(candidate_id))
            elif current == "candidate":
                report.unchanged += 1
            else:
                report.kept[current] += 1
        reason = f"source no longer trusted ({actor})"
        _set_status(conn, to_change, "candidate", "person", actor=actor, reason=reason)
    return report


def resolve_source(conn: Connection, text: str) -> str:
    """The candidates' source name for what a person typed: the name, or a folder's path.

    Raises:
        NotFoundError: ``E_UNKNOWN_SOURCE``, listing the sources the catalog knows.
    """
    c = schema.candidate.c
    known = conn.execute(select(c.source).distinct()).scalars()
    return match_source(text, known, f"no candidates came from source {text!r}")


def read_image_list(catalog: Catalog, path: str | Path) -> tuple[str, ...]:
    """The image ids a file lists, one per line: sha256 ids, or paths of ingested files.

    A path is matched against what ingest recorded: an absolute path under a
    folder source's root, or a key as a source gave it (``n02084071/a.jpg``).
    Blank lines and ``#`` comments are skipped.

    Raises:
        VerifyError: ``E_UNKNOWN_IMAGE`` naming the first lines that match no
            stored image (nothing is decided then).
    """
    lines = _list_lines(Path(path))
    ids: list[str] = []
    unknown: list[str] = []
    with catalog.engine.connect() as conn:
        folders = _folder_roots(conn)
        for line_no, text in lines:
            found = text if _SHA256.match(text) else _image_of_path(conn, text, folders)
            if found is None or not _image_exists(conn, found):
                unknown.append(f"line {line_no}: {text}")
            else:
                ids.append(found)
    if unknown:
        raise VerifyError(
            f"{len(unknown)} line(s) of {path} name no stored image: "
            + "; ".join(unknown[:5])
            + (" …" if len(unknown) > 5 else ""),
            code="E_UNKNOWN_IMAGE",
        )
    return tuple(dict.fromkeys(ids))


# ----------------------------------------------------------------------------- internals


def _list_lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VerifyError(f"cannot read {path}: {exc}", code="E_READ") from None
    lines = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append((line_no, line.lower() if _SHA256.match(line.lower()) else line))
    return lines


def _folder_roots(conn: Connection) -> list[tuple[str, str]]:
    """(source name, root path) of every folder source in the ingest log."""
    log = schema.ingest_item.c
    names = conn.execute(select(log.source).distinct().where(log.source.like("folder:%")))
    return [(str(n), str(n).removeprefix("folder:")) for n in names.scalars()]


def _image_of_path(conn: Connection, text: str, folders: Sequence[tuple[str, str]]) -> str | None:
    log = schema.ingest_item.c
    where = [log.key == text]
    absolute = Path(text).expanduser().absolute()
    for name, root in folders:
        if absolute.is_relative_to(root):
            key = absolute.relative_to(root).as_posix()
            where.append(and_(log.source == name, log.key == key))
    for condition in where:
        found = conn.execute(
            select(log.image_id).where(condition, log.image_id.is_not(None)).limit(1)
        ).scalar()
        if found is not None:
            return str(found)
    return None


def _image_exists(conn: Connection, image_id: str) -> bool:
    i = schema.image.c
    return conn.execute(select(i.id).where(i.id == image_id)).first() is not None


def _selected(
    conn: Connection, catalog: Catalog, selection: LabelSelection
) -> list[tuple[int, str]]:
    """(candidate id, status) of every candidate the selection picks."""
    c = schema.candidate.c
    query = select(c.id, c.status)
    if selection.wnids:
        query = query.where(c.synset_id.in_(_synset_ids(conn, catalog, selection)))
    if selection.source is not None:
        query = query.where(c.source == resolve_source(conn, selection.source))
    if selection.release is not None:
        ri = schema.release_item.c
        query = query.join(
            schema.release_item, and_(ri.image_id == c.image_id, ri.synset_id == c.synset_id)
        ).where(ri.release_id == release_id(conn, selection.release))
    if selection.image_ids is None:
        return [(int(i), str(s)) for i, s in conn.execute(query)]
    found: list[tuple[int, str]] = []
    ids = list(selection.image_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = query.where(c.image_id.in_(ids[start : start + _CHUNK]))
        found.extend((int(i), str(s)) for i, s in conn.execute(chunk))
    return found


def _synset_ids(conn: Connection, catalog: Catalog, selection: LabelSelection) -> list[int]:
    ids = [catalog.synset_id(wnid) for wnid in selection.wnids]  # unknown ids: suggestions
    if not selection.subtree:
        return ids
    closure = schema.synset_closure.c
    under = conn.execute(select(closure.descendant_id).where(closure.ancestor_id.in_(ids)))
    return sorted({*ids, *(int(i) for i in under.scalars())})


def _set_status(
    conn: Connection,
    candidate_ids: Sequence[int],
    status: str,
    decided_by: str,
    *,
    actor: str,
    reason: str,
) -> None:
    """The status change and its log rows, counts kept right, in the caller's transaction."""
    if not candidate_ids:
        return
    c = schema.candidate
    now = datetime.now(UTC)
    mark = None if status == "candidate" else decided_by
    with aggregates.counting_candidates(conn, candidate_ids):
        for chunk in _chunks(candidate_ids):
            conn.execute(
                update(c)
                .where(c.c.id.in_(chunk))
                .values(status=status, decided_by=mark, updated_at=now)
            )
    log_decisions(conn, candidate_ids, status, decided_by, actor=actor, reason=reason, now=now)


def log_decisions(
    conn: Connection,
    candidate_ids: Iterable[int],
    status: str,
    decided_by: str,
    *,
    actor: str | None,
    reason: str | None,
    now: datetime,
) -> None:
    """Append one ``decision`` row per candidate (the log is never updated)."""
    rows = [
        {
            "candidate_id": i,
            "status": status,
            "decided_by": decided_by,
            "actor": actor,
            "reason": reason,
            "created_at": now,
        }
        for i in candidate_ids
    ]
    for start in range(0, len(rows), _CHUNK):
        conn.execute(insert(schema.decision), rows[start : start + _CHUNK])


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
