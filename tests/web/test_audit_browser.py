"""The audit pages in a real browser (Chromium through Playwright), on a laptop and a phone.

An admin signs in, opens the Audit page, dismisses a finding with a reason and
sees it marked reviewed after the reload; opens the label issues; the tree
shows a badge on a node with findings, also on nodes its script opened. Every
page is checked to render, to fit the phone's width and to log no error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synsetdb.catalog import Project
from synsetdb.web import WebConfig, create_app
from tests.web._audit_data import LABEL_ISSUES, Seeded, seed
from tests.web.conftest import running
from tests.web.explorer_data import PASSWORDS, TIGER_CAT, Built
from tests.web.test_explore_browser import PATH_TO_TIGER_CAT, VIEWPORTS, check_rendered

pytestmark = pytest.mark.browser


@pytest.fixture
def server(explorer: tuple[Project, Built]) -> Iterator[tuple[str, Seeded]]:
    project, built = explorer
    seeded = seed(project, built)
    config = WebConfig(anonymous_browse=True, secure_cookies=False)
    with running(create_app(project, config)) as url:
        yield url, seeded


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser: Any, server: tuple[str, Seeded]) -> Iterator[Any]:
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "requestfailed",
        lambda r: None if r.failure == "net::ERR_ABORTED" else problems.append(r.url),
    )
    page.base, page.seeded = server
    page.viewport = request.param
    yield page
    context.close()
    assert problems == [], "the pages logged errors"


def _open(page: Any, path: str) -> None:
    page.goto(page.base + path)
    page.wait_for_load_state("networkidle")


def _sign_in(page: Any, name: str) -> None:
    _open(page, "/login")
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', PASSWORDS[name])
    with page.expect_navigation():
        page.locator('form button[type="submit"]').last.click()


def test_an_admin_dismisses_a_finding_with_a_reason(page: Any, tmp_path: Path) -> None:
    seeded: Seeded = page.seeded
    _sign_in(page, "root")
    _open(page, "/audit")
    assert page.locator("h1").inner_text() == "Audit of the catalog"
    check_rendered(page, "audit", tmp_path)
    finding = page.locator(f"#f-{seeded.licence[:12]}")
    finding.locator("details.evidence summary").click()
    assert finding.locator("details.evidence").get_attribute("open") is not None
    dismiss = finding.locator("form.dismiss")
    dismiss.locator('button[type="submit"]').click()  # no reason: the form refuses to send
    assert page.url == page.base + "/audit"
    dismiss.locator('input[name="reason"]').fill("ImageNet's terms of access cover them")
    with page.expect_navigation():
        dismiss.locator('button[type="submit"]').click()
    page.wait_for_load_state("networkidle")
    finding = page.locator(f"#f-{seeded.licence[:12]}")
    assert "is-reviewed" in (finding.get_attribute("class") or "")
    text = finding.inner_text()
    assert "dismissed" in text and "ImageNet's terms of access cover them" in text
    assert finding.locator("button", has_text="Reopen").count() == 1
    check_rendered(page, "audit-reviewed", tmp_path)
    _open(page, "/audit?state=open")  # out of the open ones
    assert page.locator(f"#f-{seeded.licence[:12]}").count() == 0
    _open(page, "/audit/code/LIC001")
    assert "Images without a recorded source or licence" in page.locator(".doc").inner_text()
    check_rendered(page, "audit-code", tmp_path)


def test_the_label_issues_and_the_tree_badge(page: Any, tmp_path: Path) -> None:
    _open(page, "/audit")
    with page.expect_navigation():
        page.locator("a", has_text="Label issues").first.click()
    page.wait_for_load_state("networkidle")
    issues = page.locator("ol.label-issues > li")
    assert issues.count() == LABEL_ISSUES
    first = issues.first
    assert "tiger cat" in first.inner_text() and "dog" in first.inner_text()
    assert first.locator("img").evaluate("img => img.naturalWidth") > 0  # the thumbnail loads
    check_rendered(page, "labels", tmp_path)
    _open(page, "/explore")
    for wnid in PATH_TO_TIGER_CAT:  # the tree's script opens each level from /api/tree
        node = page.locator(f'li[data-wnid="{wnid}"]')
        toggle = node.locator(":scope > .row .toggle")
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        node.locator(":scope > ul > li").first.wait_for()
    badge = page.locator(f'li[data-wnid="{TIGER_CAT}"] > .row .finding-badge')
    assert badge.inner_text() == f"{LABEL_ISSUES} found"
    with page.expect_navigation():
        badge.click()
    assert page.locator("#findings").count() == 1
    check_rendered(page, "synset-findings", tmp_path)
