"""Projects on disk: init, discovery, settings and environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from synsetdb.catalog import LocalBlobStore, Project
from synsetdb.errors import ConfigError, ProjectNotFoundError
from synsetdb.settings import ENVIRONMENT, PROJECT_FILE, load_settings


@pytest.fixture
def sample_project(tmp_path: Path, sample_taxonomy_file: Path) -> Project:
    return Project.init(tmp_path / "proj", taxonomy=str(sample_taxonomy_file))


@pytest.fixture
def sample_taxonomy_file(tmp_path: Path) -> Path:
    path = tmp_path / "animals.yaml"
    path.write_text(
        "name: animals\n"
        "synsets:\n"
        "  - {id: c00000001, lemmas: [animal]}\n"
        "  - {id: c00000002, lemmas: [dog], parents: [c00000001]}\n"
        "  - {id: c00000003, lemmas: [cat], parents: [c00000001]}\n"
    )
    return path


def test_init_makes_the_layout(sample_project: Project) -> None:
    root = sample_project.root
    assert (root / PROJECT_FILE).is_file()
    assert (root / "catalog.sqlite").is_file()
    assert (root / "blobs").is_dir()
    assert (root / "releases").is_dir()
    stats = sample_project.catalog.stats()
    assert stats.synsets == 3 and stats.taxonomy == "animals"
    assert isinstance(sample_project.blobs, LocalBlobStore)


def test_init_again_keeps_data(sample_project: Project) -> None:
    catalog = sample_project.catalog
    catalog.add_image(_record())
    catalog.add_candidate(_record().id, "c00000002")
    sample_project.close()
    again = Project.init(sample_project.root)
    assert again.catalog.images_under("c00000001") == [_record().id]
    again.close()


def test_init_refuses_to_change_an_existing_project(sample_project: Project) -> None:
    with pytest.raises(ConfigError):
        Project.init(sample_project.root, catalog_url="sqlite:///other.sqlite")


def test_find_walks_up_from_a_subfolder(sample_project: Project, monkeypatch) -> None:
    deep = sample_project.root / "a" / "b"
    deep.mkdir(parents=True)
    assert Project.find(deep).root == sample_project.root
    monkeypatch.chdir(deep)
    assert Project.find().root == sample_project.root


def test_find_honours_synsetdb_project(sample_project: Project, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SYNSETDB_PROJECT", str(sample_project.root))
    assert Project.find().root == sample_project.root


def test_no_project_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProjectNotFoundError) as info:
        Project.find()
    assert info.value.code == "E_NO_PROJECT"
    with pytest.raises(ProjectNotFoundError):
        Project.open(tmp_path)


def test_environment_overrides_the_settings_file(sample_project: Project, tmp_path) -> None:
    env = {
        "SYNSETDB_CATALOG_URL": "postgresql://db.example/x",
        "SYNSETDB_BLOB_URL": "s3://bucket/prefix",
    }
    settings = load_settings(sample_project.root, env)
    assert settings.catalog_url == "postgresql://db.example/x"
    assert settings.resolved_blob_url() == "s3://bucket/prefix"
    assert set(ENVIRONMENT) >= {"SYNSETDB_PROJECT", *env}


def test_relative_paths_resolve_against_the_project(sample_project: Project) -> None:
    settings = load_settings(sample_project.root, {})
    assert settings.resolved_catalog_url() == f"sqlite:///{sample_project.root / 'catalog.sqlite'}"
    assert settings.resolved_blob_url() == str(sample_project.root / "blobs")


def test_malformed_settings_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / PROJECT_FILE).write_text("[catalog\nurl = 1")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {})
    assert info.value.code == "E_CONFIG"
    (tmp_path / PROJECT_FILE).write_text("[catalog]\nurl = 1\n")
    with pytest.raises(ConfigError, match="must be a string"):
        load_settings(tmp_path, {})


@pytest.mark.postgres
def test_project_with_a_postgres_catalog(tmp_path, postgres_url, sample_taxonomy_file) -> None:
    project = Project.init(
        tmp_path / "pg", catalog_url=postgres_url, taxonomy=str(sample_taxonomy_file)
    )
    assert not (project.root / "catalog.sqlite").exists()
    assert project.catalog.stats().synsets == 3
    project.close()


def _record():
    from synsetdb.catalog import ImageRecord

    return ImageRecord("a" * 64, 10, 10, "PNG", 100, "a" * 64)
