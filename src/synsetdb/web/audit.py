"""The audit pages: findings of ``synsetdb audit`` by check, the label issues, and reviews.

Findings are read from what the last runs stored (``synsetdb.audit.store``);
browsing rights see them, admins review them (accept, dismiss with a reason,
reopen) through a form with the session's CSRF token, or through the JSON API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from ..audit.model import FAMILIES, LEVELS, Check
from ..audit.registry import registry
from ..audit.store import (
    FindingPage,
    StoredFinding,
    clear_review,
    code_counts,
    findings_for_image,
    findings_for_synset,
    findings_page,
    review_finding,
    scopes,
)
from ..errors import AuditError
from .access import BrowserDep
from .auth import AdminVisitor, CheckedForm, Visitor, redirect
from .state import PageError, WebState, render, web_state

__all__ = ["AuditSummary", "CheckRow", "FindingList", "api", "pages"]

pages = APIRouter()
api = APIRouter(tags=["audit"])

PAGE = 25
LABEL_CODE = "LBL001"  # the confident-learning check: the label issues page shows its findings
PREFIX_FAMILY = {  # a stored code whose check is not registered (any more) still gets a family
    "BAL": "balance",
    "LEK": "leakage",
    "SEN": "sensitive",
    "LBL": "labels",
    "IMG": "images",
    "VER": "verification",
    "LIC": "licences",
}
States = Literal["open", "reviewed", "all"]
ScopeParam = Annotated[
    str,
    Query(
        max_length=128,
        pattern=r"^([A-Za-z0-9][A-Za-z0-9._-]*)?$",
        description="a release's name; empty: the catalog",
    ),
]
CodeParam = Annotated[str, Query(max_length=16, pattern=r"^([A-Za-z]{3}\d{3})?$")]
FamilyParam = Annotated[str, Query(max_length=32, description="a family of checks (balance, …)")]
LevelParam = Annotated[str, Query(max_length=8, description="error, warning or info")]
StateParam = Annotated[States, Query(description="open, reviewed or all")]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=200)]
_REVIEW_ERRORS = {"E_AUDIT_FINDING": 404, "E_AUDIT_REASON": 400, "E_AUDIT": 400}


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One check in one scope: what it is, what its last run found, or why it was skipped."""

    code: str
    name: str
    family: str
    level: str
    summary: str
    found: int
    open: int
    reviewed: int
    ran_at: datetime | None  # None: never run in this scope
    skipped: str | None


@dataclass(frozen=True, slots=True)
class AuditSummary:
    """The audited scopes ("" is the catalog) and every check's counts in one of them."""

    scope: str
    scopes: list[str]
    checks: list[CheckRow]


@dataclass(frozen=True, slots=True)
class FindingList:
    """A page of findings, worst first (errors, then warnings, then infos; by score)."""

    scope: str
    total: int
    offset: int
    limit: int
    findings: list[dict[str, Any]]  # StoredFinding.to_dict()
    thumbnails: list[str]  # the image ids among them that have a thumbnail


@dataclass(frozen=True, slots=True)
class Filters:
    code: str = ""
    family: str = ""
    level: str = ""
    state: str = "all"

    def query(self) -> dict[str, str]:
        shown = {"code": self.code, "family": self.family, "level": self.level}
        return {k: v for k, v in shown.items() if v} | (
            {"state": self.state} if self.state != "all" else {}
        )


# ----------------------------------------------------------------------------- reads


def _known(code: str) -> Check | None:
    return registry().get(code)


def check_row(
    code: str, found: int, open_: int, ran_at: datetime | None, skipped: str | None
) -> CheckRow:
    known = _known(code)
    family = known.family if known else PREFIX_FAMILY.get(code[:3], "")
    return CheckRow(
        code=code,
        name=known.name if known else "",
        family=family,
        level=known.level if known else "",
        summary=known.summary if known else "(a check this version of synsetdb does not have)",
        found=found,
        open=open_,
        reviewed=found - open_,
        ran_at=ran_at,
        skipped=skipped,
    )


def summary(state: WebState, scope: str) -> AuditSummary:
    """Every registered check (and any other code stored in ``scope``), in code order."""
    audited = scopes(state.catalog)
    ran = {c.code: c for c in code_counts(state.catalog, scope)}
    codes = sorted(set(registry()) | set(ran))
    rows = []
    for code in codes:
        c = ran.get(code)
        rows.append(
            check_row(code, c.found, c.open, c.ran_at, c.skipped)
            if c
            else check_row(code, 0, 0, None, None)
        )
    return AuditSummary(scope, audited, rows)


def _check_scope(state: WebState, scope: str, audited: list[str]) -> None:
    if scope and scope not in audited:
        raise PageError(404, f"Release {scope!r} has not been audited.", "E_NOT_FOUND")


def _selected_codes(rows: list[CheckRow], filters: Filters) -> list[str] | None:
    """The codes the filters keep (None: every code)."""
    if not (filters.code or filters.family):
        return None
    return [
        row.code
        for row in rows
        if (not filters.code or row.code == filters.code.upper())
        and (not filters.family or row.family == filters.family)
    ]


