"""Reading the ingest log back: what each source gave, and every input that was rejected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from ..errors import NotFoundError
from . import schema

__all__ = [
    "LoggedInput",
    "SourceSummary",
    "logged_inputs",
    "match_source",
    "resolve_ingest_source",
    "sources",
]


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """One source's inputs by outcome, and when it was last ingested."""

    source: str
    added: int
    duplicate: int
    rejected: int
    last: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "added": self.added,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "last": self.last.isoformat() if self.last else None,
        }


@dataclass(frozen=True, slots=True)
class LoggedInput:
    """One input as the log keeps it: its source and key, outcome, code and reason."""

    source: str
    key: str
    status: str
    code: str | None
    detail: str | None
    image_id: str | None
    wnid: str | None

    @property
    def where(self) -> str:
        """The input as a person finds it: a folder's file by its path, else the key."""
        if self.source.startswith("folder:") and not self.key.startswith("line:"):
            return str(Path(self.source.removeprefix("folder:")) / self.key)
        return self.key

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "key": self.key,
            "input": self.where,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "image": self.image_id,
            "wnid": self.wnid,
        }


def sources(conn: Connection) -> list[SourceSummary]:
    """Every source in the log, most recently ingested first."""
    log = schema.ingest_item.c
    rows = conn.execute(
        select(log.source, log.status, func.count(), func.max(log.created_at)).group_by(
            log.source, log.status
        )
    ).all()
    found: dict[str, dict[str, Any]] = {}
    for source, status, n, last in rows:
        entry = found.setdefault(source, {"last": None})
        entry[status] = int(n)
        entry["last"] = max(filter(None, (entry["last"], last)), default=None)
    summaries = [
        SourceSummary(
            source, e.get("added", 0), e.get("duplicate", 0), e.get("rejected", 0), e["last"]
        )
        for source, e in found.items()
    ]
    return sorted(summaries, key=lambda s: (s.last is None, s.last), reverse=True)


def resolve_ingest_source(conn: Connection, text: str) -> str:
    """The log's name for a source as a person typed it: its name, or a folder's path.

    Raises:
        NotFoundError: ``E_UNKNOWN_SOURCE``, listing the sources the log knows.
    """
    log = schema.ingest_item.c
    known = conn.execute(select(log.source).distinct()).scalars()
    return match_source(text, known, f"nothing was ingested from {text!r}")


def match_source(text: str, known: Iterable[str | None], missing: str) -> str:
    """The name among ``known`` that ``text`` means: itself, or ``folder:`` and its path.

    Raises:
        NotFoundError: ``E_UNKNOWN_SOURCE``: ``missing``, then the first known names.
    """
    names = sorted({str(name) for name in known if name is not None})
    for name in (text, f"folder:{Path(text).expanduser().resolve()}"):
        if name in names:
            return name
    listed = "; ".join(names[:10]) + (f"; … {len(names) - 10} more" if len(names) > 10 else "")
    raise NotFoundError(f"{missing}; sources: {listed or 'none yet'}", code="E_UNKNOWN_SOURCE")


def logged_inputs(
    conn: Connection,
    *,
    source: str | None = None,
    status: str | None = None,
    code: str | None = None,
    limit: int | None = None,
) -> tuple[list[LoggedInput], int]:
    """Inputs in log order (up to ``limit``), and how many match in all."""
    log = schema.ingest_item.c
    where = []
    if source is not None:
        where.append(log.source == resolve_ingest_source(conn, source))
    if status is not None:
        where.append(log.status == status)
    if code is not None:
        where.append(log.code == code)
    total = int(conn.execute(select(func.count()).where(*where)).scalar_one())
    query = (
        select(log.source, log.key, log.status, log.code, log.detail, log.image_id, log.wnid)
        .where(*where)
        .order_by(log.id)
        .limit(limit)
    )
    return [LoggedInput(*row) for row in conn.execute(query)], total
