"""Reading the app's pages in tests: form tokens, batches, and what the catalog stored."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from synsetdb.catalog import Catalog, schema

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_ACTION = re.compile(r'<form method="post" action="/label/(\d+)" id="batch">')
_THUMB = re.compile(r'src="/thumb/([0-9a-f]{64})"')


def csrf_of(page: str) -> str:
    """The CSRF token of the page's first form."""
    found = _CSRF.search(page)
    assert found, "no form token on the page"
    return html.unescape(found.group(1))


def sign_in(client: TestClient, name: str, password: str) -> Any:
    """Sign in through the form, as a browser does (the form's token, then the POST)."""
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf": token},
        follow_redirects=False,
    )


@dataclass(frozen=True)
class Batch:
    """A /label page's batch: the task, the form token, the images in display order."""

    task_id: int
    csrf: str
    image_ids: list[str]

    def form(self, positions: list[int] | None = None, **extra: Any) -> dict[str, Any]:
        return {"csrf": self.csrf, "selected": [str(p) for p in positions or []]} | extra


def batch_of(page: str) -> Batch | None:
    """The batch on a /label page, or None on the 'nothing to label' page."""
    action = _ACTION.search(page)
    if action is None:
        return None
    return Batch(int(action.group(1)), csrf_of(page), _THUMB.findall(page))


def candidate_ids(catalog: Catalog, image_ids: list[str]) -> list[int]:
    """The candidate of each image (each test image is a candidate of one synset)."""
    c = schema.candidate
    with catalog.engine.connect() as conn:
        query = select(c.c.image_id, c.c.id).where(c.c.image_id.in_(image_ids))
        rows = {str(row[0]): int(row[1]) for row in conn.execute(query)}
    return [rows[i] for i in image_ids]


def votes(catalog: Catalog) -> list[tuple[int, int, int, int, bool]]:
    """Every stored vote as (task, candidate, worker, answer, is_control)."""
    v = schema.vote
    query = select(v.c.task_id, v.c.candidate_id, v.c.worker_id, v.c.answer, v.c.is_control)
    with catalog.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query.order_by(v.c.id))]  # type: ignore[misc]
