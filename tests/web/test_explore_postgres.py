"""The explorer on a PostgreSQL catalog: counts, grids, images and duplicates as on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from synsetdb.catalog import Project
from synsetdb.catalog.recount import count_drift
from synsetdb.hierarchy import Taxonomy
from tests.web.conftest import explorer_client
from tests.web.explorer_data import CARNIVORE, DOG, EXTRA, TIGER_CAT, Built, build

pytestmark = pytest.mark.postgres


def _taxonomy_file(wordnet: Taxonomy, path: Path) -> Path:
    """The explorer's synsets and their ancestors as a standalone taxonomy file (WordNet's ids)."""
    small = wordnet.restrict([DOG, TIGER_CAT, *EXTRA])
    synsets = [
        {"id": s.wnid, "lemmas": list(s.lemmas), "gloss": s.gloss, "parents": list(s.parents)}
        for s in small.synsets()
    ]
    path.write_text(yaml.safe_dump({"name": "explorer-sample", "synsets": synsets}))
    return path


@pytest.fixture
def postgres_explorer(
    tmp_path: Path, postgres_url: str, wordnet: Taxonomy
) -> Iterator[tuple[Project, Built]]:
    taxonomy = _taxonomy_file(wordnet, tmp_path / "sample.yaml")
    root = tmp_path / "project"
    Project.init(root, catalog_url=postgres_url, taxonomy=str(taxonomy)).close()
    built = build(root, tmp_path, dogs=20, accepted=15, extra=2)
    project = Project.open(root)
    yield project, built
    project.close()


def test_the_explorer_reads_a_postgresql_catalog(postgres_explorer: tuple[Project, Built]) -> None:
    project, built = postgres_explorer
    client: TestClient = explorer_client(project, anonymous=True)

    def get(url: str) -> dict:  # type: ignore[type-arg]
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        return response.json()  # type: ignore[no-any-return]

    roots = get("/api/tree")["nodes"]
    assert roots[0]["images"] == len(built.dogs) + len(built.cats) + 3 * len(built.extra)
    level = {n["wnid"]: n for n in get(f"/api/tree?wnid={CARNIVORE}")["nodes"]}
    assert sum(n["images"] for n in level.values()) == len(built.dogs) + len(built.cats) + 1
    grid = get(f"/api/synsets/{DOG}/images?limit=7&offset=7&sort=newest")
    assert grid["total"] == len(built.dogs) and len(grid["tiles"]) == 7
    image = get(f"/api/images/{built.boxed}")["image"]
    assert len(image["boxes"]) == 1 and image["releases"][0]["release"] == "r1"
    stats = get("/api/stats")
    assert stats["synsets"] == 2 + len(built.extra) and stats["days"]
    leaks = get("/api/duplicates?release=r1&straddling=true")
    assert leaks["page"]["straddling"] == 1
    assert get("/api/search?q=tiger%20cat")[0]["wnid"] == TIGER_CAT
    for page in ("/explore", f"/synset/{DOG}", f"/image/{built.boxed}", "/stats", "/releases/r1"):
        assert client.get(page).status_code == 200, page
    with project.catalog.engine.connect() as conn:
        assert count_drift(conn) == []
