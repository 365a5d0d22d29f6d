"""The Catalog: synsetdb's SQL database of synsets, images, candidates, votes and releases."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import Engine, create_engine, event, exists, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    IntegrityError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    StatementError,
)

from ..errors import CatalogError, SchemaVersionError, UnknownSynsetError
from ..hierarchy import Taxonomy
from ..hierarchy.taxonomy import suggest_ids
from . import aggregates, ingest_reads, migrate, recount, schema
from ._bulk import insert_ignoring_conflicts
from ._taxonomy_sync import (
    TAXONOMY_FINGERPRINT_KEY,
    TAXONOMY_NAME_KEY,
    TaxonomyLoad,
    sync_taxonomy,
)
from .ingest_log import (
    ImageRecord,
    IngestEntry,
    IngestTally,
    done_keys,
    image_row,
    insert_renditions,
    write_entries,
)

__all__ = ["Catalog", "CatalogStats", "ImageRecord", "display_url", "make_engine"]

log = logging.getLogger(__name__)

# Statuses that count as "an image of this synset" in counts and listings.
LIVE_STATUSES = schema.LIVE_STATUSES

# Ids per IN (…) list: psycopg allows 65,535 bound parameters a statement and
# SQLite (>= 3.32) 32,766, so long lists go through in chunks of this many.
_IN_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class CatalogStats:
    """Counts over the whole catalog (``synsetdb stats``)."""

    schema_revision: str | None
    taxonomy: str | None
    synsets: int
    synsets_with_images: int
    images: int
    image_bytes: int
    candidates: dict[str, int] = field(default_factory=dict)
    votes: int = 0
    workers: int = 0
    boxes: int = 0
    releases: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def display_url(url: str) -> str:
    """A URL fit for messages and reports: any password shown as ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # not a database URL (an fsspec URL, a path, junk)
        return _PASSWORD_IN_URL.sub(r"\1***@", url)


