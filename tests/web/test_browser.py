"""The labelling app in a real browser: Debian's Chromium driven by Playwright.

The app runs under uvicorn on 127.0.0.1 (a free port) in a thread, with the
default cookie rule (loopback: cookies without Secure, so plain HTTP works).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from synsetdb.catalog import Project
from synsetdb.verify.accounts import Worker
from synsetdb.web import WebConfig, create_app
from tests.web._pages import candidate_ids, votes
from tests.web.conftest import BIRD, PASSWORDS, TASK, running

pytestmark = pytest.mark.browser


@pytest.fixture
def server(project: Project, workers: dict[str, Worker]) -> Iterator[str]:
    """The app under uvicorn on 127.0.0.1 and a free port; yields its base URL."""
    with running(create_app(project, WebConfig(task=TASK))) as url:
        yield url


@pytest.fixture
def open_page(browser: Any, server: str) -> Iterator[Any]:
    """Opens a signed-in page per account, each in its own browser context (own cookies)."""
    contexts: list[Any] = []
    problems: list[str] = []

    def open_as(name: str) -> Any:
        context = browser.new_context(viewport={"width": 700, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/label")
        assert page.url == f"{server}/login"  # sent to sign in first
        page.fill("input[name=name]", name)
        page.fill("input[name=password]", PASSWORDS[name])
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url == f"{server}/label"
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert problems == [], "the pages logged errors (a CSP violation, a script error, …)"


def _batch(page: Any) -> tuple[int, list[str]]:
    """The task id and the images, in order, of the batch on the page."""
    action = page.get_attribute("form#batch", "action")
    images = page.locator(".tile img").evaluate_all("imgs => imgs.map(i => i.src.split('/').pop())")
    return int(action.rsplit("/", 1)[1]), images


def _focused(page: Any) -> int:
    return int(page.evaluate("document.activeElement.value"))


def _submit_with_enter(page: Any) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_label_a_batch_with_keyboard_and_mouse(open_page: Any, project: Project) -> None:
    page = open_page("ann")
    assert page.inner_text("h1") == "bird"
    task_id, images = _batch(page)
    assert len(images) == TASK.batch_size
    assert all(page.locator(".tile img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)"))
    columns = page.evaluate(
        "(() => { const t = [...document.querySelectorAll('.tile')];"
        " return t.filter(x => x.offsetTop === t[0].offsetTop).length; })()"
    )
    assert 1 < columns < TASK.batch_size
    # Keyboard: the first image has the focus on load.
    assert _focused(page) == 0
    page.keyboard.press("Space")  # select image 0
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("x")  # select image 2
    page.keyboard.press("ArrowDown")  # one row down
    below = min(2 + columns, TASK.batch_size - 1)
    assert _focused(page) == below
    page.keyboard.press("X")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("x")
    page.keyboard.press("x")  # and unselect again: image below-1 stays unselected
    # Mouse: click two more images, then one of them again.
    mouse = [i for i in range(TASK.batch_size) if i not in (0, 2, below, below - 1)][:2]
    for index in (*mouse, mouse[1]):
        page.locator(".tile img").nth(index).click()
    selected = {0, 2, below, mouse[0]}
    checked = page.locator(".tile input").evaluate_all("boxes => boxes.map(b => b.checked)")
    assert {i for i, on in enumerate(checked) if on} == selected
    assert page.inner_text("#count") == f"{len(selected)} of {TASK.batch_size} selected"
    assert page.locator(".tile.selected").count() == len(selected)
    _submit_with_enter(page)

    stored = [v for v in votes(project.catalog) if v[0] == task_id]
    shown = candidate_ids(project.catalog, images)
    assert len(stored) == TASK.batch_size
    assert {c for _, c, _, answer, _ in stored if answer} == {shown[i] for i in selected}
    next_task, _ = _batch(page)  # the next batch came up
    assert next_task != task_id


def test_two_workers_label_separately(open_page: Any, project: Project) -> None:
    ann = open_page("ann")
    ann_task, ann_images = _batch(ann)
    _submit_with_enter(ann)  # ann says no to all of them
    bob = open_page("bob")
    assert "bob" in bob.inner_text("header") and "ann" not in bob.inner_text("header")
    bob_task, bob_images = _batch(bob)
    assert bob_task != ann_task
    bob.locator(".tile img").first.click()
    with bob.expect_navigation():
        bob.click("form#batch button[type=submit]")
    # Each worker sees a candidate once: ann's next batch holds none she voted on.
    ann.reload()
    _, ann_next = _batch(ann)
    assert not set(candidate_ids(project.catalog, ann_next)) & set(
        candidate_ids(project.catalog, ann_images)
    )
    by_worker: dict[int, list[int]] = {}
    for _, candidate, worker, _, _ in votes(project.catalog):
        by_worker.setdefault(worker, []).append(candidate)
    assert sorted(len(c) for c in by_worker.values()) == [TASK.batch_size] * 2
    assert all(len(c) == len(set(c)) for c in by_worker.values())
    assert candidate_ids(project.catalog, bob_images)[0] in {
        c for _, c, w, answer, _ in votes(project.catalog) if answer
    }


def test_the_admin_page_shows_progress(open_page: Any, project: Project, server: str) -> None:
    ann = open_page("ann")
    _submit_with_enter(ann)
    root = open_page("root")
    root.click("text=Admin")
    assert root.url == f"{server}/admin"
    row = root.locator("#progress tbody tr", has_text=BIRD)
    cells = row.locator("td").all_inner_texts()
    assert cells[:2] == [BIRD, "bird"]
    real = TASK.batch_size - TASK.positive_controls - TASK.negative_controls
    assert cells[6] == str(real)  # votes so far (controls left out)
    assert cells[7] == "2"  # open tasks: ann's next batch and root's own
    workers = root.locator("#workers tbody tr", has_text="ann").locator("td").all_inner_texts()
    assert workers[3] == str(TASK.batch_size)
    with root.expect_navigation():
        root.click("text=Sign out")
    assert root.url == f"{server}/login"
