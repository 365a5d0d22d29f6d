"""Sign-in, sessions, CSRF, cookies and the app's error pages."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from synsetdb.catalog import Project, schema
from synsetdb.errors import ConfigError
from synsetdb.verify.accounts import Worker, ensure_worker, set_active
from synsetdb.web import WebConfig, create_app
from synsetdb.web.app import MAX_BODY_BYTES
from synsetdb.web.auth import SESSION_COOKIE
from synsetdb.web.config import is_loopback
from synsetdb.web.security import SECRET_FILE, Signer, load_secret
from tests.web._pages import batch_of, csrf_of, sign_in, votes

FAILED = "Wrong name or password."


def test_sign_in_opens_a_session_and_sign_out_ends_it(app: FastAPI) -> None:
    client = TestClient(app)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/label", follow_redirects=False).headers["location"] == "/login"
    response = sign_in(client, "ann", "ann-password")
    assert (response.status_code, response.headers["location"]) == (303, "/label")
    cookie = _set_cookie(response, SESSION_COOKIE)
    assert {"httponly", "samesite=lax", "max-age=43200", "path=/"} <= cookie
    assert "secure" not in cookie  # this app was made with secure_cookies=False
    assert client.get("/", follow_redirects=False).headers["location"] == "/label"
    assert client.get("/login", follow_redirects=False).headers["location"] == "/label"
    page = client.get("/label")
    assert page.status_code == 200 and "ann" in page.text
    stolen = client.cookies[SESSION_COOKIE]
    out = client.post("/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert SESSION_COOKIE not in client.cookies
    # A copy of the signed-out cookie is refused by this server too.
    replay = TestClient(app, cookies={SESSION_COOKIE: stolen})
    assert replay.get("/label", follow_redirects=False).headers["location"] == "/login"


def _set_cookie(response: Any, name: str) -> set[str]:
    """The attributes of the Set-Cookie header for ``name``, lower-cased."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return {part.strip().lower() for part in header.split(";")[1:]}
    raise AssertionError(f"no Set-Cookie for {name}")


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("ann", "wrong-password"),  # wrong password
        ("nobody", "ann-password"),  # unknown name
        ("A2MTURKWORKER", ""),  # imported worker: no password, never signs in
        ("ann", "x" * 5000),  # over-long password: refused before hashing
        ("", "ann-password"),
    ],
)
def test_failed_sign_in_says_the_same_and_opens_nothing(
    app: FastAPI, project: Project, name: str, password: str
) -> None:
    ensure_worker(project.catalog, "A2MTURKWORKER")
    client = TestClient(app)
    response = sign_in(client, name, password)
    assert response.status_code == 401
    assert FAILED in response.text
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/label", follow_redirects=False).status_code == 303


def test_sign_in_needs_the_form_token(app: FastAPI) -> None:
    client = TestClient(app)
    fields = {"name": "ann", "password": "ann-password"}
    no_token = client.post("/login", data=fields, follow_redirects=False)
    token = csrf_of(client.get("/login").text)
    altered = token[:-1] + ("1" if token.endswith("0") else "0")  # never the token itself
    forged = client.post("/login", data=fields | {"csrf": altered}, follow_redirects=False)
    other = TestClient(app)  # a token without its cookie: a cross-site form
    no_cookie = other.post("/login", data=fields | {"csrf": token}, follow_redirects=False)
    for response in (no_token, forged, no_cookie):
        assert response.status_code == 403 and "<code>E_CSRF</code>" in response.text
        assert SESSION_COOKIE not in response.cookies
    assert sign_in(client, "ann", "ann-password").status_code == 303