def finding_list(
    state: WebState,
    scope: str,
    rows: list[CheckRow],
    filters: Filters,
    offset: int,
    limit: int = PAGE,
) -> tuple[FindingList, FindingPage]:
    levels = [filters.level] if filters.level in LEVELS else []
    page = findings_page(
        state.catalog,
        scope,
        codes=_selected_codes(rows, filters),
        levels=levels,
        state=None if filters.state == "all" else filters.state,
        limit=limit,
        offset=offset,
    )
    found = FindingList(
        scope,
        page.total,
        offset,
        limit,
        [one.to_dict() for one in page.findings],
        sorted(page.thumbnails),
    )
    return found, page


# ----------------------------------------------------------------------------- JSON


@api.get("/audit", summary="Every check with its findings' counts in one scope, and the scopes")
def audit_api(request: Request, _visitor: BrowserDep, scope: ScopeParam = "") -> AuditSummary:
    state = web_state(request)
    found = summary(state, scope)
    _check_scope(state, scope, found.scopes)
    return found


@api.get("/audit/findings", summary="A page of stored findings, worst first, filtered")
def findings_api(
    request: Request,
    _visitor: BrowserDep,
    scope: ScopeParam = "",
    code: CodeParam = "",
    family: FamilyParam = "",
    level: LevelParam = "",
    state: StateParam = "all",
    synset: Annotated[str, Query(max_length=32, description="findings about this wnid")] = "",
    image: Annotated[
        str, Query(max_length=64, pattern="^[0-9a-f]*$", description="findings about this image")
    ] = "",
    offset: Offset = 0,
    limit: Limit = PAGE,
) -> FindingList:
    """With ``synset`` or ``image``: that thing's findings in every scope (at most ``limit``)."""
    web = web_state(request)
    if synset or image:
        about = (
            findings_for_synset(web.catalog, synset, limit=limit)
            if synset
            else findings_for_image(web.catalog, image, limit=limit)
        )
        return FindingList("", len(about), 0, limit, [one.to_dict() for one in about], [])
    found = summary(web, scope)
    _check_scope(web, scope, found.scopes)
    filters = Filters(code, family, level, state)
    return finding_list(web, scope, found.checks, filters, offset, limit)[0]


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    """``status`` accepted or dismissed (``reason`` required), or open to take a review back."""

    fingerprint: str
    status: Literal["accepted", "dismissed", "open"]
    reason: str | None = None


@api.post("/audit/review", summary="Review a finding (admins; the X-CSRF-Token header)")
async def review_api(
    request: Request, visitor: AdminVisitor, body: ReviewRequest
) -> dict[str, Any]:
    """Returns the finding's full fingerprint and its review (null once reopened)."""
    token = request.headers.get("x-csrf-token")
    if not web_state(request).signer.check_csrf(visitor.session, token):
        raise PageError(403, "Send the session's form token as X-CSRF-Token.", "E_CSRF")
    return await run_in_threadpool(
        _review, web_state(request), visitor, body.fingerprint, body.status, body.reason
    )


def _review(
    state: WebState, visitor: Visitor, fingerprint: str, status: str, reason: str | None
) -> dict[str, Any]:
    try:
        if status == "open":
            return {"fingerprint": clear_review(state.catalog, fingerprint), "review": None}
        done = review_finding(
            state.catalog, fingerprint, status, actor=visitor.worker.name, reason=reason
        )
    except AuditError as error:
        raise PageError(_REVIEW_ERRORS.get(error.code, 400), str(error), error.code) from None
    return {"fingerprint": done.fingerprint, "review": done.to_dict()}


# ----------------------------------------------------------------------------- pages


def _page_urls(
    path: str, query: dict[str, str], offset: int, shown: int, total: int
) -> tuple[str | None, str | None]:
    """The next and previous pages' addresses (None where there is none)."""

    def at(where: int) -> str:
        return path + "?" + urlencode(query | ({"offset": str(where)} if where else {}))

    return (
        at(offset + PAGE) if offset + shown < total else None,
        at(max(0, offset - PAGE)) if offset else None,
    )


