"""Labelling through the app: batches, submissions, refusals, thumbnails."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from synsetdb.catalog import Project, schema
from synsetdb.catalog.checks import run_checks
from synsetdb.errors import VerifyError
from synsetdb.verify.accounts import Worker
from synsetdb.web import WebConfig
from synsetdb.web.auth import SESSION_COOKIE
from synsetdb.web.media import is_image_id
from tests.web._pages import Batch, batch_of, candidate_ids, votes
from tests.web.conftest import CANDIDATES, TASK, add_image


def _batch(client: TestClient) -> Batch:
    page = client.get("/label")
    assert page.status_code == 200
    batch = batch_of(page.text)
    assert batch is not None, "expected a batch"
    return batch


def test_a_batch_shows_the_synset_and_hides_its_controls(
    project: Project, signed_in: Callable[[str], TestClient]
) -> None:
    page = signed_in("ann").get("/label").text
    assert "<h1>bird</h1>" in page
    assert "warm-blooded egg-laying vertebrates" in page
    assert "entity › physical entity › object" in page and "› vertebrate</p>" in page
    batch = batch_of(page)
    assert batch is not None and len(batch.image_ids) == TASK.batch_size
    # Every tile is the same markup but for its position and image: a control has no tell.
    tiles = re.findall(r'<label class="tile">.*?</label>', page, flags=re.S)
    assert len(tiles) == TASK.batch_size
    shapes = {re.sub(r"[0-9a-f]{64}|\d+", "#", tile) for tile in tiles}
    assert len(shapes) == 1
    assert re.findall(r'name="selected" value="(\d+)"', page) == [
        str(i) for i in range(TASK.batch_size)
    ]


def test_a_submission_stores_one_vote_per_image(
    project: Project, workers: dict[str, Worker], signed_in: Callable[[str], TestClient]
) -> None:
    ann = signed_in("ann")
    batch = _batch(ann)
    response = ann.post(f"/label/{batch.task_id}", data=batch.form([1, 4]), follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/label")
    shown = candidate_ids(project.catalog, batch.image_ids)
    stored = votes(project.catalog)
    assert sorted(c for _, c, *_ in stored) == sorted(shown)
    assert {(t, w) for t, _, w, *_ in stored} == {(batch.task_id, workers["ann"].id)}
    assert {c for _, c, _, answer, _ in stored if answer == 1} == {shown[1], shown[4]}
    controls = [c for *_, c in stored]
    assert sum(controls) == TASK.positive_controls + TASK.negative_controls
    assert _batch(ann).task_id != batch.task_id  # on to the next batch


def test_a_retried_post_counts_once(
    project: Project, signed_in: Callable[[str], TestClient]
) -> None:
    ann = signed_in("ann")
    batch = _batch(ann)
    first = ann.post(f"/label/{batch.task_id}", data=batch.form([0]), follow_redirects=False)
    again = ann.post(f"/label/{batch.task_id}", data=batch.form([0, 2]), follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == "/label"
    stored = votes(project.catalog)
    assert len(stored) == TASK.batch_size
    assert sum(answer for *_, answer, _ in stored) == 1  # the retry's extra "yes" was ignored


def test_a_worker_never_gets_an_image_twice(
    project: Project, signed_in: Callable[[str], TestClient]
) -> None:
    ann = signed_in("ann")
    seen: list[str] = []
    for _ in range(CANDIDATES):
        page = ann.get("/label").text
        batch = batch_of(page)
        if batch is None:
            assert "Nothing to label right now" in page
            break
        seen += batch.image_ids
        ann.post(f"/label/{batch.task_id}", data=batch.form([0]))
    else:
        pytest.fail("the worker never ran out of batches")
    assert len(seen) == len(set(seen))
    assert len(set(candidate_ids(project.catalog, seen))) >= CANDIDATES  # all of them, once


def test_pages_opened_at_once_share_one_batch(
    app: FastAPI, project: Project, signed_in: Callable[[str], TestClient]
) -> None:
    """Two tabs (or a double click) at once: one batch, not two with the same images."""
    cookie = signed_in("ann").cookies[SESSION_COOKIE]
    tabs = [TestClient(app, cookies={SESSION_COOKIE: cookie}) for _ in range(4)]
    start = threading.Barrier(len(tabs))
    pages: list[str] = [""] * len(tabs)

    def open_tab(index: int) -> None:
        start.wait()
        pages[index] = tabs[index].get("/label").text

    threads = [threading.Thread(target=open_tab, args=(i,)) for i in range(len(tabs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    batches = [batch_of(page) for page in pages]
    task_ids = {batch.task_id for batch in batches if batch is not None}
    assert None not in batches and len(task_ids) == 1
    t = schema.task
    with project.catalog.engine.connect() as conn:
        assert set(conn.execute(select(t.c.id).where(t.c.status == "open")).scalars()) == task_ids
    # Submitting every page that was shown casts each of ann's votes once.
    for tab, batch in zip(tabs, batches, strict=True):
        assert batch is not None
        tab.post(f"/label/{batch.task_id}", data=batch.form([0]), follow_redirects=False)
    stored = [c for _, c, *_ in votes(project.catalog)]
    assert len(stored) == len(set(stored)) == TASK.batch_size


def test_bad_submissions_are_refused_and_store_nothing(
    project: Project, signed_in: Callable[[str], TestClient]
) -> None:
    ann, bob = signed_in("ann"), signed_in("bob")
    mine, bobs = _batch(ann), _batch(bob)
    cases = [
        (f"/label/{bobs.task_id}", mine.form([0]), "E_NO_TASK"),  # someone else's task
        ("/label/999999", mine.form([0]), "E_NO_TASK"),  # no such task
        ("/label/0", mine.form(), "E_NO_TASK"),
        (f"/label/{2**70}", mine.form(), "E_NO_TASK"),  # too large to be stored anywhere
        (f"/label/{mine.task_id}", mine.form([TASK.batch_size]), "E_BAD_SUBMISSION"),
        (f"/label/{mine.task_id}", mine.form(selected=["one"]), "E_BAD_SUBMISSION"),
        (f"/label/{mine.task_id}", mine.form(selected=["-1"]), "E_BAD_SUBMISSION"),
        (f"/label/{mine.task_id}", mine.form(selected=["٣"]), "E_BAD_SUBMISSION"),
        (f"/label/{mine.task_id}", mine.form(selected=["1\n"]), "E_BAD_SUBMISSION"),
    ]
    for url, form, code in cases:
        response = ann.post(url, data=form, follow_redirects=False)
        assert response.status_code == 400, (url, form)
        assert ("not yours" if code == "E_NO_TASK" else "batch") in response.text
        assert f"<code>{code}</code>" in response.text
    assert ann.post("/label/abc", data=mine.form(), follow_redirects=False).status_code == 400
    assert votes(project.catalog) == []
    # Both batches are still open and can be submitted.
    assert ann.post(f"/label/{mine.task_id}", data=mine.form([0])).status_code == 200
    assert len(votes(project.catalog)) == TASK.batch_size


def test_an_expired_batch_sends_the_worker_to_a_new_one(
    project: Project, signed_in: Callable[[str], TestClient]
) -> None:
    ann = signed_in("ann")
    batch = _batch(ann)
    past = datetime.now(UTC) - timedelta(minutes=1)
    with project.catalog.engine.begin() as conn:
        conn.execute(
            update(schema.task).where(schema.task.c.id == batch.task_id).values(expires_at=past)
        )
    response = ann.post(f"/label/{batch.task_id}", data=batch.form([0]), follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/label?notice=expired")
    page = ann.get(response.headers["location"]).text
    assert "expired before it was submitted" in page
    fresh = batch_of(page)
    assert fresh is not None and fresh.task_id != batch.task_id
    assert votes(project.catalog) == []
    assert "alert(1)" not in ann.get("/label?notice=<script>alert(1)</script>").text


def test_nothing_left_to_label(project: Project, signed_in: Callable[[str], TestClient]) -> None:
    with project.catalog.engine.begin() as conn:
        conn.execute(update(schema.candidate).values(status="accepted"))
    page = signed_in("ann").get("/label")
    assert page.status_code == 200
    assert "Nothing to label right now" in page.text and batch_of(page.text) is None


def test_thumbnails_are_served_to_signed_in_visitors(
    project: Project, signed_in: Callable[[str], TestClient]
) -> None:
    ann = signed_in("ann")
    image_id = _batch(ann).image_ids[0]
    with project.catalog.engine.connect() as conn:
        key = conn.execute(
            select(schema.image.c.thumbnail_key).where(schema.image.c.id == image_id)
        ).scalar_one()
    response = ann.get(f"/thumb/{image_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content == project.blobs.get(key) and response.content[:2] == b"\xff\xd8"
    assert "max-age" in response.headers["cache-control"]
    assert "private" in response.headers["cache-control"]
    etag = response.headers["etag"]
    cached = ann.get(f"/thumb/{image_id}", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""


@pytest.mark.parametrize(
    "case", ["unknown", "no thumbnail", "blob missing", "uppercase", "short", "traversal"]
)
def test_thumbnail_lookups_that_fail_are_404(
    project: Project, signed_in: Callable[[str], TestClient], case: str
) -> None:
    ann = signed_in("ann")
    image_id = {
        "unknown": "ab" * 32,
        "no thumbnail": add_image(project, 300, thumbnail=False),
        "blob missing": add_image(project, 301),
        "uppercase": add_image(project, 302).upper(),
        "short": "abc123",
        "traversal": "..%2F..%2Fcatalog.sqlite",
    }[case]
    if case == "blob missing":
        with project.catalog.engine.connect() as conn:
            key = conn.execute(
                select(schema.image.c.thumbnail_key).where(schema.image.c.id == image_id)
            ).scalar_one()
        project.blobs.delete(key)
    response = ann.get(f"/thumb/{image_id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    if case != "traversal":  # "/" in the id: no route matches, so no code of the app's
        assert "<code>E_NOT_FOUND</code>" in response.text


def test_an_image_id_is_64_hex_digits_and_nothing_more() -> None:
    assert is_image_id("ab" * 32)
    for text in ("ab" * 32 + "\n", "AB" * 32, "ab" * 31, "ab" * 33, "../" + "ab" * 32, ""):
        assert not is_image_id(text), text


@pytest.mark.parametrize(
    "config",
    [
        WebConfig(
            task=replace(TASK, positive_controls=0, negative_controls=0, review=True),
            secure_cookies=False,
        )
    ],
    ids=["review"],
)
def test_in_review_mode_one_answer_decides_as_the_persons_own(
    project: Project, signed_in: Callable[[str], TestClient], config: WebConfig
) -> None:
    """A lab without a crowd: the one labeller's answers are the decisions."""
    ann = signed_in("ann")
    page = ann.get("/label").text
    assert "Review mode:" in page
    batch = batch_of(page)
    assert batch is not None and len(batch.image_ids) == TASK.batch_size  # no hidden controls
    ann.post(f"/label/{batch.task_id}", data=batch.form([0, 3]), follow_redirects=False)
    shown = candidate_ids(project.catalog, batch.image_ids)
    c, d = schema.candidate.c, schema.decision.c
    with project.catalog.engine.connect() as conn:
        query = select(c.id, c.status).where(c.id.in_(shown), c.decided_by == "person")
        decided = {int(i): str(status) for i, status in conn.execute(query)}
        log = {tuple(r) for r in conn.execute(select(d.actor, d.reason))}
    assert decided == {
        cid: "accepted" if i in (0, 3) else "rejected" for i, cid in enumerate(shown)
    }
    assert log == {("ann", "review")}
    assert run_checks(project.catalog, project.blobs, only=("counts",)).ok


def test_review_mode_refuses_hidden_controls() -> None:
    with pytest.raises(VerifyError) as caught:
        replace(TASK, review=True)
    assert caught.value.code == "E_CONFIG"
