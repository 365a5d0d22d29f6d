"""Part 3 of bench/verify.py: simulated workers posting real HTTP requests to the labelling app.

A project is made on a small WordNet subtree (ten synsets, 2,000 candidates
each with a real JPEG thumbnail, plus accepted controls), on SQLite or on a
PostgreSQL server started for the run. ``synsetdb verify serve`` runs it in a
process of its own on 127.0.0.1. Each simulated worker signs in through the
form, then loops for the duration: ``GET /label`` (its batch), one thumbnail,
and ``POST /label/{task}`` with a random selection (a 303 back to /label).
Every request's latency is recorded; responses of 500 and above are server
errors. At the end the catalog must hold exactly one vote per image of every
batch the workers saw accepted: no vote lost, none counted twice.
"""

from __future__ import annotations

import asyncio
import html
import io
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_ACTION = re.compile(r'action="/label/(\d+)"')
_POSITION = re.compile(r'name="selected" value="(\d+)"')
_THUMB = re.compile(r'src="(/thumb/[0-9a-f]{64})"')
SYNSETS = (
    "n01503061",
    "n02084071",
    "n02121620",
    "n02512053",
    "n04524313",
    "n03001627",
    "n04536866",
    "n09472597",
    "n03481172",
    "n07749582",
)
PASSWORD = "load-test-password"


@dataclass
class Tally:
    """What the clients saw."""

    latencies_ms: list[float] = field(default_factory=list)
    server_errors: int = 0
    other_errors: int = 0
    submitted_votes: int = 0  # images in batches whose POST came back 303
    batches: int = 0


def make_project(root: Path, catalog_url: str | None, candidates: int, workers: int) -> Path:
    """A project on the SYNSETDB subtree with candidates, controls, thumbnails and accounts."""
    import hashlib

    import yaml
    from PIL import Image
    from sqlalchemy import insert

    from synsetdb.catalog import Project, schema
    from synsetdb.hierarchy import Taxonomy
    from synsetdb.verify.accounts import add_worker

    subtree = Taxonomy.wordnet().restrict(list(SYNSETS))
    taxonomy = root.parent / f"{root.name}-taxonomy.yaml"
    entries = [
        {
            "id": s.wnid,
            "lemmas": list(s.lemmas),
            "gloss": s.gloss,
            "parents": list(subtree.parents(s.wnid)),
        }
        for s in subtree.synsets()
    ]
    taxonomy.write_text(yaml.safe_dump({"name": "load-bench", "synsets": entries}))
    project = Project.init(root, catalog_url=catalog_url, taxonomy=str(taxonomy))
    thumb = io.BytesIO()
    Image.radial_gradient("L").convert("RGB").resize((96, 72)).save(thumb, "JPEG", quality=80)
    thumb_key = project.blobs.put(thumb.getvalue())
    now = datetime.now(UTC)
    images, rows = [], []
    for wnid in SYNSETS:
        synset_id = project.catalog.synset_id(wnid)
        for i in range(candidates + 10):
            sha = hashlib.sha256(f"{wnid}-{i}".encode()).hexdigest()
            images.append(
                {
                    "id": sha,
                    "width": 500,
                    "height": 375,
                    "format": "JPEG",
                    "byte_size": 50_000,
                    "blob_key": sha,
                    "phash": i,
                    "thumbnail_key": thumb_key,
                    "created_at": now,
                }
            )
            status = "accepted" if i < 10 else "candidate"  # ten controls per synset
            rows.append(
                {
                    "image_id": sha,
                    "synset_id": synset_id,
                    "status": status,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    with project.catalog.engine.begin() as conn:  # bulk: the bench is not about ingest
        conn.execute(insert(schema.image), images)
        conn.execute(insert(schema.candidate), rows)
    for w in range(workers):
        add_worker(project.catalog, f"load{w:03d}", PASSWORD)
    project.close()
    return root


@contextmanager
def serving(project: Path) -> Any:
    """``synsetdb verify serve`` on a free port; yields the base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "synsetdb",
            "--project",
            str(project),
            "verify",
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_until_up(base: str, proc: subprocess.Popen[str]) -> None:
    import httpx

    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            httpx.get(f"{base}/login", timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not come up in 20 s")


async def _worker(base: str, name: str, until: float, tally: Tally, rng: random.Random) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=30.0) as client:

        async def timed(method: str, url: str, **kwargs: Any) -> httpx.Response:
            started = time.perf_counter()
            response = await client.request(method, url, **kwargs)
            tally.latencies_ms.append((time.perf_counter() - started) * 1e3)
            if response.status_code >= 500:
                tally.server_errors += 1
            return response

        login = await timed("GET", "/login")
        token = html.unescape(_CSRF.search(login.text).group(1))  # type: ignore[union-attr]
        await timed("POST", "/login", data={"name": name, "password": PASSWORD, "csrf": token})
        while time.perf_counter() < until:
            page = await timed("GET", "/label")
            action = _ACTION.search(page.text)
            if action is None:  # nothing left for this worker
                return
            positions = _POSITION.findall(page.text)
            thumbs = _THUMB.findall(page.text)
            if thumbs:
                await timed("GET", thumbs[0])
            selected = [p for p in positions if rng.random() < 0.2]
            csrf = html.unescape(_CSRF.search(page.text).group(1))  # type: ignore[union-attr]
            posted = await timed(
                "POST", f"/label/{action.group(1)}", data={"csrf": csrf, "selected": selected}
            )
            if posted.status_code == 303:
                tally.submitted_votes += len(positions)
                tally.batches += 1
            elif posted.status_code < 500:
                tally.other_errors += 1


async def _load(base: str, workers: int, seconds: float) -> Tally:
    tally = Tally()
    until = time.perf_counter() + seconds
    await asyncio.gather(
        *(_worker(base, f"load{w:03d}", until, tally, random.Random(w)) for w in range(workers))
    )
    return tally


def _stored_votes(project: Path) -> int:
    from sqlalchemy import func, select

    from synsetdb.catalog import Project, schema

    opened = Project.open(project)
    try:
        with opened.catalog.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.vote)).scalar_one())
    finally:
        opened.close()


def run_load(backend: str, workers: int, seconds: float, candidates: int) -> dict[str, Any]:
    """One load run on ``backend`` (``sqlite`` or ``postgres``); the measured figures."""
    scratch = Path(tempfile.mkdtemp(prefix="synsetdb-load-"))
    try:
        with _catalog_url(backend) as url:
            project = make_project(scratch / "project", url, candidates, workers)
            with serving(project) as base:
                started = time.perf_counter()
                tally = asyncio.run(_load(base, workers, seconds))
                wall = time.perf_counter() - started
            stored = _stored_votes(project)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    latencies = sorted(tally.latencies_ms)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    return {
        "backend": backend,
        "workers": workers,
        "seconds": wall,
        "requests": len(latencies),
        "requests_per_s": len(latencies) / wall,
        "p95_ms": p95,
        "median_ms": latencies[len(latencies) // 2] if latencies else float("nan"),
        "batches": tally.batches,
        "server_errors": tally.server_errors,
        "other_errors": tally.other_errors,
        "votes_submitted": tally.submitted_votes,
        "votes_stored": stored,
        "lost_votes": tally.submitted_votes - stored,
    }


@contextmanager
def _catalog_url(backend: str) -> Any:
    if backend == "sqlite":
        yield None  # the project's default SQLite file
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sqlalchemy import create_engine, text
    from tests.fixtures.postgres import running_postgres  # the test suite's private server

    with running_postgres() as server:
        admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "loadbench"'))
        admin.dispose()
        yield server.url("loadbench")
