"""The versions page and its diffs: JSON, HTML, bounded queries, and a real browser."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageStat
from sqlalchemy import event

from synsetdb.catalog import Project
from synsetdb.hierarchy import named_sets
from synsetdb.web import WebConfig, create_app
from tests.web.conftest import explorer_client, running
from tests.web.explorer_data import DOG, TIGER_CAT, Built

GOOK = "n09643799"  # in ImageNet-21K-P from fall11, not from winter21; marked disparagement
VIEWPORTS = {"laptop": (1280, 800), "phone": (390, 844)}


@pytest.fixture
def client(explorer: tuple[Project, Built]) -> TestClient:
    project, _ = explorer
    return explorer_client(project, anonymous=True)


@contextmanager
def statements(project: Project) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(project.catalog.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(project.catalog.engine, "before_cursor_execute", count)


def test_the_api_gives_the_table_with_the_release(client: TestClient) -> None:
    response = client.get("/api/versions")
    assert response.status_code == 200
    data = response.json()
    keys = [row["key"] for row in data["rows"]]
    assert keys == [*named_sets(), "r1"]
    r1 = data["rows"][-1]
    assert (r1["kind"], r1["classes"], r1["person"], r1["sensitive"]) == ("release", 2, 0, 0)
    matrix = data["overlap"]["matrix"]
    assert matrix[keys.index("r1")][keys.index("ilsvrc2012")] == 1  # tiger cat; dog is no class
    assert matrix[keys.index("ilsvrc2012")][keys.index("imagenet21k-fall11")] == 999
    assert data["winter21_removal"]["removed"] == 771


def test_the_page_shows_the_table_the_removal_and_the_matrix(client: TestClient) -> None:
    page = client.get("/versions")
    assert page.status_code == 200
    text = page.text
    assert '<a href="/versions">Versions</a>' in text  # in the navigation
    for name in named_sets():
        assert f"<code>{name}</code>" in text
    assert '<a href="/releases/r1"><code>r1</code></a>' in text
    assert "What the 2021 filtering removed" in text
    assert ('<a href="/versions/diff?a=imagenet21k-p&amp;b=imagenet21k-p-winter21">771</a>') in text
    assert '<div class="scroll">\n<table class="report overlap">' in text
    assert "21,841" in text and 'title="ilsvrc2012 ∩ imagenet21k-fall11">999</a>' in text


def test_a_diff_page_lists_classes_with_links_and_counts(client: TestClient) -> None:
    page = client.get(
        "/versions/diff", params={"a": "imagenet21k-p", "b": "imagenet21k-p-winter21"}
    )
    assert page.status_code == 200
    text = page.text
    assert "The first 500 of 771, by wnid." in text
    assert text.count('<tr><td><a href="/synset/') == 500
    assert "771 (771 in the person subtree)" in text
    assert '<h2>Only in imagenet21k-p-winter21</h2>\n<p class="hint">None.</p>' in text
    small = client.get("/versions/diff", params={"a": "r1", "b": "ilsvrc2012"}).text
    assert f'<a href="/synset/{DOG}"><code>{DOG}</code></a>' in small
    assert f"/synset/{TIGER_CAT}" not in small  # in both
    assert "The first" not in small.split("Only in ilsvrc2012")[0]
    assert "The first 500 of 999, by wnid." in small


def test_the_diff_api_is_limited_and_counts_everything(client: TestClient) -> None:
    data = client.get("/api/versions/diff?a=imagenet21k-fall11&b=ilsvrc2012").json()
    assert (data["only_a_count"], data["only_b_count"], data["both"]) == (20_842, 1, 999)
    assert len(data["only_a"]) == 1_000 and data["listed"] == 1_000
    assert data["only_b"][0]["wnid"] == "n04399382"  # teddy bear: fall11 lacks it
    data = client.get("/api/versions/diff?a=imagenet21k-p&b=imagenet21k-p-winter21&limit=0").json()
    assert (data["only_a"], data["only_a_count"]) == ([], 771)
    full = client.get("/api/versions/diff?a=imagenet21k-p&b=imagenet21k-p-winter21&limit=800")
    gook = next(c for c in full.json()["only_a"] if c["wnid"] == GOOK)
    assert gook == {
        "wnid": GOOK,
        "name": "gook",
        "person": True,
        "sensitive": True,
        "wordnet": True,
    }


def test_bad_and_unknown_versions(client: TestClient) -> None:
    missing = client.get("/api/versions/diff?a=nope&b=r1")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "E_UNKNOWN_VERSION"
    page = client.get("/versions/diff?a=r1&b=nope")
    assert page.status_code == 404 and "E_UNKNOWN_VERSION" in page.text
    assert client.get("/versions/diff?a=no%20way&b=r1").status_code == 400
    default = client.get("/api/versions/diff").json()  # what the 2021 filtering removed
    assert (default["a"], default["b"], default["only_a_count"]) == (
        "imagenet21k-p",
        "imagenet21k-p-winter21",
        771,
    )
    assert client.get("/api/versions/diff?a=r1&b=r1&limit=-1").status_code == 400
    empty = client.get("/versions/diff?a=&b=", follow_redirects=False)
    assert empty.status_code == 303 and empty.headers["location"] == "/versions"


def test_each_page_runs_a_few_statements(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    project, _ = explorer
    for url in ("/versions", "/api/versions", "/versions/diff?a=r1&b=ilsvrc2012"):
        with statements(project) as seen:
            assert client.get(url).status_code == 200
        # the counts' generation (once per kept value) and, first, the releases' classes
        assert len(seen) <= 3, (url, seen)
    with statements(project) as seen:
        assert client.get("/versions").status_code == 200
    assert len(seen) == 2  # kept: only the generation, twice (the lists and the table)


def test_signing_in_is_needed_without_anonymous_browsing(
    explorer: tuple[Project, Built],
) -> None:
    project, _ = explorer
    client = explorer_client(project)
    assert client.get("/versions", follow_redirects=False).status_code == 303
    assert client.get("/api/versions").status_code == 401
    assert client.get("/api/versions/diff?a=r1&b=r1").status_code == 401


# ----------------------------------------------------------------------------- the browser


@pytest.fixture
def server(explorer: tuple[Project, Built]) -> Iterator[str]:
    project, _ = explorer
    with running(create_app(project, WebConfig(anonymous_browse=True))) as url:
        yield url


def _check_rendered(page: Any, name: str, out: Path) -> None:
    """Not blank, and no wider than the viewport: a wide table scrolls inside its wrapper."""
    shot = page.screenshot(full_page=True)
    (out / f"{name}.png").write_bytes(shot)
    image = Image.open(io.BytesIO(shot)).convert("L")
    assert max(ImageStat.Stat(image).stddev) > 10, f"{name} looks blank"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{name} is {overflow}px wider than the screen"


@pytest.mark.browser
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_compare_two_versions_in_a_browser(
    browser: Any, server: str, viewport: str, tmp_path: Path
) -> None:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        page.goto(server + "/explore")
        with page.expect_navigation():
            page.click("nav >> text=Versions")
        assert page.url.endswith("/versions")
        _check_rendered(page, f"{viewport}-versions", tmp_path)
        matrix = page.locator("table.overlap").locator("xpath=..")
        # 24 columns are wider than the screen: the matrix scrolls inside its wrapper
        assert matrix.evaluate("div => div.scrollWidth > div.clientWidth")
        assert matrix.evaluate("div => div.getBoundingClientRect().right") <= width
        page.select_option("select[name=a]", "imagenet21k-p")
        page.select_option("select[name=b]", "imagenet21k-p-winter21")
        with page.expect_navigation():
            page.click("form.filters button")
        assert "a=imagenet21k-p&b=imagenet21k-p-winter21" in page.url
        assert page.locator("h1").inner_text() == "imagenet21k-p and imagenet21k-p-winter21"
        rows = page.locator("table.classes tbody tr")
        assert rows.count() == 500
        _check_rendered(page, f"{viewport}-diff", tmp_path)
        flagged = page.locator(f'table.classes tr:has(a[href="/synset/{GOOK}"])')
        assert "sensitive" in flagged.inner_text()
        with page.expect_navigation():
            flagged.locator("a").click()
        assert page.url.endswith(f"/synset/{GOOK}")
    finally:
        context.close()
    assert problems == [], "the pages logged errors"
