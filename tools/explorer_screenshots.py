"""The screenshots of docs/explore.md, taken from the demo as a newcomer sees it.

Runs ``synsetdb demo`` in a temporary folder (or reuses ``--demo DIR``),
serves it with ``synsetdb serve --anonymous-browse`` and photographs each
page with Debian's Chromium (Playwright), at a laptop's width and a phone's:

    python tools/explorer_screenshots.py [--demo DIR] [--out docs/img]

Needs the dev extra (playwright) and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
VIOLIN = "n04536866"


def pages(project: Path) -> dict[str, str]:
    """Name -> path of each page shown in the docs (the image: one with near-duplicates)."""
    import sqlite3

    with sqlite3.connect(project / "catalog.sqlite") as db:
        (image,) = db.execute(
            "SELECT m.image_id FROM dup_member m JOIN candidate c ON c.image_id = m.image_id "
            "JOIN synset s ON s.id = c.synset_id WHERE s.wnid = ? ORDER BY m.image_id LIMIT 1",
            (VIOLIN,),
        ).fetchone()
    return {
        "tree": "/explore",
        "synset": f"/synset/{VIOLIN}",
        "image": f"/image/{image}",
        "stats": "/stats",
        "duplicates": "/duplicates",
        "release": "/releases/demo",
        "clusters": f"/synset/{VIOLIN}/clusters?k=2",
        "api": "/api/docs",
    }


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def compute_clusters(project: Path) -> None:
    """Violin's clusters (k=2, tiny images), as a signed-in visitor's "Compute" would."""
    from synsetdb.catalog import Project
    from synsetdb.web import create_app
    from synsetdb.web.clusters import Settings, compute

    opened = Project.open(project)
    try:
        compute(create_app(opened).state.web, VIOLIN, Settings(k=2))
    finally:
        opened.close()


def shoot(project: Path, out: Path) -> list[Path]:
    compute_clusters(project)
    port = _port()
    command = [sys.executable, "-m", "synsetdb", "--project", str(project), "serve"]
    server = subprocess.Popen(
        [*command, "--anonymous-browse", "--port", str(port)], stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    written = []
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/explore").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
            )
            for viewport, (width, height) in {"": (1280, 860), "-phone": (390, 844)}.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                for name, path in pages(project).items():
                    if viewport and name not in ("tree", "synset", "image"):
                        continue
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    target = out / f"explore-{name}{viewport}.png"
                    page.screenshot(path=str(target), full_page=False)
                    written.append(target)
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--demo", type=Path, help="a demo project to reuse")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        demo = args.demo or Path(tmp) / "synsetdb-demo"
        if args.demo is None:
            subprocess.run([sys.executable, "-m", "synsetdb", "demo", str(demo)], check=True)
        for path in shoot(demo, args.out):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
