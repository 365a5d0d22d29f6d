"""``/api/docs`` and ``/api/openapi.json``: the JSON API's endpoints and its OpenAPI schema.

The page is the app's own, read from the schema: FastAPI's Swagger UI and
ReDoc pages load their scripts from a CDN, which the app's content security
policy forbids. Both need the right to browse, as the API does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from .access import BrowserDep
from .state import render

__all__ = ["router"]

router = APIRouter()


@router.get("/api/openapi.json")
def openapi_schema(request: Request, _visitor: BrowserDep) -> JSONResponse:
    """The API's OpenAPI 3 schema (for those who may use the API)."""
    return JSONResponse(request.app.openapi())


@router.get("/api/docs")
def api_docs(request: Request, visitor: BrowserDep) -> HTMLResponse:
    schema: dict[str, Any] = request.app.openapi()
    endpoints = []
    for path, methods in sorted(schema.get("paths", {}).items()):
        for method, operation in methods.items():
            parameters = [
                {
                    "name": p["name"],
                    "where": p["in"],
                    "required": p.get("required", False),
                    "description": p.get("description")
                    or p.get("schema", {}).get("description", ""),
                }
                for p in operation.get("parameters", [])
            ]
            endpoints.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "tag": (operation.get("tags") or [""])[0],
                    "parameters": parameters,
                }
            )
    context = {"visitor": visitor, "endpoints": endpoints, "info": schema["info"]}
    return render(request, "apidocs.html", context)
