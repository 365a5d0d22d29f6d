"""A WordNet project with bird candidates, accepted controls, real JPEG thumbnails and accounts."""

from __future__ import annotations

import colorsys
import dataclasses
import io
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from synsetdb.catalog import ImageRecord, Project
from synsetdb.verify import ConsensusConfig
from synsetdb.verify.accounts import Worker, add_worker
from synsetdb.verify.tasks import TaskConfig
from synsetdb.web import WebConfig, create_app
from tests.fixtures.postgres import service_unavailable
from tests.web._pages import sign_in
from tests.web.explorer_data import PASSWORDS as EXPLORER_PASSWORDS
from tests.web.explorer_data import Built, build

CHROMIUM = Path("/usr/bin/chromium")
BIRD, MAMMAL = "n01503061", "n01861778"  # siblings under vertebrate
CANDIDATES = 20
TASK = TaskConfig(
    batch_size=8,
    positive_controls=1,
    negative_controls=1,
    consensus=ConsensusConfig(seed_votes=3, seed_size=4, max_votes=8, accept=0.98, reject=0.02),
)
PASSWORDS = {"ann": "ann-password", "bob": "bob-password", "root": "root-password"}


def jpeg(size: tuple[int, int], index: int) -> bytes:
    """A small JPEG, distinct per ``index``: its own hue, and the index in a corner pixel."""
    hue = (index * 0.618034) % 1.0  # golden-ratio steps: no two indices share a hue
    red, green, blue = (round(255 * x) for x in colorsys.hsv_to_rgb(hue, 0.7, 0.9))
    picture = Image.new("RGB", size, (red, green, blue))
    picture.putpixel((0, 0), (index % 256, index // 256 % 256, 0))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=90)
    return out.getvalue()


def add_image(project: Project, index: int, *, thumbnail: bool = True) -> str:
    """Store an original and (optionally) its thumbnail as blobs; add the image row."""
    original = jpeg((96, 72), index)
    image_id = project.blobs.put(original)
    thumb = project.blobs.put(jpeg((48, 36), index)) if thumbnail else None
    project.catalog.add_image(
        ImageRecord(
            id=image_id,
            width=96,
            height=72,
            format="JPEG",
            byte_size=len(original),
            blob_key=image_id,
            thumbnail_key=thumb,
        )
    )
    return image_id


@pytest.fixture
def project(wordnet_project: Path) -> Iterator[Project]:
    """Bird: 20 candidates; 3 accepted birds and 3 accepted mammals serve as hidden controls."""
    project = Project.open(wordnet_project)
    catalog = project.catalog  # every image below is a candidate of exactly one synset
    for i in range(CANDIDATES):
        catalog.add_candidate(add_image(project, i), BIRD, provenance={"n": i})
    for i in range(3):
        catalog.add_candidate(add_image(project, 100 + i), BIRD, status="accepted")
        catalog.add_candidate(add_image(project, 200 + i), MAMMAL, status="accepted")
    yield project
    project.close()


@pytest.fixture
def workers(project: Project) -> dict[str, Worker]:
    """Two workers and an admin, with the passwords in PASSWORDS."""
    return {
        name: add_worker(
            project.catalog, name, password, role="admin" if name == "root" else "worker"
        )
        for name, password in PASSWORDS.items()
    }


@pytest.fixture
def config() -> WebConfig:
    return WebConfig(task=TASK, secure_cookies=False)


@pytest.fixture
def app(project: Project, workers: dict[str, Worker], config: WebConfig) -> FastAPI:
    return create_app(project, config)


@pytest.fixture
def signed_in(app: FastAPI) -> Callable[[str], TestClient]:
    """A client signed in as the named account (each call: a new browser)."""

    def sign_in_as(name: str) -> TestClient:
        client = TestClient(app)
        response = sign_in(client, name, PASSWORDS[name])
        assert response.status_code == 303, response.text
        return client

    return sign_in_as


# ----------------------------------------------------------------------------- the explorer


@pytest.fixture(scope="session")
def explorer_template(
    wordnet_project_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Built:
    """The explorer's project (tests/web/explorer_data.py), built once per session."""
    work = tmp_path_factory.mktemp("explorer")
    root = work / "project"
    shutil.copytree(wordnet_project_template, root)
    return build(root, work)


@pytest.fixture
def explorer(explorer_template: Built, tmp_path: Path) -> Iterator[tuple[Project, Built]]:
    """A private copy of the explorer's project, opened."""
    root = tmp_path / "explorer"
    shutil.copytree(explorer_template.root, root)
    project = Project.open(root)
    yield project, dataclasses.replace(explorer_template, root=root)
    project.close()


def explorer_client(
    project: Project, *, anonymous: bool = False, who: str | None = None
) -> TestClient:
    """A client of the explorer app; ``who`` signs in one of explorer_data's accounts."""
    app = create_app(project, WebConfig(secure_cookies=False, anonymous_browse=anonymous))
    client = TestClient(app)
    if who is not None:
        response = sign_in(client, who, EXPLORER_PASSWORDS[who])
        assert response.status_code == 303, response.text
    return client


# ----------------------------------------------------------------------------- browsers


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium; skips (or fails under SYNSETDB_TEST_REQUIRE_SERVICES) when missing."""
    if not CHROMIUM.exists():
        service_unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium (tools/test.sh)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        service_unavailable("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
            )
        except Error as exc:
            service_unavailable(f"Chromium could not start: {exc}")
        yield chromium
        chromium.close()


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on 127.0.0.1 and a free port, in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
