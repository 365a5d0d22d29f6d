"""The labelling pages: a worker's batch and its submission (thumbnails: ``media``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from ..errors import VerifyError
from ..verify.task_reads import task_candidates
from ..verify.tasks import next_task, submit
from .auth import CheckedForm, VisitorDep, redirect
from .state import PageError, WebState, render, web_state

__all__ = ["router"]

router = APIRouter()

# Notices a redirect may ask /label to show, by key: the page never echoes request text.
NOTICES = {"expired": "Your last batch expired before it was submitted; here is a new one."}
_POSITION = re.compile(r"[0-9]{1,6}")  # fullmatch: "$" would let a trailing newline in
_MAX_ID = 2**63 - 1  # larger ids cannot be stored, so they name no task


@router.get("/label")
def label_page(
    request: Request,
    visitor: VisitorDep,
    notice: str | None = None,
    synset: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The worker's open batch, or a new one (of ``synset`` first, if it has candidates left).

    A friendly page when nothing is left.
    """
    state = web_state(request)
    prefer = synset if synset is not None and synset in state.catalog.synset_ids() else None
    with state.batch_locks(visitor.worker.id):  # two tabs at once: one batch, not two
        task = next_task(state.catalog, visitor.worker.id, state.config.task, prefer=prefer)
    context = {"visitor": visitor, "notice": NOTICES.get(notice or "")}
    if task is None:
        return render(request, "nothing.html", context)
    return render(
        request, "label.html", context | {"task": task, "review": state.config.task.review}
    )


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