def _evidence(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _names(state: WebState, findings: list[StoredFinding]) -> dict[str, str]:
    """Names of the synsets the findings name (their own, and a label issue's two labels)."""
    wanted = {one.wnid for one in findings if one.wnid}
    for one in findings:
        wanted |= {str(one.evidence.get(k)) for k in ("given", "suggested") if one.evidence.get(k)}
    taxonomy = state.taxonomy
    return {w: taxonomy.get(w).name for w in wanted if w in taxonomy}


def _common(request: Request, visitor: Visitor | None, scope: str) -> dict[str, Any]:
    is_admin = visitor is not None and visitor.worker.is_admin
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {
        "visitor": visitor,
        "scope": scope,
        "is_admin": is_admin,
        "back": back,
        "evidence_text": _evidence,
        "families": FAMILIES,
        "levels": LEVELS,
    }


@pages.get("/audit")
def audit_page(
    request: Request,
    visitor: BrowserDep,
    scope: ScopeParam = "",
    code: CodeParam = "",
    family: FamilyParam = "",
    level: LevelParam = "",
    state: StateParam = "all",
    offset: Offset = 0,
) -> HTMLResponse:
    web = web_state(request)
    found = summary(web, scope)
    _check_scope(web, scope, found.scopes)
    filters = Filters(code.upper(), family, level, state)
    _listed, page = finding_list(web, scope, found.checks, filters, offset)
    query = ({"scope": scope} if scope else {}) | filters.query()
    next_url, prev_url = _page_urls("/audit", query, offset, len(page.findings), page.total)
    context = _common(request, visitor, scope) | {
        "summary": found,
        "filters": filters,
        "page": page,
        "names": _names(web, page.findings),
        "offset": offset,
        "next_url": next_url,
        "prev_url": prev_url,
        "api_url": "/api/audit/findings" + ("?" + urlencode(query) if query else ""),
        "label_issues": any(r.code == LABEL_CODE and r.found for r in found.checks),
    }
    return render(request, "audit.html", context)


@pages.get("/audit/code/{code}")
def code_page(
    request: Request,
    code: str,
    visitor: BrowserDep,
    scope: ScopeParam = "",
    state: StateParam = "all",
    offset: Offset = 0,
) -> HTMLResponse:
    web = web_state(request)
    code = code.upper()
    found = summary(web, scope)
    row = next((r for r in found.checks if r.code == code), None)
    if row is None:
        raise PageError(404, f"No check {code}.", "E_NOT_FOUND")
    _check_scope(web, scope, found.scopes)
    filters = Filters(code=code, state=state)
    _, page = finding_list(web, scope, found.checks, filters, offset)
    query = ({"scope": scope} if scope else {}) | ({"state": state} if state != "all" else {})
    next_url, prev_url = _page_urls(
        f"/audit/code/{code}", query, offset, len(page.findings), page.total
    )
    known = _known(code)
    context = _common(request, visitor, scope) | {
        "summary": found,
        "row": row,
        "check": known,
        "doc": _paragraphs(known.doc if known else row.summary),
        "filters": filters,
        "page": page,
        "names": _names(web, page.findings),
        "offset": offset,
        "next_url": next_url,
        "prev_url": prev_url,
    }
    return render(request, "audit_code.html", context)


def _paragraphs(doc: str) -> list[tuple[str, bool]]:
    """A docstring as paragraphs: (text, keeps its line breaks). A paragraph of plain lines
    is joined into one; one with indented, listed or ``Args:``-style lines keeps its breaks."""
    found = []
    for part in doc.split("\n\n"):
        lines = part.strip("\n").splitlines()
        if not lines:
            continue
        kept = any(
            line.startswith((" ", "- ", "* ")) or line.rstrip().endswith(":") for line in lines
        )
        found.append(("\n".join(lines) if kept else " ".join(x.strip() for x in lines), kept))
    return found


@pages.get("/audit/labels")
def labels_page(
    request: Request,
    visitor: BrowserDep,
    scope: ScopeParam = "",
    state: StateParam = "open",
    offset: Offset = 0,
) -> HTMLResponse:
    """The label issues (LBL001's findings), most likely wrong first."""
    web = web_state(request)
    found = summary(web, scope)
    _check_scope(web, scope, found.scopes)
    filters = Filters(code=LABEL_CODE, state=state)
    _, page = finding_list(web, scope, found.checks, filters, offset)
    query = ({"scope": scope} if scope else {}) | ({"state": state} if state != "open" else {})
    next_url, prev_url = _page_urls("/audit/labels", query, offset, len(page.findings), page.total)
    row = next((r for r in found.checks if r.code == LABEL_CODE), None)
    context = _common(request, visitor, scope) | {
        "summary": found,
        "row": row,
        "filters": filters,
        "page": page,
        "names": _names(web, page.findings),
        "offset": offset,
        "next_url": next_url,
        "prev_url": prev_url,
        "code": LABEL_CODE,
    }
    return render(request, "audit_labels.html", context)


@pages.post("/audit/review")
async def review_form(
    request: Request, visitor: AdminVisitor, form: CheckedForm
) -> RedirectResponse:
    """The review buttons of the audit pages; back to the page they were on."""
    fingerprint, status, reason = (
        _field(form, "fingerprint"),
        _field(form, "status"),
        _field(form, "reason"),
    )
    if status not in ("accepted", "dismissed", "open"):
        raise PageError(400, "A review is accepted, dismissed or open.", "E_AUDIT")
    done = await run_in_threadpool(
        _review, web_state(request), visitor, fingerprint, status, reason or None
    )
    return redirect(_safe_back(_field(form, "back")) + f"#f-{done['fingerprint'][:12]}")


def _field(form: dict[str, list[Any]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0] if isinstance(values[0], str) else ""


def _safe_back(url: str) -> str:
    """Where to return after a review: one of the audit pages, never another site."""
    if url.startswith("/audit") and "//" not in url and "\\" not in url and "#" not in url:
        return url
    return "/audit"
