"""The admin page and the reports behind it."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from synsetdb.catalog import Project, schema
from synsetdb.verify import QualityConfig
from synsetdb.verify.accounts import Worker
from synsetdb.web.reports import synset_progress, worker_quality
from tests.web._pages import batch_of, candidate_ids, votes
from tests.web.conftest import BIRD, CANDIDATES, MAMMAL, TASK


def _statuses(project: Project) -> dict[int, tuple[str, str]]:
    """Each candidate's (synset wnid, status)."""
    c, s = schema.candidate, schema.synset
    with project.catalog.engine.connect() as conn:
        rows = conn.execute(select(c.c.id, s.c.wnid, c.c.status).join(s, s.c.id == c.c.synset_id))
        return {int(i): (wnid, status) for i, wnid, status in rows}


def _label(client: TestClient, project: Project, choose: Callable[[str, str], bool]) -> None:
    """Submit the client's batch, selecting the images ``choose(wnid, status)`` approves."""
    batch = batch_of(client.get("/label").text)
    assert batch is not None
    truth = _statuses(project)
    shown = candidate_ids(project.catalog, batch.image_ids)
    chosen = [i for i, candidate in enumerate(shown) if choose(*truth[candidate])]
    response = client.post(
        f"/label/{batch.task_id}", data=batch.form(chosen), follow_redirects=False
    )
    assert response.status_code == 303


def test_the_admin_page_is_for_admins_only(
    project: Project, signed_in: Callable[[str], TestClient]
) -> None:
    ann = signed_in("ann")
    page = ann.get("/label").text
    assert 'href="/admin"' not in page
    response = ann.get("/admin")
    assert response.status_code == 403 and "for admins" in response.text
    assert "<code>E_FORBIDDEN</code>" in response.text
    root = signed_in("root")
    assert 'href="/admin"' in root.get("/label").text
    admin = root.get("/admin")
    assert admin.status_code == 200
    assert "n01503061" in admin.text and "ann" in admin.text and "too few controls" in admin.text
    assert votes(project.catalog) == []


def test_reports_count_progress_and_score_workers_on_controls(
    project: Project, workers: dict[str, Worker], signed_in: Callable[[str], TestClient]
) -> None:
    ann, bob = signed_in("ann"), signed_in("bob")
    # ann selects exactly the positive controls; bob selects everything.
    _label(ann, project, lambda wnid, status: wnid == BIRD and status == "accepted")
    _label(bob, project, lambda wnid, status: True)
    signed_in("root").get("/label")  # an open task, not yet submitted

    progress = {row.wnid: row for row in synset_progress(project.catalog)}
    assert set(progress) == {BIRD, MAMMAL}
    bird = progress[BIRD]
    assert (bird.candidate, bird.accepted, bird.rejected, bird.undecided) == (CANDIDATES, 3, 0, 0)
    real_votes = 2 * (TASK.batch_size - TASK.positive_controls - TASK.negative_controls)
    assert bird.votes == real_votes and bird.open_tasks == 1
    assert progress[MAMMAL].accepted == 3 and progress[MAMMAL].votes == 0

    reports = {r.worker.name: r for r in worker_quality(project.catalog, QualityConfig())}
    assert set(reports) == {"ann", "bob", "root"}
    assert reports["ann"].votes == reports["bob"].votes == TASK.batch_size
    ann_q, bob_q, root_q = reports["ann"].quality, reports["bob"].quality, reports["root"].quality
    assert ann_q.controls == bob_q.controls == 2
    assert (ann_q.sensitivity, ann_q.specificity) == (1.0, 1.0)
    assert (bob_q.sensitivity, bob_q.specificity) == (1.0, 0.0)
    assert root_q.controls == 0 and math.isnan(root_q.sensitivity) and root_q.flag is None

    page = signed_in("root").get("/admin").text
    assert f"<td>{real_votes}</td>" in page  # the synset's votes
    # Votes, control answers, sensitivity, specificity of each worker's row.
    assert _worker_row(page, "ann")[3:7] == [str(TASK.batch_size), "2", "100%", "100%"]
    assert _worker_row(page, "bob")[3:7] == [str(TASK.batch_size), "2", "100%", "0%"]


def _worker_row(page: str, name: str) -> list[str]:
    """The cells of ``name``'s row in the admin page's workers table."""
    table = page[page.index('<table class="report" id="workers">') :]
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
        cells = [c.strip() for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no row for {name}")


def test_reports_on_an_empty_catalog(project: Project) -> None:
    with project.catalog.engine.begin() as conn:
        conn.execute(schema.candidate.delete())
    assert synset_progress(project.catalog) == []
    assert worker_quality(project.catalog) == []
