"""Shared fixtures: isolated environment, taxonomies, catalogs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from synsetdb.catalog import Catalog
from synsetdb.hierarchy import Taxonomy
from tests.fixtures.postgres import (
    PostgresServer,
    PostgresUnavailable,
    running_postgres,
    service_unavailable,
)

# A few synsets across the 2009 subtrees; catalogs built on their induced
# hierarchy load in milliseconds instead of the full 82,115-synset WordNet.
SAMPLE_WNIDS = (
    "n02084071",  # dog
    "n02121620",  # cat
    "n01503061",  # bird
    "n02512053",  # fish
    "n04524313",  # vehicle
    "n03001627",  # chair
    "n04536866",  # violin
    "n09472597",  # volcano
    "n03481172",  # hammer
    "n11978233",  # sunflower
    "n07749582",  # lemon
)


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test sees the developer's projects, settings or caches."""
    for name in list(os.environ):
        if name.startswith("SYNSETDB_"):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))


@pytest.fixture(scope="session")
def wordnet() -> Taxonomy:
    return Taxonomy.wordnet()


@pytest.fixture(scope="session")
def sample_taxonomy(wordnet: Taxonomy) -> Taxonomy:
    """The sample synsets with all their ancestors (a DAG of a few hundred nodes)."""
    return wordnet.restrict([w for w in SAMPLE_WNIDS if w in wordnet])


# ------------------------------------------------------------------ PostgreSQL


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        service_unavailable(f"PostgreSQL could not start: {exc}")


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the session's server; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_server.url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ------------------------------------------------------------------ catalogs on both backends


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty catalog URL, once per backend: the catalog suite runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def catalog(catalog_url: str, sample_taxonomy: Taxonomy) -> Iterator[Catalog]:
    """A migrated catalog holding the sample taxonomy."""
    cat = Catalog.open(catalog_url, create=True)
    cat.load_taxonomy(sample_taxonomy)
    yield cat
    cat.close()


@pytest.fixture(scope="session")
def wordnet_project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project initialised with full WordNet once per session (takes seconds)."""
    from synsetdb.catalog import Project

    root = tmp_path_factory.mktemp("template") / "project"
    Project.init(root).close()
    return root


@pytest.fixture
def wordnet_project(wordnet_project_template: Path, tmp_path: Path) -> Path:
    """A private copy of the WordNet project for one test."""
    target = tmp_path / "project"
    shutil.copytree(wordnet_project_template, target)
    return target
