"""Who may see the explorer: refusals on every route, images by rights, ETags, headers, CSRF."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from synsetdb.catalog import Project
from synsetdb.errors import CatalogError, ConfigError, EvaluationError, NotFoundError
from synsetdb.verify.tasks import TaskConfig, next_task
from synsetdb.web import apidocs, media
from synsetdb.web.app import EXPLORER
from tests.web._pages import csrf_of
from tests.web.conftest import explorer_client
from tests.web.explorer_data import DOG, Built

# A value for each path parameter, so every route can be called.
_VALUES = {
    "wnid": DOG,
    "name": "r1",
    "other": "r1",
    "file": "report.json",
    "kind": "x",
    "code": "LIC001",
}


def _browsing_routes(image_id: str) -> list[str]:
    """Every GET route of the explorer and its images, with values for its parameters."""
    routes = [(route, "") for route in (*media.router.routes, *apidocs.router.routes)]
    for module in EXPLORER:
        routes += [(route, "") for route in module.pages.routes]
        routes += [(route, "/api") for route in module.api.routes]
    urls = []
    for route, prefix in routes:
        assert isinstance(route, APIRoute)
        if "GET" not in route.methods:
            continue
        url = prefix + re.sub(
            r"{(\w+)}",
            lambda m: image_id if m.group(1) == "image_id" else _VALUES[m.group(1)],
            route.path,
        )
        if route.path == "/images":
            url += "?facet=source&value=x"
        elif route.path == "/releases/{name}/diff":
            url += "?other=r1"
        elif route.path == "/search":
            url += "?q=dog"
        urls.append(url)
    return urls


def test_without_anonymous_browsing_every_route_refuses_visitors(
    explorer: tuple[Project, Built],
) -> None:
    project, built = explorer
    client = explorer_client(project)
    urls = _browsing_routes(built.dogs[0])
    assert len(urls) >= 25
    for url in urls:
        response = client.get(url, follow_redirects=False)
        if url.startswith("/api/"):
            assert response.status_code == 401, url
            assert response.json()["error"]["code"] == "E_SIGN_IN", url
        elif url.startswith(("/thumb/", "/original/", "/rendition/")):
            assert response.status_code == 401, url
        else:
            assert response.status_code == 303, url
            assert response.headers["location"] == "/login", url


def test_a_worker_without_the_right_is_refused_every_browsing_route(
    explorer: tuple[Project, Built],
) -> None:
    project, built = explorer
    client = explorer_client(project, who="crowd")
    for url in _browsing_routes(built.dogs[0]):
        response = client.get(url, follow_redirects=False)
        if url.startswith("/thumb/"):
            assert response.status_code == 404, url  # not one of its tasks' images
            continue
        assert response.status_code == 403, url
        if url.startswith("/api/"):
            assert response.json()["error"]["code"] == "E_FORBIDDEN"
        elif not url.startswith(("/original/", "/rendition/")):
            assert "worker browse NAME on" in response.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/label"


def test_a_worker_sees_only_the_thumbnails_of_its_own_tasks(
    explorer: tuple[Project, Built],
) -> None:
    project, built = explorer
    client = explorer_client(project, who="crowd")
    crowd = next(w for w in _workers(project) if w.name == "crowd")
    task = next_task(
        project.catalog,
        crowd.id,
        TaskConfig(batch_size=4, positive_controls=0, negative_controls=0),
    )
    assert task is not None
    shown = {item.image_id for item in task.items}
    assert client.get(f"/thumb/{next(iter(shown))}").status_code == 200
    assert client.get(f"/original/{next(iter(shown))}").status_code == 403
    hidden = next(i for i in built.dogs if i not in shown)
    assert client.get(f"/thumb/{hidden}").status_code == 404


def _workers(project: Project) -> list:  # type: ignore[type-arg]
    from synsetdb.verify.accounts import list_workers

    return list_workers(project.catalog)


@pytest.mark.parametrize("who", ["lab", "root"])
def test_accounts_that_may_browse_reach_every_route(
    explorer: tuple[Project, Built], who: str
) -> None:
    project, built = explorer
    client = explorer_client(project, who=who)
    for url in _browsing_routes(built.dogs[0]):
        if url.startswith("/rendition/") or url.endswith("/clusters"):
            # no such rendition kind; no clusters computed yet
            expected = 200 if url == f"/synset/{DOG}/clusters" else 404
            assert client.get(url).status_code == expected, url
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:300])
    assert client.get("/", follow_redirects=False).headers["location"] == "/explore"


def test_anonymous_browsing_opens_reading_only(explorer: tuple[Project, Built]) -> None:
    project, built = explorer
    client = explorer_client(project, anonymous=True)
    assert client.get("/explore").status_code == 200
    assert client.get(f"/thumb/{built.dogs[0]}").status_code == 200
    assert client.get("/", follow_redirects=False).headers["location"] == "/explore"
    for private in ("/label", "/admin"):
        response = client.get(private, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    form = client.get(f"/synset/{DOG}/clusters").text
    assert 'method="get"' in form and "Signed-in visitors can compute" in form
    response = client.post(f"/synset/{DOG}/clusters", data={"k": "2", "embedder": "tiny"})
    assert response.status_code == 401


def test_images_have_strong_etags_and_answer_304(explorer: tuple[Project, Built]) -> None:
    project, built = explorer
    client = explorer_client(project, anonymous=True)
    for url in (f"/thumb/{built.dogs[0]}", f"/original/{built.dogs[0]}"):
        response = client.get(url)
        assert response.status_code == 200
        etag = response.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{64}"', etag)  # strong: no W/
        assert "immutable" in response.headers["cache-control"]
        assert response.headers["content-type"] == "image/jpeg"
        for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
            again = client.get(url, headers={"If-None-Match": header})
            assert again.status_code == 304, header
            assert again.content == b"" and again.headers["etag"] == etag
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(f"/original/{built.dogs[0]}").content.startswith(b"\xff\xd8")


def test_new_routes_carry_the_security_headers(explorer: tuple[Project, Built]) -> None:
    project, built = explorer
    client = explorer_client(project, anonymous=True)
    for url in ("/explore", "/api/tree", f"/thumb/{built.dogs[0]}", "/api/synsets/n0"):
        headers = client.get(url).headers
        assert "default-src 'self'" in headers["content-security-policy"], url
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_computing_clusters_needs_a_form_token(explorer: tuple[Project, Built]) -> None:
    project, _ = explorer
    client = explorer_client(project, who="lab")
    page = client.get(f"/synset/{DOG}/clusters?k=3").text
    assert "Not computed" in page
    assert (
        client.get(f"/api/synsets/{DOG}/clusters?k=3").json()["error"]["code"] == "E_NOT_COMPUTED"
    )
    refused = client.post(f"/synset/{DOG}/clusters", data={"k": "3", "embedder": "tiny"})
    assert refused.status_code == 403 and "E_CSRF" in refused.text
    token = csrf_of(page)
    bad = client.post(
        f"/synset/{DOG}/clusters", data={"k": "99", "embedder": "tiny", "csrf": token}
    )
    assert bad.status_code == 400 and "E_OPTIONS" in bad.text
    done = client.post(
        f"/synset/{DOG}/clusters",
        data={"k": "3", "embedder": "tiny", "release": "", "csrf": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?k=3&embedder=tiny")
    clusters = client.get(f"/api/synsets/{DOG}/clusters?k=3").json()
    assert clusters["k"] == 3 and len(clusters["clusters"]) == 3
    assert sum(c["size"] for c in clusters["clusters"]) == clusters["images"] == 70
    shown = client.get(done.headers["location"]).text
    assert shown.count("Cluster ") >= 3
    crowd = explorer_client(project, who="crowd")
    token = csrf_of(crowd.get("/label").text)
    refused = crowd.post(
        f"/synset/{DOG}/clusters", data={"k": "3", "embedder": "tiny", "csrf": token}
    )
    assert refused.status_code == 403 and "E_FORBIDDEN" in refused.text


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("x", code="E_ANYTHING"), 404),
        (CatalogError("x", code="E_NO_RELEASE"), 404),
        (ConfigError("x", code="E_QUERY"), 400),
        (EvaluationError("x", code="E_OPTIONS"), 400),
        (CatalogError("x", code="E_CATALOG_CONNECT"), 503),
        (CatalogError("x", code="E_BLOB_CORRUPT"), 500),
    ],
)
def test_library_errors_get_the_status_their_cause_deserves(error: Exception, status: int) -> None:
    from synsetdb.web.app import _status_of

    assert _status_of(error) == status  # type: ignore[arg-type]
