"""Every explorer page runs a fixed number of SQL statements, whatever the catalog's size.

The same pages are read from a small and a larger catalog (seven times the
images of the largest class, six more classes); each page's statements are
counted at the engine.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from synsetdb.catalog import Project
from synsetdb.web.tree import OPENED_LEVELS
from tests.web.conftest import explorer_client
from tests.web.explorer_data import CARNIVORE, DOG, Built, build

MOST = 13  # statements any one page may run (a synset in a release: 12, and its audit findings)


@pytest.fixture(scope="module")
def catalogs(
    wordnet_project_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[Project, Built]]]:
    built = {}
    for name, size in (
        ("small", {"dogs": 12, "accepted": 8}),
        ("large", {"dogs": 90, "accepted": 70, "extra": 6}),
    ):
        work = tmp_path_factory.mktemp(name)
        shutil.copytree(wordnet_project_template, work / "project")
        built[name] = (Project.open(work / "project"), build(work / "project", work, **size))
    yield built
    for project, _ in built.values():
        project.close()


@contextmanager
def statements(project: Project) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(project.catalog.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(project.catalog.engine, "before_cursor_execute", count)


PAGES: dict[str, Callable[[Built], str]] = {
    "a node's children": lambda b: f"/api/tree?wnid={CARNIVORE}",
    "search": lambda b: "/api/search?q=dog",
    "synset page": lambda b: f"/synset/{DOG}",
    "synset page in a release": lambda b: f"/synset/{DOG}?release=r1&split=train",
    "grid's second page": lambda b: f"/api/synsets/{DOG}/images?offset=5&limit=5&sort=largest",
    "image page": lambda b: f"/image/{b.boxed}",
    "voted image": lambda b: f"/api/images/{b.voted[0]}",
    "statistics": lambda b: "/stats",
    "statistics of a release": lambda b: "/api/stats?release=r1",
    "synsets behind a bar": lambda b: "/synsets?min_images=1&max_images=1000",
    "duplicates": lambda b: "/duplicates",
    "duplicates of a release": lambda b: "/duplicates?release=r1",
    "releases": lambda b: "/releases",
    "a release": lambda b: "/releases/r1",
    "a thumbnail": lambda b: f"/thumb/{b.dogs[-1]}",
}


def _count(project: Project, built: Built, url: str) -> int:
    client = explorer_client(project, anonymous=True)
    client.get(url)  # warm: the first request loads what is cached for the app's life
    with statements(project) as seen:
        response = client.get(url)
    assert response.status_code == 200, (url, response.text[:200])
    return len(seen)


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_runs_as_many_statements_on_a_larger_catalog(
    catalogs: dict[str, tuple[Project, Built]], page: str
) -> None:
    counts = {
        name: _count(project, built, PAGES[page](built))
        for name, (project, built) in catalogs.items()
    }
    assert counts["small"] == counts["large"], counts
    assert counts["large"] <= MOST, counts


@pytest.mark.parametrize("release", ["", "?release=r1"])
def test_the_tree_page_runs_a_statement_or_two_per_level_it_opens(
    catalogs: dict[str, tuple[Project, Built]], release: str
) -> None:
    """It opens the chain of only children: its length is the data's shape (<= OPENED_LEVELS)."""
    for project, built in catalogs.values():
        count = _count(project, built, "/explore" + release)
        page = explorer_client(project, anonymous=True).get("/explore" + release).text
        levels = page.count('aria-expanded="true"')
        assert 1 <= levels <= OPENED_LEVELS
        # per level: its children's counts (and the release's id); then the release list
        # and the open audit findings of every node shown (one query for the page)
        assert count <= 2 * (levels + 1) + 2, (count, levels)


def test_a_facet_grid_runs_as_many_statements_on_a_larger_catalog(
    catalogs: dict[str, tuple[Project, Built]],
) -> None:
    counts = {}
    for name, (project, built) in catalogs.items():
        client = explorer_client(project, anonymous=True)
        source = client.get("/api/stats").json()["sources"][0]["query"]["value"]
        counts[name] = _count(project, built, f"/images?facet=source&value={source}")
    assert counts["small"] == counts["large"] <= MOST, counts
