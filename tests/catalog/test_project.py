"""Projects on disk: init, discovery, settings and environment overrides."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from synsetdb.catalog import LocalBlobStore, Project, make_engine, migrate
from synsetdb.errors import (
    CatalogError,
    ConfigError,
    ProjectNotFoundError,
    SchemaVersionError,
    TaxonomyFileError,
)
from synsetdb.settings import (
    ENVIRONMENT,
    PROJECT_FILE,
    env_log_level,
    env_project_dir,
    load_settings,
)


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


# ------------------------------------------------------------------ init leaves nothing half-made


def test_init_with_a_bad_taxonomy_leaves_nothing_and_can_be_rerun(
    tmp_path: Path, sample_taxonomy_file: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("synsets:\n  - {id: c00000001, lemmas: [a], parents: [c00000009]}\n")
    root = tmp_path / "proj"
    with pytest.raises(TaxonomyFileError) as info:
        Project.init(root, taxonomy=str(bad))
    assert info.value.code == "E_UNKNOWN_PARENT"
    assert not root.exists()
    with pytest.raises(TaxonomyFileError):
        Project.init(root, taxonomy=str(tmp_path / "missing.yaml"))
    assert not root.exists()
    project = Project.init(root, taxonomy=str(sample_taxonomy_file))
    assert project.catalog.stats().synsets == 3
    project.close()


def test_failed_init_removes_only_what_it_created(tmp_path: Path) -> None:
    root = tmp_path / "existing"
    (root / "blobs").mkdir(parents=True)
    (root / "notes.txt").write_text("mine")
    (root / "blobs" / "keep.bin").write_bytes(b"mine too")
    with pytest.raises(CatalogError) as info:
        Project.init(root, catalog_url="bogus://nowhere")
    assert info.value.code == "E_CATALOG_DRIVER"
    assert sorted(p.name for p in root.iterdir()) == ["blobs", "notes.txt"]
    assert [p.name for p in (root / "blobs").iterdir()] == ["keep.bin"]


def test_init_with_an_unreachable_catalog_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    with pytest.raises(CatalogError) as info:
        Project.init(root, catalog_url="postgresql://nobody:pw@127.0.0.1:1/none")
    assert info.value.code == "E_CATALOG_CONNECT"
    assert not root.exists()
    monkeypatch.setitem(sys.modules, "s3fs", None)  # as if not installed
    with pytest.raises(ConfigError) as blob_error:
        Project.init(root, blob_url="s3://bucket/blobs")
    assert blob_error.value.code == "E_BLOB_DRIVER"
    assert not root.exists()


# ------------------------------------------------------------------ the taxonomy setting


def test_relative_taxonomy_path_is_taken_from_the_working_directory(
    tmp_path: Path, sample_taxonomy_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    project = Project.init("proj", taxonomy=sample_taxonomy_file.name)
    assert project.settings.taxonomy == str(sample_taxonomy_file)  # outside: absolute
    assert project.catalog.taxonomy_name() == "animals"
    project.close()
    inside = tmp_path / "proj2" / "taxonomy" / "animals.yaml"
    inside.parent.mkdir(parents=True)
    inside.write_text(sample_taxonomy_file.read_text())
    monkeypatch.chdir(inside.parent)
    project = Project.init(tmp_path / "proj2", taxonomy="animals.yaml")
    assert project.settings.taxonomy == "taxonomy/animals.yaml"  # inside: relative, movable
    assert "taxonomy/animals.yaml" in (project.root / PROJECT_FILE).read_text()
    project.close()
    moved = tmp_path / "moved"
    (tmp_path / "proj2").rename(moved)
    assert Project.open(moved).taxonomy.name == "animals"


def test_a_changed_taxonomy_is_detected_and_migrate_loads_it(
    sample_project: Project, sample_taxonomy_file: Path
) -> None:
    sample_project.check_taxonomy()  # freshly made: fine
    with sample_taxonomy_file.open("a") as f:
        f.write("  - {id: c00000004, lemmas: [cow], parents: [c00000001]}\n")
    stale = Project.open(sample_project.root)
    with pytest.raises(ConfigError) as info:
        stale.check_taxonomy()
    assert info.value.code == "E_TAXONOMY_CHANGED"
    assert "synsetdb migrate" in str(info.value)
    result = stale.migrate()
    assert result.taxonomy.synsets_added == 1 and result.revision_before == result.revision_after
    stale.check_taxonomy()
    assert stale.catalog.synset_id("c00000004")
    stale.close()


def test_the_bundled_wordnet_is_trusted_without_hashing_it(wordnet_project: Path) -> None:
    project = Project.open(wordnet_project)
    project.check_taxonomy()
    assert "taxonomy" not in project.__dict__  # not even loaded
    project.close()


def test_switching_a_wordnet_project_to_another_taxonomy_is_detected(
    wordnet_project: Path, sample_taxonomy_file: Path
) -> None:
    settings = (wordnet_project / PROJECT_FILE).read_text()
    (wordnet_project / PROJECT_FILE).write_text(
        settings.replace('source = "wordnet-3.0"', f'source = "{sample_taxonomy_file}"')
    )
    with pytest.raises(ConfigError) as info:
        Project.open(wordnet_project).check_taxonomy()
    assert info.value.code == "E_TAXONOMY_CHANGED"


def test_migrate_upgrades_an_old_catalog(tmp_path: Path, sample_taxonomy_file: Path) -> None:
    root = tmp_path / "old"
    Project.init(root, taxonomy=str(sample_taxonomy_file)).close()
    (root / "catalog.sqlite").unlink()
    engine = make_engine(f"sqlite:///{root / 'catalog.sqlite'}")
    migrate.upgrade(engine, "0001")  # the first schema revision, as an old synsetdb made it
    engine.dispose()
    old = Project.open(root)
    with pytest.raises(SchemaVersionError):
        old.catalog  # noqa: B018
    result = old.migrate()
    assert result.revision_before == "0001"
    assert result.revision_after == migrate.head_revision()
    assert not result.taxonomy.unchanged and result.taxonomy.synsets_added == 3
    assert old.catalog.stats().synsets == 3
    old.check_taxonomy()
    old.close()


# ------------------------------------------------------------------ settings


def test_a_section_that_is_not_a_table_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / PROJECT_FILE).write_text('catalog = "x"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {})
    assert info.value.code == "E_CONFIG"
    assert "catalog must be a table" in str(info.value)


def test_log_level_is_checked(tmp_path: Path) -> None:
    assert env_log_level({}) == "WARNING"
    assert env_log_level({"SYNSETDB_LOG_LEVEL": "debug"}) == "DEBUG"
    with pytest.raises(ConfigError) as info:
        env_log_level({"SYNSETDB_LOG_LEVEL": "LOUD"})
    assert info.value.code == "E_CONFIG" and "LOUD" in str(info.value)
    (tmp_path / PROJECT_FILE).write_text("")
    with pytest.raises(ConfigError):
        load_settings(tmp_path, {"SYNSETDB_LOG_LEVEL": "LOUD"})


def test_every_environment_variable_read_is_listed() -> None:
    """Only settings.py reads SYNSETDB_* variables, and each one is in ENVIRONMENT."""
    import re

    src = Path(__file__).parents[2] / "src" / "synsetdb"
    for path in src.rglob("*.py"):
        text = path.read_text()
        if path.name != "settings.py":
            reads = re.findall(r"os\.environ\.get\(|os\.environ\[|os\.getenv\(|envvar=", text)
            assert not reads, f"{path} reads the environment itself: {reads}"
        for name in re.findall(r"SYNSETDB_[A-Z_]+", text):
            assert name in ENVIRONMENT, f"{path}: {name}"
    assert env_project_dir({"SYNSETDB_PROJECT": "/p"}) == "/p"
    assert env_project_dir({"SYNSETDB_PROJECT": ""}) is None


def test_anonymous_browsing_is_a_web_setting(tmp_path: Path) -> None:
    path = tmp_path / PROJECT_FILE
    path.write_text("")
    assert load_settings(tmp_path, {}).anonymous_browse is False  # off by default
    path.write_text("[web]\nanonymous_browse = true\n")
    assert load_settings(tmp_path, {}).anonymous_browse is True
    path.write_text('[web]\nanonymous_browse = "yes"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {})
    assert info.value.code == "E_CONFIG" and "must be true or false" in str(info.value)
