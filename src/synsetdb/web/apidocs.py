"""``/api/docs``: the JSON API's endpoints and parameters, read from the app's own OpenAPI schema.

(FastAPI's Swagger UI and ReDoc pages load their scripts from a CDN, which
the app's content security policy forbids; the schema itself is served at
``/api/openapi.json``.)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .auth import current_visitor
from .state import render

__all__ = ["router"]

router = APIRouter()


@router.get("/api/docs")
def api_docs(request: Request) -> HTMLResponse:
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
    context = {"visitor": current_visitor(request), "endpoints": endpoints, "info": schema["info"]}
    return render(request, "apidocs.html", context)
