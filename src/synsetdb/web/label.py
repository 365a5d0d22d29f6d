"""The labelling pages: a worker's batch, its submission, and the thumbnails it shows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import CatalogError, NotFoundError, VerifyError
from ..verify.tasks import next_task, submit
from .auth import CheckedForm, VisitorDep, current_visitor, redirect
from .lookups import is_image_id, task_candidates, thumbnail_key
from .state import PageError, WebState, render, web_state

__all__ = ["router"]

router = APIRouter()

# Notices a redirect may ask /label to show, by key: the page never echoes request text.
NOTICES = {"expired": "Your last batch expired before it was submitted; here is a new one."}
_POSITION = re.compile(r"[0-9]{1,6}")  # fullmatch: "$" would let a trailing newline in
_MAX_ID = 2**63 - 1  # larger ids cannot be stored, so they name no task
_THUMB_CACHE = "private, max-age=86400, immutable"  # content-addressed: a key never changes


@router.get("/label")
def label_page(request: Request, visitor: VisitorDep, notice: str | None = None) -> HTMLResponse:
    """The worker's open batch, or a new one; a friendly page when nothing is left."""
    state = web_state(request)
    with state.batch_locks(visitor.worker.id):  # two tabs at once: one batch, not two
        task = next_task(state.catalog, visitor.worker.id, state.config.task)
    context = {"visitor": visitor, "notice": NOTICES.get(notice or "")}
    if task is None:
        return render(request, "nothing.html", context)
    return render(request, "label.html", context | {"task": task})


@router.post("/label/{task_id}")
async def submit_batch(
    request: Request, task_id: int, visitor: VisitorDep, form: CheckedForm
) -> RedirectResponse:
    """Record the batch's votes (selected: yes, the rest: no), then on to the next batch.

    The form names images by their position in the batch. A repeated POST of
    a submitted batch records nothing and redirects as the first did.
    """
    state = web_state(request)
    selected = form.get("selected", [])
    try:
        await run_in_threadpool(_submit, state, task_id, visitor.worker.id, selected)
    except VerifyError as error:
        if error.code == "E_TASK_EXPIRED":
            return redirect("/label?notice=expired")
        if error.code in ("E_BAD_SUBMISSION", "E_NO_TASK"):
            raise PageError(400, str(error), error.code) from None
        raise
    return redirect("/label")


def _submit(state: WebState, task_id: int, worker_id: int, positions: Sequence[Any]) -> None:
    order = task_candidates(state.catalog, task_id, worker_id) if 0 < task_id <= _MAX_ID else []
    if not order:
        raise VerifyError(f"task {task_id} is not yours", code="E_NO_TASK")
    chosen = set()
    for position in positions:
        if not (isinstance(position, str) and _POSITION.fullmatch(position)):
            raise VerifyError(
                f"not an image of the batch: {position!r:.40}", code="E_BAD_SUBMISSION"
            )
        if int(position) >= len(order):
            raise VerifyError(f"the batch has no image {position}", code="E_BAD_SUBMISSION")
        chosen.add(order[int(position)])
    submit(state.catalog, task_id, worker_id, chosen, state.config.task)


@router.get("/thumb/{image_id}")
def thumbnail(request: Request, image_id: str) -> Response:
    """An image's JPEG thumbnail, for signed-in visitors; 404 for an unknown id or none stored."""
    if current_visitor(request) is None:
        raise PageError(401, "Sign in to see images.", code="E_SIGN_IN")
    if not is_image_id(image_id):  # before any lookup: the id reaches no query or path
        raise PageError(404, "No such image.", code="E_NOT_FOUND")
    state = web_state(request)
    key = thumbnail_key(state.catalog, image_id)
    if key is None:
        raise PageError(404, "This image has no thumbnail.", code="E_NOT_FOUND")
    headers = {"Cache-Control": _THUMB_CACHE, "ETag": f'"{key}"'}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    try:
        data = state.blobs.get(key)
    except (NotFoundError, CatalogError):  # missing from the store, or a malformed key
        raise PageError(404, "This image's thumbnail is missing.", code="E_NOT_FOUND") from None
    return Response(data, media_type="image/jpeg", headers=headers)