def test_oversized_bodies_are_refused_before_parsing(app: FastAPI) -> None:
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    padding = "x" * (MAX_BODY_BYTES + 1)
    declared = client.post(
        "/login", data={"name": "ann", "password": padding, "csrf": token}, follow_redirects=False
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield f"csrf={token}&name=ann&password=".encode()
        for _ in range(MAX_BODY_BYTES // 1024 + 1):
            yield b"y" * 1024

    streamed = client.post(
        "/login",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    for response in (declared, streamed):
        assert response.status_code == 413 and "<code>E_BODY_TOO_LARGE</code>" in response.text
        assert SESSION_COOKIE not in client.cookies
    assert sign_in(client, "ann", "ann-password").status_code == 303  # the app is unharmed


def test_posts_without_a_valid_form_token_are_refused(
    project: Project, signed_in: Callable[[str], TestClient]
) -> None:
    ann, bob = signed_in("ann"), signed_in("bob")
    batch = batch_of(ann.get("/label").text)
    bobs_token = csrf_of(bob.get("/label").text)
    assert batch is not None
    url = f"/label/{batch.task_id}"
    for form in (
        {"selected": ["0"]},  # no token
        batch.form([0], csrf="0" * 64),  # a made-up token
        batch.form([0], csrf=bobs_token),  # another session's token
        batch.form([0], csrf="é" * 64),  # not even ASCII
    ):
        response = ann.post(url, data=form, follow_redirects=False)
        assert response.status_code == 403 and "<code>E_CSRF</code>" in response.text
        assert "Traceback" not in response.text
    assert ann.post(url, json={"csrf": batch.csrf}).status_code == 403  # not a form
    assert ann.post("/logout", data={"csrf": bobs_token}).status_code == 403
    assert votes(project.catalog) == []
    assert ann.get("/label", follow_redirects=False).status_code == 200  # still signed in


@pytest.mark.parametrize("kind", ["forged", "malformed", "expired", "deactivated", "no password"])
def test_bad_session_cookies_are_refused(
    app: FastAPI,
    project: Project,
    workers: dict[str, Worker],
    signed_in: Callable[[str], TestClient],
    kind: str,
) -> None:
    client = signed_in("ann")
    page = client.get("/label").text
    batch = batch_of(page)
    assert batch is not None
    value = client.cookies[SESSION_COOKIE]
    if kind == "forged":  # someone else's id under ann's signature
        value = value.replace(f"{workers['ann'].id}.", f"{workers['root'].id}.", 1)
    elif kind == "malformed":
        value = "not.a.session.cookie" + value
    elif kind == "expired":  # signed by the real secret, 13 hours ago
        past = Signer(load_secret(project.root), 12 * 3600, clock=lambda: time.time() - 13 * 3600)
        value = past.issue(workers["ann"].id)
    elif kind == "deactivated":
        set_active(project.catalog, "ann", False)
    else:  # the account lost its password (as if imported): it cannot sign in any more
        with project.catalog.engine.begin() as conn:
            ann = schema.worker.c.id == workers["ann"].id
            conn.execute(update(schema.worker).where(ann).values(password_hash=None))
    visitor = TestClient(app, cookies={SESSION_COOKIE: value})
    assert visitor.get("/label", follow_redirects=False).headers["location"] == "/login"
    assert visitor.get("/admin", follow_redirects=False).headers["location"] == "/login"
    submit = visitor.post(f"/label/{batch.task_id}", data=batch.form([0]), follow_redirects=False)
    assert submit.status_code == 401 and "sign in" in submit.text
    assert "<code>E_SIGN_IN</code>" in submit.text
    thumb = visitor.get(f"/thumb/{batch.image_ids[0]}")
    assert thumb.status_code == 401 and "<code>E_SIGN_IN</code>" in thumb.text
    assert votes(project.catalog) == []


def test_the_secure_cookie_rule(project: Project, workers: dict[str, Worker]) -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.5", "labels.example", "", None))
    rule = WebConfig()
    assert not rule.secure_for("127.0.0.1") and rule.secure_for("0.0.0.0")
    assert WebConfig(secure_cookies=True).secure_for("127.0.0.1")
    assert not WebConfig(secure_cookies=False).secure_for("0.0.0.0")
    app = create_app(project)  # secure_cookies=None: decided by the address reached
    for base, secure in [
        ("http://127.0.0.1", False),
        ("http://localhost:8000", False),
        ("https://labels.example", True),
    ]:
        client = TestClient(app, base_url=base)
        response = sign_in(client, "ann", "ann-password")
        assert response.status_code == 303
        assert ("secure" in _set_cookie(response, SESSION_COOKIE)) is secure
    with pytest.raises(ConfigError):
        WebConfig(session_hours=0)


def test_serve_decides_secure_cookies_from_the_bound_address(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import synsetdb.web.server as server

    served: dict[str, Any] = {}
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    for host, secure in [("127.0.0.1", False), ("::1", False), ("0.0.0.0", True)]:
        server.serve(project, host=host, port=8123)
        assert served["host"] == host and served["port"] == 8123
        assert served["app"].state.web.config.secure_cookies is secure


def test_the_session_secret_is_private_shared_and_checked(
    project: Project, workers: dict[str, Worker]
) -> None:
    first = TestClient(create_app(project, WebConfig(secure_cookies=False)))
    assert sign_in(first, "ann", "ann-password").status_code == 303
    secret = Path(project.root) / SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    # A second app (a restart) on the same project accepts the session.
    second = TestClient(create_app(project, WebConfig(secure_cookies=False)))
    second.cookies.set(SESSION_COOKIE, first.cookies[SESSION_COOKIE])
    assert second.get("/label", follow_redirects=False).status_code == 200
    secret.write_text("not hex\n")
    with pytest.raises(ConfigError) as info:
        create_app(project)
    assert info.value.code == "E_WEB_SECRET"


def test_errors_are_short_pages_without_tracebacks(
    app: FastAPI, signed_in: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_in("ann")
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Not Found" in missing.text
    not_allowed = client.delete("/label")
    assert not_allowed.status_code == 405 and not_allowed.headers["allow"] == "GET"
    for docs in ("/docs", "/redoc", "/openapi.json"):  # their pages would load a CDN's scripts
        assert client.get(docs).status_code == 404
    headers = missing.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("synsetdb.web.label.next_task", broken)
    crashing = TestClient(app, raise_server_exceptions=False, cookies=client.cookies)
    response = crashing.get("/label")
    assert response.status_code == 500
    assert "secret internals" not in response.text and "Traceback" not in response.text
    # Starlette sends this page from outside the app's middleware: the headers still hold.
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_importing_synsetdb_needs_no_web_packages() -> None:
    code = (
        "import sys, synsetdb, synsetdb.web\n"
        "loaded = {'fastapi', 'uvicorn', 'jinja2', 'starlette'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
