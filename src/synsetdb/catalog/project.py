"""A synsetdb project on disk: settings, catalog, blob store and releases, like a git working copy.

Layout made by ``Project.init(DIR)``::

    DIR/synsetdb.toml     settings
    DIR/catalog.sqlite    the catalog (unless a PostgreSQL URL is configured)
    DIR/blobs/            image bytes, content-addressed
    DIR/releases/         release manifests and exports
"""

from __future__ import annotations

import os
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
    Settings,
    load_settings,
)
from .blobs import BlobStore, open_blob_store
from .catalog import Catalog

__all__ = ["Project"]


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
        """Create a project: settings file, catalog schema, taxonomy, blob and release folders.

        Running it again on an existing project is safe: it re-checks and
        upgrades the schema and keeps every stored row.
        """
        root = Path(root).resolve()
        root.mkdir(parents=True, exist_ok=True)
        settings_file = root / PROJECT_FILE
        if not settings_file.exists():
            settings = Settings(
                root=root,
                catalog_url=catalog_url or DEFAULT_CATALOG_URL,
                blob_url=blob_url or DEFAULT_BLOB_URL,
                taxonomy=taxonomy or DEFAULT_TAXONOMY,
            )
            settings_file.write_text(tomli_w.dumps(settings.to_toml()), encoding="utf-8")
        elif catalog_url or blob_url or taxonomy:
            raise ConfigError(f"{root} is already a project; edit {settings_file} to change it")
        project = cls(load_settings(root))
        project.releases_dir.mkdir(exist_ok=True)
        catalog = Catalog.open(project.settings.resolved_catalog_url(), create=True)
        try:
            catalog.load_taxonomy(project.taxonomy)
        finally:
            catalog.close()
        project.blobs  # noqa: B018  (creates the blob folder)
        return project

    @classmethod
    def open(cls, root: str | Path) -> Project:
        root = Path(root).resolve()
        if not (root / PROJECT_FILE).exists():
            raise ProjectNotFoundError(f"{root} is not a synsetdb project (no {PROJECT_FILE})")
        return cls(load_settings(root))

    @classmethod
    def find(cls, start: str | Path | None = None) -> Project:
        """The project at ``SYNSETDB_PROJECT``, or the nearest one at or above ``start``/cwd."""
        if start is None and os.environ.get("SYNSETDB_PROJECT"):
            return cls.open(os.environ["SYNSETDB_PROJECT"])
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
        if source in ("wordnet-3.0", "wordnet"):
            return Taxonomy.wordnet()
        return load_taxonomy_file(source)

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()