def _first_line(error: BaseException | None) -> str:
    """The first line of a driver's message (psycopg adds DETAIL/HINT lines)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise CatalogError(
            f"not a database URL: {display_url(url)!r}", code="E_CATALOG_URL"
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_file(parsed: URL) -> Path | None:
    """The file of a SQLite URL (None for another backend or an in-memory database)."""
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def make_engine(url: str) -> Engine:
    """An engine for a catalog URL: SQLite (WAL, foreign keys on) or PostgreSQL (psycopg 3).

    Raises:
        CatalogError: ``E_CATALOG_URL`` for a malformed URL, ``E_CATALOG_DRIVER``
            when no installed driver serves it.
    """
    parsed = _parse(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            file = _sqlite_file(parsed)
            if file is not None:
                file.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError as exc:
        raise CatalogError(
            f"no database driver for {parsed.drivername!r} URLs; synsetdb supports "
            "sqlite:///PATH and postgresql://… (pip install 'synsetdb[postgres]')",
            code="E_CATALOG_DRIVER",
        ) from exc
    except ModuleNotFoundError as exc:
        raise CatalogError(
            f"{parsed.drivername} needs a driver that is not installed ({exc.name}); "
            "pip install 'synsetdb[postgres]'",
            code="E_CATALOG_DRIVER",
        ) from exc
    except OSError as exc:  # the SQLite file's folder cannot be made
        raise CatalogError(
            f"cannot open catalog {display_url(url)}: {exc}", code="E_CATALOG_CONNECT"
        ) from exc


class Catalog:
    """A connection to one catalog database.

    Example:
        >>> catalog = Catalog.open("sqlite:///catalog.sqlite", create=True)  # doctest: +SKIP
        >>> catalog.load_taxonomy(Taxonomy.wordnet())  # doctest: +SKIP
        >>> catalog.images_under("n01861778")  # every image under mammal  # doctest: +SKIP
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._synset_ids: dict[str, int] | None = None
        # The schema revision found before ``open(create=True)`` upgraded it.
        self.upgraded_from: str | None = None

    @classmethod
    def open(cls, url: str, *, create: bool = False) -> Catalog:
        """Open a catalog; with ``create``, make or upgrade its schema first.

        Raises:
            SchemaVersionError: the database is at another schema revision
                (``E_SCHEMA_VERSION``); open it with ``create=True`` to upgrade.
            CatalogError: the database cannot be reached (``E_CATALOG_CONNECT``);
                without ``create``, a SQLite file that does not exist (``E_NO_CATALOG``).
        """
        file = _sqlite_file(_parse(url))
        if not create and file is not None and not file.exists():
            raise CatalogError(
                f"no catalog at {file}; run `synsetdb init` to create one", code="E_NO_CATALOG"
            )
        catalog = cls(make_engine(url))
        try:
            catalog._prepare(url, create)
        except BaseException:
            catalog.close()
            raise
        return catalog

    def _prepare(self, url: str, create: bool) -> None:
        try:
            if create:
                self.upgraded_from = migrate.current_revision(self.engine)
                migrate.upgrade(self.engine)
                self._count_if_needed()
            else:
                self.check_schema()
        except (OperationalError, InterfaceError) as exc:
            raise CatalogError(
                f"cannot open catalog {display_url(url)}: {_first_line(exc.orig)}",
                code="E_CATALOG_CONNECT",
            ) from exc

    def _count_if_needed(self) -> None:
        """Fill the maintained counts of a catalog made before they existed (once)."""
        with self.engine.begin() as conn:
            if not recount.counts_are_current(conn):
                report = recount.recount(conn)
                if self.upgraded_from is not None:
                    log.warning("counted the catalog's images for the explorer: %s", report)

    def recount(self) -> recount.RecountReport:
        """Rebuild the maintained counts from the rows (``synsetdb recount``)."""
        with self.engine.begin() as conn:
            return recount.recount(conn)

    def check_schema(self) -> None:
        """Raise ``SchemaVersionError`` unless the schema is at this synsetdb's revision."""
        current, head = migrate.current_revision(self.engine), migrate.head_revision()
        if current != head:
            raise SchemaVersionError(
                f"catalog schema is at revision {current!r}, this synsetdb needs {head!r}; "
                "run `synsetdb migrate` to upgrade it"
            )

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- taxonomy

    def load_taxonomy(self, taxonomy: Taxonomy) -> TaxonomyLoad:
        """Write the synsets, is-a edges and closure table (a no-op when unchanged)."""
        with self.engine.begin() as conn:
            result = sync_taxonomy(conn, taxonomy)
            if not result.unchanged:  # subtrees moved: every subtree count with them
                recount.recount(conn)
        self._synset_ids = None
        return result

    def taxonomy_name(self) -> str | None:
        """The name of the taxonomy last loaded (None before any)."""
        return self._meta(TAXONOMY_NAME_KEY)

    def taxonomy_fingerprint(self) -> str | None:
        """``Taxonomy.fingerprint`` of the taxonomy last loaded (None before any)."""
        return self._meta(TAXONOMY_FINGERPRINT_KEY)

    def _meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(schema.project_meta.c.value).where(schema.project_meta.c.key == key)
            ).scalar_one_or_none()

    def synset_ids(self) -> Mapping[str, int]:
        """Every loaded wnid and its catalog id (read once, then cached)."""
        if self._synset_ids is None:
            with self.engine.connect() as conn:
                rows = conn.execute(select(schema.synset.c.wnid, schema.synset.c.id))
                self._synset_ids = dict(rows.all())
        return MappingProxyType(self._synset_ids)

    def synset_id(self, wnid: str) -> int:
        """The catalog's integer id for a wnid (``UnknownSynsetError`` if not loaded).

        The error suggests ids close to a mistyped one (``n2084071``,
        ``n02084072``); the catalog holds no search index, so for words it
        suggests nothing (``Taxonomy.suggest`` does).
        """
        ids = self.synset_ids()
        try:
            return ids[wnid]
        except (KeyError, TypeError):
            close = suggest_ids(str(wnid), list(ids), ids)
            raise UnknownSynsetError(str(wnid), close, self._synset_names(close)) from None

    def _synset_names(self, wnids: Sequence[str]) -> dict[str, str]:
        if not wnids:
            return {}
        s = schema.synset.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(s.wnid, s.name).where(s.wnid.in_(list(wnids))))
            return {wnid: name for wnid, name in rows if name}

    # ----------------------------------------------------------------- images

    def add_image(self, record: ImageRecord) -> bool:
        """Store an image row and its renditions; False if that sha256 is already here.

        An image already stored keeps its row; renditions of kinds it lacks are added.

        Safe under concurrency: of several writers adding the same image, one
        inserts it and the others get False.

        Raises:
            CatalogError: ``E_INTEGRITY`` for a row the schema refuses (a
                non-positive size, …), ``E_BAD_RECORD`` for a value the database
                cannot store (too long, out of range).
        """
        values = image_row(record) | {"created_at": _now()}
        with _record_errors(f"image {record.id}"), self.engine.begin() as conn:
            aggregates.bump_generation(conn)  # first: every writer of the counts locks in one order
            statement = insert_ignoring_conflicts(conn, schema.image).values(**values)
            inserted = conn.execute(statement.returning(schema.image.c.id)).scalar_one_or_none()
            if inserted is not None:
                aggregates.count_images(conn, [values])
            insert_renditions(conn, [record])
            return inserted is not None

    def add_candidate(
        self,
        image_id: str,
        wnid: str,
        *,
        status: str = "candidate",
        source: str | None = None,
        split: str | None = None,
        provenance: dict[str, Any] | None = None,
    ) -> int:
        """Propose an image for a synset; returns the candidate id (existing one if repeated).

        A status other than ``candidate`` is taken as the source's own label
        (``decided_by = 'source'``), as when a verified dataset is ingested.
        """
        if status not in schema.CANDIDATE_STATUSES:
            raise CatalogError(f"unknown candidate status {status!r}", code="E_STATUS")
        synset_id = self.synset_id(wnid)
        now = _now()
        c = schema.candidate.c
        values = {
            "image_id": image_id,
            "synset_id": synset_id,
            "status": status,
            "decided_by": None if status == "candidate" else "source",
            "source": source,
            "split": split,
            "provenance": provenance,
            "created_at": now,
            "updated_at": now,
        }
        # Insert first, then read the id: the write lock comes first (no SQLite
        # read-to-write upgrade), and a concurrent writer's row is simply kept.
        with (
            _record_errors(f"candidate {image_id[:12]}…/{wnid}"),
            self.engine.begin() as conn,
            aggregates.counting(conn, [image_id]),
        ):
            conn.execute(insert_ignoring_conflicts(conn, schema.candidate).values(**values))
            found = conn.execute(
                select(c.id).where(c.image_id == image_id, c.synset_id == synset_id)
            ).scalar_one()
            return int(found)

    def images_under(self, wnid: str, *, statuses: Sequence[str] = LIVE_STATUSES) -> list[str]:
        """Ids of images with a candidate anywhere in ``wnid``'s subtree (one indexed join)."""
        closure, cand = schema.synset_closure.c, schema.candidate.c
        query = (
            select(cand.image_id)
            .distinct()
            .join_from(
                schema.synset_closure, schema.candidate, cand.synset_id == closure.descendant_id
            )
            .where(closure.ancestor_id == self.synset_id(wnid), cand.status.in_(statuses))
            .order_by(cand.image_id)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def image_counts(
        self, wnids: Iterable[str], *, statuses: Sequence[str] = LIVE_STATUSES
    ) -> dict[str, int]:
        """Distinct images in each synset's subtree, for many synsets (a query per 10,000)."""
        ids = {self.synset_id(w): w for w in wnids}
        closure, cand = schema.synset_closure.c, schema.candidate.c
        counts = dict.fromkeys(ids.values(), 0)
        keys = list(ids)
        with self.engine.connect() as conn:
            for start in range(0, len(keys), _IN_CHUNK):
                query = (
                    select(closure.ancestor_id, func.count(cand.image_id.distinct()))
                    .join_from(
                        schema.synset_closure,
                        schema.candidate,
                        cand.synset_id == closure.descendant_id,
                    )
                    .where(
                        closure.ancestor_id.in_(keys[start : start + _IN_CHUNK]),
                        cand.status.in_(statuses),
                    )
                    .group_by(closure.ancestor_id)
                )
                for synset_id, n in conn.execute(query):
                    counts[ids[synset_id]] = int(n)
        return counts

    def has_images(self) -> bool:
        """True when at least one image is stored (one indexed probe, not a count)."""
        with self.engine.connect() as conn:
            return bool(conn.execute(select(exists().select_from(schema.image))).scalar())

    # ----------------------------------------------------------------- ingest

    def record_ingest(
        self,
        entries: Sequence[IngestEntry],
        *,
        label_status: str = "candidate",
        retry_rejected: bool = False,
    ) -> IngestTally:
        """Write a batch of ingest results in one transaction (see ``ingest_log``)."""
        with self.engine.begin() as conn:
            return write_entries(conn, entries, label_status, retry_rejected=retry_rejected)

    def done_keys(self, source: str, *, rejected: bool = True) -> set[str]:
        """Keys of ``source`` already in the ingest log: a re-run skips them (``rejected=False``:
        only the inputs that were stored, so a re-run tries the rejected ones again)."""
        with self.engine.connect() as conn:
            return done_keys(conn, source, rejected=rejected)

    def ingest_source(self, text: str) -> str:
        """The ingest log's name for a source as a person typed it (its name, or a folder's
        path); ``NotFoundError`` (``E_UNKNOWN_SOURCE``) for one never ingested."""
        with self.engine.connect() as conn:
            return ingest_reads.resolve_ingest_source(conn, text)

    def ingest_sources(self) -> list[ingest_reads.SourceSummary]:
        """Every source ingested, with its inputs by outcome; the latest first."""
        with self.engine.connect() as conn:
            return ingest_reads.sources(conn)

    def ingest_log(
        self,
        *,
        source: str | None = None,
        status: str | None = None,
        code: str | None = None,
        limit: int | None = None,
    ) -> tuple[list[ingest_reads.LoggedInput], int]:
        """Logged inputs (of a source, a status, a code) in order, and how many match.

        ``source`` may be a folder's path. Raises ``NotFoundError``
        (``E_UNKNOWN_SOURCE``) for a source never ingested.
        """
        with self.engine.connect() as conn:
            return ingest_reads.logged_inputs(
                conn, source=source, status=status, code=code, limit=limit
            )

    # ----------------------------------------------------------------- reports

    def stats(self) -> CatalogStats:
        """Counts of everything, in one connection."""
        t = schema
        with self.engine.connect() as conn:

            def count(table: Any) -> int:
                return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

            by_status: dict[str, int] = dict(
                conn.execute(
                    select(t.candidate.c.status, func.count()).group_by(t.candidate.c.status)
                ).all()
            )
            with_images = conn.execute(
                select(func.count(t.candidate.c.synset_id.distinct())).where(
                    t.candidate.c.status.in_(LIVE_STATUSES)
                )
            ).scalar_one()
            image_bytes = conn.execute(
                select(func.coalesce(func.sum(t.image.c.byte_size), 0))
            ).scalar_one()
            return CatalogStats(
                schema_revision=migrate.current_revision(self.engine),
                taxonomy=self.taxonomy_name(),
                synsets=count(t.synset),
                synsets_with_images=int(with_images),
                images=count(t.image),
                image_bytes=int(image_bytes),
                candidates={s: int(by_status.get(s, 0)) for s in t.CANDIDATE_STATUSES},
                votes=count(t.vote),
                workers=count(t.worker),
                boxes=count(t.box),
                releases=count(t.release),
            )


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _record_errors(what: str) -> Iterator[None]:
    """Database refusals of one record as ``CatalogError``s with a one-line message."""
    try:
        yield
    except IntegrityError as exc:
        raise CatalogError(
            f"cannot add {what}: {_first_line(exc.orig)}", code="E_INTEGRITY"
        ) from exc
    except (OperationalError, InterfaceError) as exc:  # the database, not the record
        raise CatalogError(
            f"cannot add {what}: catalog unavailable: {_first_line(exc.orig)}",
            code="E_CATALOG_CONNECT",
        ) from exc
    except StatementError as exc:  # DataError, a value the driver cannot bind, …
        raise CatalogError(
            f"cannot add {what}: {_first_line(exc.orig)}", code="E_BAD_RECORD"
        ) from exc
    except (OverflowError, TypeError) as exc:  # a driver refused to adapt a value
        raise CatalogError(f"cannot add {what}: {exc}", code="E_BAD_RECORD") from exc
