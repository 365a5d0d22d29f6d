"""The admin page: how far each synset's verification has come, and how well each worker does."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .auth import AdminVisitor
from .reports import synset_progress, worker_quality
from .state import render, web_state

__all__ = ["router"]

router = APIRouter()

SHOWN_SYNSETS = 500  # the page lists this many, those with the most left to verify first


@router.get("/admin")
def admin_page(request: Request, visitor: AdminVisitor) -> HTMLResponse:
    state = web_state(request)
    progress = synset_progress(state.catalog)
    context = {
        "visitor": visitor,
        "progress": progress[:SHOWN_SYNSETS],
        "hidden": max(0, len(progress) - SHOWN_SYNSETS),
        "totals": {
            field: sum(getattr(row, field) for row in progress)
            for field in ("candidate", "accepted", "rejected", "undecided", "votes", "open_tasks")
        },
        "workers": worker_quality(state.catalog, state.config.quality),
        "min_controls": state.config.quality.min_controls,
    }
    return render(request, "admin.html", context)
