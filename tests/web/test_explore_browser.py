"""The explorer in a real browser (Debian's Chromium through Playwright), on a laptop and a phone.

Each test walks a page as a person would: opening the tree down to a leaf,
searching, paging a grid with the keyboard, reading an image's boxes and
votes, clicking a statistics bar, looking at duplicates and a datasheet. Every
page it passes is screenshotted and checked to be rendered (not blank), to
fit the phone's width, and to have logged no error (a CSP violation, a
script error, a failed request).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageStat
from playwright.sync_api import expect

from synsetdb.catalog import Project
from synsetdb.web import WebConfig, create_app
from tests.web.conftest import running
from tests.web.explorer_data import DOG, TIGER_CAT, Built

pytestmark = pytest.mark.browser

VIEWPORTS = {"laptop": (1280, 800), "phone": (390, 844)}
# From animal: chordate, vertebrate, mammal, placental, carnivore, feline, cat, domestic cat.
PATH_TO_TIGER_CAT = (
    "n01466257",
    "n01471682",
    "n01861778",
    "n01886756",
    "n02075296",
    "n02120997",
    "n02121620",
    "n02121808",
)


@pytest.fixture
def server(explorer: tuple[Project, Built]) -> Iterator[str]:
    project, _ = explorer
    with running(create_app(project, WebConfig(anonymous_browse=True))) as url:
        yield url


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser: Any, server: str) -> Iterator[Any]:
    """A page in a fresh context at the viewport; fails the test if the page logged errors."""
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(  # a request cancelled by leaving the page is no failure
        "requestfailed",
        lambda r: None if r.failure == "net::ERR_ABORTED" else problems.append(r.url),
    )
    page.base = server
    page.viewport = request.param
    yield page
    context.close()
    assert problems == [], "the pages logged errors"


def _open(page: Any, path: str) -> None:
    page.goto(page.base + path)
    page.wait_for_load_state("networkidle")


def check_rendered(page: Any, name: str, out: Path) -> None:
    """A full-page screenshot that is not blank, of a page as wide as the viewport."""
    shot = page.screenshot(full_page=True)
    (out / f"{page.viewport}-{name}.png").write_bytes(shot)
    image = Image.open(io.BytesIO(shot)).convert("L")
    assert max(ImageStat.Stat(image).stddev) > 10, f"{name} looks blank"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{name} is {overflow}px wider than the {page.viewport} screen"


def test_open_the_tree_to_a_leaf_and_search(page: Any, tmp_path: Path) -> None:
    _open(page, "/explore")
    check_rendered(page, "tree", tmp_path)
    # The chain of only children is open down to animal (chordate, domestic animal);
    # from there, node by node to the tiger cat.
    for wnid in PATH_TO_TIGER_CAT:
        node = page.locator(f'li[data-wnid="{wnid}"]')
        toggle = node.locator(":scope > .row .toggle")
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        node.locator(":scope > ul > li").first.wait_for()
    feline = page.locator('li[data-wnid="n02120997"]')
    leaf = page.locator(f'li[data-wnid="{TIGER_CAT}"]')
    assert leaf.locator(".leaf").count() == 1  # no children: no toggle
    assert leaf.locator(".count").inner_text() == "6"
    feline.locator(":scope > .row .toggle").click()  # close feline again
    assert not leaf.is_visible()
    # Search as you type: suggestions, then the keyboard picks one.
    page.fill("#q", "tiger ca")
    page.locator("#q-hits li").first.wait_for()
    options = page.locator("#q-hits li").all_inner_texts()
    assert any(TIGER_CAT in text for text in options)
    index = next(i for i, text in enumerate(options) if TIGER_CAT in text)
    for _ in range(index + 1):
        page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/synset/{TIGER_CAT}")
    assert page.locator("h1").inner_text().startswith("tiger cat")
    check_rendered(page, "leaf", tmp_path)


def test_page_a_grid_and_move_with_the_keyboard(page: Any, tmp_path: Path) -> None:
    _open(page, f"/synset/{DOG}")
    tiles = page.locator("#grid a.thumb")
    assert tiles.count() == 60
    page.locator("#more").scroll_into_view_if_needed()
    expect(tiles).to_have_count(70)  # (not wait_for_function: the CSP forbids eval)
    assert page.locator("#more").count() == 0  # the last page came: no link left
    widths = tiles.evaluate_all("links => links.map(a => a.querySelector('img').naturalWidth)")
    assert all(widths[:3])  # the first row's thumbnails loaded (the rest load lazily)
    check_rendered(page, "synset", tmp_path)
    tiles.first.focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement === document.querySelectorAll('#grid a.thumb')[1]")
    page.keyboard.press("ArrowDown")
    columns = page.evaluate(
        "(() => { const t = [...document.querySelectorAll('#grid a.thumb')];"
        " return t.filter(x => x.offsetTop === t[0].offsetTop).length; })()"
    )
    focused = page.evaluate(
        "[...document.querySelectorAll('#grid a.thumb')].indexOf(document.activeElement)"
    )
    assert focused == 1 + columns
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/image/" in page.url
    # A filter reloads the grid: accepted images only.
    _open(page, f"/synset/{DOG}")
    with page.expect_navigation():
        page.select_option("select[name=status]", "accepted")
    assert "status=accepted" in page.url
    tags = page.locator("#grid .tag").all_inner_texts()
    assert tags and all(t.startswith("accepted") for t in tags)


def test_an_image_shows_its_boxes_and_votes(
    page: Any, explorer: tuple[Project, Built], tmp_path: Path
) -> None:
    _, built = explorer
    _open(page, f"/image/{built.boxed}")
    box = page.locator("svg.picture rect.box").bounding_box()
    picture = page.locator("svg.picture").bounding_box()
    assert box is not None and picture is not None
    # the box (10, 12)-(90, 100) of a 120×90 image, scaled with the picture
    scale = picture["width"] / 120
    assert abs(box["x"] - picture["x"] - 10 * scale) < 3
    assert abs(box["width"] - 80 * scale) < 3
    check_rendered(page, "image", tmp_path)
    _open(page, f"/image/{built.voted[0]}")
    page.locator("details.votes summary").click()
    assert "w3: no" in page.locator("details.votes").inner_text()


def test_a_statistics_bar_leads_to_the_synsets_behind_it(page: Any, tmp_path: Path) -> None:
    _open(page, "/stats")
    check_rendered(page, "stats", tmp_path)
    bar = page.locator("figure.chart svg.bars a").first
    with page.expect_navigation():
        bar.click()
    assert "/synsets?" in page.url
    assert page.locator("table.report tbody tr").count() >= 1
    names = page.locator("table.report tbody td:first-child").all_inner_texts()
    assert set(names) <= {"dog", "tiger cat"} and names


def test_duplicates_and_a_datasheet(page: Any, tmp_path: Path) -> None:
    _open(page, "/duplicates?release=r1")
    group = page.locator("section.group.straddles")
    assert group.count() == 1 and "across 2 splits" in group.inner_text()
    assert group.locator("img").count() == 2
    check_rendered(page, "duplicates", tmp_path)
    _open(page, "/releases/r1")
    figure = page.locator(".datasheet img").first
    assert figure.evaluate("img => img.naturalWidth") > 0
    check_rendered(page, "release", tmp_path)
