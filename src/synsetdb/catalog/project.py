"""A synsetdb project on disk: settings, catalog, blob store and releases, like a git working copy.

Layout made by ``Project.init(DIR)``::

    DIR/synsetdb.toml     settings
    DIR/catalog.sqlite    the catalog (unless a PostgreSQL URL is configured)
    DIR/blobs/            image bytes, content-addressed
    DIR/releases/         release manifests and exports
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import tomli_w

from ..errors import ConfigError, ProjectNotFoundError
from ..hierarchy import Taxonomy, load_taxonomy_file
from ..settings import (
    DEFAULT_BLOB_URL,
    DEFAULT_CATALOG_URL,
    DEFAULT_TAXONOMY,
    PROJECT_FILE,
    WORDNET_SOURCES,
    Settings,
    env_project_dir,
    load_settings,
)
from . import migrate as migrations
from ._taxonomy_sync import TaxonomyLoad
from .blobs import BlobStore, open_blob_store
from .catalog import Catalog

__all__ = ["MigrateResult", "Project"]

log = logging.getLogger(__name__)

# The bundled WordNet's catalog name; with the project set to WordNet, a catalog
# saying so is trusted without hashing 82,115 synsets (0.2 s) on every command.
_BUNDLED_WORDNET = "wordnet-3.0"


@dataclass(frozen=True, slots=True)
class MigrateResult:
    """What ``Project.migrate`` did: schema revisions before and after, and the taxonomy sync."""

    revision_before: str | None
    revision_after: str
    taxonomy: TaxonomyLoad


class Project:
    """An opened project. Catalog, blob store and taxonomy open on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def root(self) -> Path:
        return self.settings.root

    @property
    def releases_dir(self) -> Path:
        return self.root / "releases"

    @classmethod
    def init(
        cls,
        root: str | Path,
        *,
        catalog_url: str | None = None,
        blob_url: str | None = None,
        taxonomy: str | None = None,
    ) -> Project:
        """Create a project: taxonomy, blob store, catalog schema and releases, then settings.

        Everything is checked and made before ``synsetdb.toml`` is written, and
        on any failure what this call created is removed again, so a failed
        init leaves no half-made project and can simply be re-run. A relative
        ``taxonomy`` path is taken from the working directory; it is stored
        relative to the project when it lies inside it, else absolute.

        Running it again on an existing project is safe: it re-checks and
        upgrades the schema, syncs the taxonomy and keeps every stored row.
        """
        root = Path(root).resolve()
        settings_file = root / PROJECT_FILE
        if settings_file.exists():
            if catalog_url or blob_url or taxonomy:
                raise ConfigError(f"{root} is already a project; edit {settings_file} to change it")
            project = cls(load_settings(root))
            project._build()
            return project
        settings = Settings(
            root=root,
            catalog_url=catalog_url or DEFAULT_CATALOG_URL,
            blob_url=blob_url or DEFAULT_BLOB_URL,
            taxonomy=_taxonomy_setting(taxonomy or DEFAULT_TAXONOMY, root),
        )
        created = _Created(root)
        try:
            project = cls(settings)
            project._build(created)
            settings_file.write_text(tomli_w.dumps(settings.to_toml()), encoding="utf-8")
        except BaseException:
            created.remove()
            raise
        return cls(load_settings(root))

    def _build(self, created: _Created | None = None) -> None:
        """Load the taxonomy, open the blob store, make the catalog and the releases folder."""
        taxonomy = self.taxonomy  # a bad taxonomy fails first, before anything is written
        if created is not None:
            created.note(self.root)
            if (blob_dir := self.settings.resolved_blob_url()) and "://" not in blob_dir:
                created.note(Path(blob_dir))
            if (file := self._sqlite_file()) is not None:
                created.note_file(file)
            created.note(self.releases_dir)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the project folder: {exc}") from exc
        self.blobs  # noqa: B018  (checks the URL; creates a local folder)
        with Catalog.open(self.settings.resolved_catalog_url(), create=True) as catalog:
            catalog.load_taxonomy(taxonomy)
        self.releases_dir.mkdir(exist_ok=True)

    def _sqlite_file(self) -> Path | None:
        prefix = "sqlite:///"
        url = self.settings.resolved_catalog_url()
        if url.startswith(prefix) and url != prefix + ":memory:" and "?" not in url:
            return Path(url.removeprefix(prefix))
        return None

    @classmethod
    def open(cls, root: str | Path) -> Project:
        root = Path(root).resolve()
        if not (root / PROJECT_FILE).exists():
            raise ProjectNotFoundError(f"{root} is not a synsetdb project (no {PROJECT_FILE})")
        return cls(load_settings(root))

    @classmethod
    def find(cls, start: str | Path | None = None) -> Project:
        """The project at ``SYNSETDB_PROJECT``, or the nearest one at or above ``start``/cwd."""
        if start is None and (from_env := env_project_dir()):
            return cls.open(from_env)
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / PROJECT_FILE).exists():
                return cls(load_settings(folder))
        raise ProjectNotFoundError(
            f"no synsetdb project at or above {here}; run `synsetdb init DIR` or pass --project"
        )

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog.open(self.settings.resolved_catalog_url())

    @cached_property
    def blobs(self) -> BlobStore:
        return open_blob_store(self.settings.resolved_blob_url())

    @cached_property
    def taxonomy(self) -> Taxonomy:
        source = self.settings.resolved_taxonomy()
        if source in WORDNET_SOURCES:
            return Taxonomy.wordnet()
        return load_taxonomy_file(source)

    def check_taxonomy(self) -> None:
        """Make sure the catalog holds this project's taxonomy.

        Commands that combine the two (a tree with image counts) call this, so
        a taxonomy file edited after ``init`` is noticed instead of giving
        counts over a stale hierarchy. The bundled WordNet is trusted by name.

        Raises:
            ConfigError: ``E_TAXONOMY_CHANGED``, advising ``synsetdb migrate``.
        """
        name = self.catalog.taxonomy_name()
        if self.settings.uses_wordnet and name == _BUNDLED_WORDNET:
            return
        stored = self.catalog.taxonomy_fingerprint()
        if stored != self.taxonomy.fingerprint:
            raise ConfigError(
                f"the catalog holds taxonomy {name!r}, but the project's taxonomy "
                f"({self.settings.taxonomy}) has changed since; "
                "run `synsetdb migrate` to load it",
                code="E_TAXONOMY_CHANGED",
            )

    def migrate(self) -> MigrateResult:
        """Upgrade the catalog schema and load the project's current taxonomy into it."""
        taxonomy = self.taxonomy
        self.close()
        with Catalog.open(self.settings.resolved_catalog_url(), create=True) as catalog:
            before = catalog.upgraded_from
            loaded = catalog.load_taxonomy(taxonomy)
        return MigrateResult(before, migrations.head_revision(), loaded)

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()
            del self.__dict__["catalog"]


def _taxonomy_setting(source: str, root: Path) -> str:
    """How ``synsetdb.toml`` names a taxonomy given at init (relative to the cwd)."""
    if source in WORDNET_SOURCES:
        return source
    path = (Path.cwd() / source).resolve()
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return str(path)


class _Created:
    """Paths an init made, so a failed init can remove exactly those."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._paths: list[Path] = []

    def note(self, path: Path) -> None:
        """Remember ``path`` and its missing parents, if it does not exist yet."""
        missing = []
        for p in (path, *path.parents):
            if p.exists():
                break
            missing.append(p)
        self._paths.extend(reversed(missing))

    def note_file(self, file: Path) -> None:
        """A SQLite file and its WAL companions."""
        self.note(file.parent)
        for suffix in ("", "-wal", "-shm", "-journal"):
            companion = file.with_name(file.name + suffix)
            if not companion.exists():
                self._paths.append(companion)

    def remove(self) -> None:
        for path in reversed(self._paths):
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
            except OSError as exc:  # best effort: report, keep the original error
                log.warning("could not remove %s after a failed init: %s", path, exc)
