"""The Catalog: synsetdb's SQL database of synsets, images, candidates, votes and releases."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError

from ..errors import CatalogError, SchemaVersionError, UnknownSynsetError
from ..hierarchy import Taxonomy
from . import migrate, schema
from ._taxonomy_sync import TAXONOMY_NAME_KEY, TaxonomyLoad, sync_taxonomy

__all__ = ["Catalog", "CatalogStats", "ImageRecord"]

log = logging.getLogger(__name__)

# Statuses that count as "an image of this synset" in counts and listings.
LIVE_STATUSES = ("candidate", "accepted", "undecided")


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """One stored image: its identity (sha256) and what decoding it told us."""

    id: str
    width: int
    height: int
    format: str
    byte_size: int
    blob_key: str
    phash: int | None = None
    source: str | None = None
    licence: str | None = None


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
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk loads of the closure stay in memory
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for a catalog URL: SQLite (WAL, foreign keys on) or PostgreSQL (psycopg 3)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise CatalogError(f"not a database URL: {url!r}", code="E_CATALOG_URL") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise CatalogError(
            f"{parsed.drivername} needs a driver that is not installed ({exc.name}); "
            "install synsetdb[postgres]",
            code="E_CATALOG_DRIVER",
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

    @classmethod
    def open(cls, url: str, *, create: bool = False) -> Catalog:
        """Open a catalog; with ``create``, make or upgrade its schema first.

        Raises:
            SchemaVersionError: the database is at another schema revision
                (``E_SCHEMA_VERSION``); open it with ``create=True`` to upgrade.
            CatalogError: the database cannot be reached (``E_CATALOG_CONNECT``).
        """
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
                migrate.upgrade(self.engine)
            else:
                self.check_schema()
        except OperationalError as exc:
            raise CatalogError(
                f"cannot open catalog {url}: {exc.orig}", code="E_CATALOG_CONNECT"
            ) from exc

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
        self._synset_ids = None
        return result

    def taxonomy_name(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(schema.project_meta.c.value).where(
                    schema.project_meta.c.key == TAXONOMY_NAME_KEY
                )
            ).scalar_one_or_none()

    def synset_id(self, wnid: str) -> int:
        """The catalog's integer id for a wnid (``UnknownSynsetError`` if not loaded)."""
        if self._synset_ids is None:
            with self.engine.connect() as conn:
                rows = conn.execute(select(schema.synset.c.wnid, schema.synset.c.id))
                self._synset_ids = dict(rows.all())
        try:
            return self._synset_ids[wnid]
        except KeyError:
            raise UnknownSynsetError(wnid) from None

    # ----------------------------------------------------------------- images

    def add_image(self, record: ImageRecord) -> bool:
        """Store an image row; False (and nothing changed) if that sha256 is already here."""
        values = asdict(record) | {"created_at": _now()}
        try:
            with self.engine.begin() as conn:
                exists = conn.execute(
                    select(schema.image.c.id).where(schema.image.c.id == record.id)
                ).first()
                if exists:
                    return False
                conn.execute(schema.image.insert().values(**values))
        except IntegrityError as exc:
            raise CatalogError(
                f"cannot add image {record.id}: {exc.orig}", code="E_INTEGRITY"
            ) from exc
        return True

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
        """Propose an image for a synset; returns the candidate id (existing one if repeated)."""
        if status not in schema.CANDIDATE_STATUSES:
            raise CatalogError(f"unknown candidate status {status!r}", code="E_STATUS")
        synset_id = self.synset_id(wnid)
        now = _now()
        c = schema.candidate.c
        with self.engine.begin() as conn:
            found = conn.execute(
                select(c.id).where(c.image_id == image_id, c.synset_id == synset_id)
            ).scalar_one_or_none()
            if found is not None:
                return int(found)
            try:
                result = conn.execute(
                    schema.candidate.insert().values(
                        image_id=image_id,
                        synset_id=synset_id,
                        status=status,
                        source=source,
                        split=split,
                        provenance=provenance,
                        created_at=now,
                        updated_at=now,
                    )
                )
            except IntegrityError as exc:
                raise CatalogError(
                    f"cannot add candidate {image_id[:12]}…/{wnid}: {exc.orig}", code="E_INTEGRITY"
                ) from exc
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

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
        """Distinct images in each synset's subtree, for many synsets in one query."""
        ids = {self.synset_id(w): w for w in wnids}
        closure, cand = schema.synset_closure.c, schema.candidate.c
        query = (
            select(closure.ancestor_id, func.count(cand.image_id.distinct()))
            .join_from(
                schema.synset_closure, schema.candidate, cand.synset_id == closure.descendant_id
            )
            .where(closure.ancestor_id.in_(list(ids)), cand.status.in_(statuses))
            .group_by(closure.ancestor_id)
        )
        counts = dict.fromkeys(ids.values(), 0)
        with self.engine.connect() as conn:
            for synset_id, n in conn.execute(query):
                counts[ids[synset_id]] = int(n)
        return counts

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
