"""What ``tools/build_demo_bundle.py`` puts in the demo bundle, and where it comes from.

The pinned archives (registry client, version, sha256), the synsets with the
emoji codepoints and photographs that show them, and the licence files and
README written beside the images. Kept apart from the build code so that a
change of content is a change of this table only.
"""

from __future__ import annotations

import ast
import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

# The emoji sets, in the order each synset's images cycle through them.
EMOJI_SOURCES = ("noto", "twemoji", "openmoji", "fluent", "emojione")
MAX_PER_SYNSET = 8  # images per synset, photographs included


@dataclass(frozen=True, slots=True)
class Archive:
    """A package pinned by version and sha256, fetched with its registry's own client."""

    client: str  # "apt", "npm" or "pip"
    spec: str  # what the client is asked for
    filename: str  # the file the client writes
    sha256: str
    pip_platform: tuple[str, ...] = ()  # pip: the wheel's platform, whatever this machine is

    def origin(self, member: str) -> str:
        """Where a file came from, for items.csv: "npm openmoji 17.0.0 (color/svg/1F415.svg)"."""
        separator = {"apt": "=", "npm": "@", "pip": "=="}[self.client]
        name, _, version = self.spec.rpartition(separator)
        kind = {"apt": "deb", "npm": "npm", "pip": "pypi"}[self.client]
        return f"{kind} {name} {version} ({member.removeprefix('package/')})"


WHEEL_X86_64 = ("--platform", "manylinux_2_28_x86_64")
ARCHIVES: dict[str, Archive] = {
    "noto": Archive(
        "apt",
        "fonts-noto-color-emoji=2.042-0+deb12u1",
        "fonts-noto-color-emoji_2.042-0+deb12u1_all.deb",
        "a5ab0f69c7938423862320d9aca5dd187b3fd879d6a9a57dd52e17c3fa8d2751",
    ),
    "mate-backgrounds": Archive(
        "apt",
        "mate-backgrounds=1.26.0-1",
        "mate-backgrounds_1.26.0-1_all.deb",
        "7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04",
    ),
    "twemoji": Archive(
        "npm",
        "@twemoji/svg@15.0.0",
        "twemoji-svg-15.0.0.tgz",
        "1d2907557a422c7c4e3feca50ef915c39da1db3d76b4a4d7e73fb59bce4403c3",
    ),
    # Only for the graphics licence text (LICENSE-GRAPHICS), which @twemoji/svg lacks.
    "twemoji-api": Archive(
        "npm",
        "@twemoji/api@15.1.0",
        "twemoji-api-15.1.0.tgz",
        "05e2ff1360bf8c558382e3e9f87e93166f6569d91da8d3ffff84b71ddce7de13",
    ),
    "openmoji": Archive(
        "npm",
        "openmoji@17.0.0",
        "openmoji-17.0.0.tgz",
        "55ee7d13485dec86e9f38c1f3a645a13382d33ff97c0cd845ee824b0aef45e68",
    ),
    "fluent": Archive(
        "npm",
        "@iconify-json/fluent-emoji-flat@1.2.6",
        "iconify-json-fluent-emoji-flat-1.2.6.tgz",
        "7d064769dee690815f823bc5bcc511d957198caf9f5edd8dd9c1aa48a6aeb175",
    ),
    "emojione": Archive(
        "npm",
        "@iconify-json/emojione@1.2.3",
        "iconify-json-emojione-1.2.3.tgz",
        "26a14f44284407e8bcde91799388dca2bfd91dbcd55a97f425524a1c5b73610e",
    ),
    "scikit-image": Archive(
        "pip",
        "scikit-image==0.26.0",
        "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
        "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
        (*WHEEL_X86_64, "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"),
    ),
    # The SVG renderer: a static binary inside the wheel, run from a temporary folder.
    "resvg": Archive(
        "pip",
        "resvg-cli==0.44.0",
        "resvg_cli-0.44.0-py3-none-manylinux_2_28_x86_64.whl",
        "3d9aad83dc1e170ca74b0f388928d0a8b7c690ad3c99eb9f30925ded0268ae8e",
        WHEEL_X86_64,
    ),
}
# Debian's copy of the GPL (package base-files): mate-backgrounds' copyright file points to it.
GPL2_TEXT = (
    Path("/usr/share/common-licenses/GPL-2"),
    "8177f97513213526df2cf6184d8ff986c675afb514d4e68a404010521b880643",
)


@dataclass(frozen=True, slots=True)
class Photo:
    """A photograph from a package, with its author and licence as the package states them."""

    source: str  # a key of ARCHIVES
    member: str  # its path inside the archive
    author: str
    licence: str  # SPDX id
    crop: tuple[int, int, int, int] | None = None  # (left, top, right, bottom) before resizing


@dataclass(frozen=True, slots=True)
class SynsetSpec:
    """A synset of the bundle: the emoji codepoints and photographs that show it."""

    wnid: str
    glyphs: tuple[int, ...]
    photos: tuple[Photo, ...] = ()


CHELSEA = Photo("scikit-image", "skimage/data/chelsea.png", "Stefan van der Walt", "CC0-1.0")
ROCKET = Photo("scikit-image", "skimage/data/rocket.jpg", "SpaceX", "LicenseRef-PublicDomain")
LADYBIRD = Photo(
    "mate-backgrounds",
    "usr/share/backgrounds/mate/nature/LadyBird.jpg",
    "Charles Barbin",
    "GPL-2.0-or-later",
    crop=(1380, 520, 2220, 1080),  # the beetle is a speck in the 2560x1600 original
)

# Pairs of siblings make the hierarchy matter: dog/cat (carnivores), domestic cat/tiger
# (felids), lemon/orange (citrus), car/airplane/rocket/bicycle (vehicles), violin/guitar
# (stringed instruments), hammer/wrench (hand tools). No class is an ancestor of another.
SYNSETS = (
    SynsetSpec("n02084071", (0x1F415, 0x1F436)),  # dog: DOG, DOG FACE
    SynsetSpec("n02121808", (0x1F408, 0x1F431), (CHELSEA,)),  # domestic cat: CAT, CAT FACE
    SynsetSpec("n02129604", (0x1F405, 0x1F42F)),  # tiger: TIGER, TIGER FACE
    SynsetSpec("n01791625", (0x1F414, 0x1F413)),  # chicken: CHICKEN, ROOSTER
    SynsetSpec("n02055803", (0x1F427,)),  # penguin
    SynsetSpec("n02655020", (0x1F421,)),  # puffer: BLOWFISH
    SynsetSpec("n01697178", (0x1F40A,)),  # crocodile
    SynsetSpec("n01662784", (0x1F422,)),  # turtle
    SynsetSpec("n01639765", (0x1F438,)),  # frog: FROG FACE
    SynsetSpec("n02958343", (0x1F697, 0x1F698)),  # car: AUTOMOBILE, ONCOMING AUTOMOBILE
    SynsetSpec("n02691156", (0x2708, 0x1F6E9)),  # airplane: AIRPLANE, SMALL AIRPLANE
    SynsetSpec("n04099429", (0x1F680,), (ROCKET,)),  # rocket
    SynsetSpec("n02834778", (0x1F6B2,)),  # bicycle
    SynsetSpec("n02818832", (0x1F6CF,)),  # bed
    SynsetSpec("n04536866", (0x1F3BB,)),  # violin
    SynsetSpec("n03467517", (0x1F3B8,)),  # guitar
    SynsetSpec("n09472597", (0x1F30B, 0x1F5FB)),  # volcano: VOLCANO, MOUNT FUJI
    SynsetSpec("n03481172", (0x1F528,)),  # hammer
    SynsetSpec("n04606574", (0x1F527,)),  # wrench
    SynsetSpec("n11978233", (0x1F33B,)),  # sunflower
    SynsetSpec("n07749582", (0x1F34B,)),  # lemon
    SynsetSpec("n07747607", (0x1F34A,)),  # orange: TANGERINE
    # apple: RED APPLE only; GREEN APPLE is the same drawing recoloured in several sets
    SynsetSpec("n07739125", (0x1F34E,)),
    SynsetSpec("n02165456", (0x1F41E,), (LADYBIRD,)),  # ladybug: LADY BEETLE (an insect)
)

FLUENT_MIT = """MIT License

Copyright (c) Microsoft Corporation.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

# Each licence file opens with what its images are, then the licence texts verbatim.
HEADERS = {
    "noto": """Noto Color Emoji, glyphs drawn from NotoColorEmoji.ttf of Debian's
fonts-noto-color-emoji 2.042-0+deb12u1 (upstream https://github.com/googlefonts/noto-emoji).
Copyright 2013-2017 Google Inc., Arjen Nienhuis. The font is licensed under the SIL Open
Font License 1.1 (OFL-1.1); the images in the upstream repository are Apache-2.0. Changes:
each glyph was drawn at its 109 px bitmap strike, trimmed, scaled to fit 160 px and
composited onto a white 192x192 JPEG. Debian's copyright file follows.""",
    "twemoji": """Twemoji graphics from the npm package @twemoji/svg 15.0.0 (SVGs of
https://github.com/jdecked/twemoji). Copyright 2014-2021 Twitter, Inc and other
contributors; 2022-present Jason Sofonia & Justine De Caires (jdecked/twemoji).
Graphics licensed under CC-BY 4.0 (CC-BY-4.0). Changes: rasterised with resvg 0.44.0,
trimmed, scaled to fit 160 px and composited onto a white 192x192 JPEG.
The licence text below is LICENSE-GRAPHICS of the npm package @twemoji/api 15.1.0; the
MIT licence after it covers the @twemoji/svg packaging (not the graphics).""",
    "openmoji": """OpenMoji graphics from the npm package openmoji 17.0.0
(https://openmoji.org/, https://github.com/hfg-gmuend/openmoji). "All emojis designed by
OpenMoji - the open-source emoji and icon project. License: CC BY-SA 4.0"; each image's
designer is named in items.csv (column author, from the package's data/openmoji.json).
Changes: color/svg/<HEXCODE>.svg rasterised with resvg 0.44.0, trimmed, scaled to fit
160 px and composited onto a white 192x192 JPEG; these adapted images are shared under
CC BY-SA 4.0 (CC-BY-SA-4.0) too. The licence text below is the package's LICENSE.txt.""",
    "fluent": """Fluent Emoji (Flat style) by Microsoft Corporation
(https://github.com/microsoft/fluentui-emoji), as SVG in the npm package
@iconify-json/fluent-emoji-flat 1.2.6, whose info.json states: author "Microsoft
Corporation", licence MIT (https://github.com/microsoft/fluentui-emoji/blob/main/LICENSE).
Changes: rasterised with resvg 0.44.0, trimmed, scaled to fit 160 px and composited onto a
white 192x192 JPEG. The upstream licence:""",
    "emojione": """Emoji One (Colored) artwork, EmojiOne 2 designs as continued by EmojiTwo
(https://github.com/EmojiTwo/emojitwo), as SVG in the npm package @iconify-json/emojione
1.2.3, whose info.json states: author "Emoji One", licence CC BY 4.0 (CC-BY-4.0,
https://creativecommons.org/licenses/by/4.0/). Changes: rasterised with resvg 0.44.0,
trimmed, scaled to fit 160 px and composited onto a white 192x192 JPEG. The text of
CC BY 4.0 follows (taken from LICENSE-GRAPHICS of the npm package @twemoji/api 15.1.0,
which is the unmodified Creative Commons legal code).""",
    "scikit-image": """Photographs from scikit-image 0.26.0 (skimage/data, the wheel
scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl).
Their authors and licences, as scikit-image's skimage/data/_fetchers.py states them
(quoted below): chelsea.png, CC0 by the photographer Stefan van der Walt (CC0-1.0);
rocket.jpg, captured by SpaceX and released in the public domain
(LicenseRef-PublicDomain). Changes: resized so that the shorter side is 256 px and saved
as JPEG. scikit-image's own LICENSE.txt (its code) follows the quotes.""",
    "mate-backgrounds": """Photographs from Debian's mate-backgrounds 1.26.0-1
(/usr/share/backgrounds/mate/). nature/LadyBird.jpg: Copyright 2008 Charles Barbin,
licensed under the GNU General Public License version 2 or later (GPL-2.0-or-later).
Changes: cropped to the box (1380, 520, 2220, 1080) of the 2560x1600 original, resized so
that the shorter side is 256 px and saved as JPEG. The original (the preferred form for
modification) is in the Debian package named above, and in
https://git.mate-desktop.org/mate-backgrounds/. Debian's copyright file and the text of
the GPL version 2 follow.""",
}


class ArchiveFiles(Protocol):
    """Files of an archive by their path inside it (the build script's ``Members``)."""

    def __getitem__(self, name: str) -> bytes: ...


def licence_texts(members: Mapping[str, ArchiveFiles]) -> dict[str, str]:
    """``LICENSES/<source>.txt`` for every source: what its images are, then its licences."""

    def text(key: str, name: str) -> str:
        return members[key][name].decode("utf-8")

    cc_by = text("twemoji-api", "package/LICENSE-GRAPHICS")
    bodies = {
        "noto": [text("noto", "usr/share/doc/fonts-noto-color-emoji/copyright")],
        "twemoji": [cc_by, text("twemoji", "package/license")],
        "openmoji": [text("openmoji", "package/LICENSE.txt")],
        "fluent": [FLUENT_MIT],
        "emojione": [cc_by],
        "scikit-image": [
            fetcher_docstrings(text("scikit-image", "skimage/data/_fetchers.py")),
            text("scikit-image", "scikit_image-0.26.0.dist-info/LICENSE.txt"),
        ],
        "mate-backgrounds": [
            text("mate-backgrounds", "usr/share/doc/mate-backgrounds/copyright"),
            system_text(*GPL2_TEXT),
        ],
    }
    rule = "\n\n" + "=" * 78 + "\n\n"
    return {
        source: rule.join([HEADERS[source], *(body.strip() for body in texts)]) + "\n"
        for source, texts in bodies.items()
    }


def fetcher_docstrings(source: str) -> str:
    """The docstrings of scikit-image's ``chelsea()`` and ``rocket()``: its licence statements."""
    quoted = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in {"chelsea", "rocket"}:
            quoted.append(f"skimage.data.{node.name}():\n\n{ast.get_docstring(node)}")
    return "\n\n".join(quoted)


def system_text(path: Path, sha256: str) -> str:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SystemExit(f"{path} is not the pinned text (sha256 {sha256})")
    return data.decode("utf-8")


def readme_text(items: Sequence[Any], wordnet: Any, subtrees: Mapping[str, str]) -> str:
    """The bundle's README: what it holds, where each image came from, how it was made."""
    names = {wnid: name for name, wnid in subtrees.items()}
    counts: Counter[str] = Counter(item.entry.wnid for item in items)
    by_source: defaultdict[str, set[str]] = defaultdict(set)
    for item in items:
        by_source[item.entry.wnid].add(item.entry.source)
    rows = []
    for spec in SYNSETS:
        under = [names[a] for a in wordnet.ancestors(spec.wnid) if a in names] or ["(none)"]
        lemma = wordnet.get(spec.wnid).lemmas[0]
        sources = ", ".join(sorted(by_source[spec.wnid]))
        rows.append(
            f"| {spec.wnid} | {lemma} | {', '.join(under)} | {counts[spec.wnid]} | {sources} |"
        )
    per_source = Counter(item.entry.source for item in items)
    source_rows = [
        f"| {source} | {per_source[source]} | {licence} | {origin} |"
        for source, licence, origin in SOURCE_TABLE
    ]
    return README.format(
        n_images=len(items),
        n_synsets=len(SYNSETS),
        synset_rows="\n".join(rows),
        source_rows="\n".join(source_rows),
    )


SOURCE_TABLE = (
    ("noto", "OFL-1.1", "Debian fonts-noto-color-emoji 2.042-0+deb12u1"),
    ("twemoji", "CC-BY-4.0", "npm @twemoji/svg 15.0.0"),
    ("openmoji", "CC-BY-SA-4.0", "npm openmoji 17.0.0"),
    ("fluent", "MIT", "npm @iconify-json/fluent-emoji-flat 1.2.6"),
    ("emojione", "CC-BY-4.0", "npm @iconify-json/emojione 1.2.3"),
    ("scikit-image", "CC0-1.0, LicenseRef-PublicDomain", "PyPI scikit-image 0.26.0"),
    ("mate-backgrounds", "GPL-2.0-or-later", "Debian mate-backgrounds 1.26.0-1"),
)

README = """# The demo bundle

A small, offline set of real third-party images that `synsetdb demo` ingests to
build an ImageNet-style dataset end to end: {n_images} images of {n_synsets}
WordNet 3.0 noun synsets. Each image shows exactly one synset; no synset is an
ancestor of another.

Made by `tools/build_demo_bundle.py` (run it again to rebuild this folder; it
fetches the pinned packages, checks their sha256 and writes identical bytes).
Do not edit these files by hand.

## Layout

- `images/<wnid>/<source>-<slug>.jpg`: RGB JPEG, quality 85, no metadata.
  Emoji are trimmed to their visible pixels, scaled to fit 160 px and centred on
  a white 192x192 canvas; photographs are resized so that their shorter side is
  256 px.
- `items.csv`: one row per image: `path` (relative to this folder), `wnid`,
  `label` (the synset's first WordNet lemma), `source`, `title` (the Unicode
  codepoint and name, or the photograph's file name), `author`, `licence` (SPDX
  id), `origin` (package, version and the file inside it) and `sha256` of the
  JPEG.
- `LICENSES/<source>.txt`: for each source, what its images are, who made them,
  what was changed, and the full licence texts.

## Synsets

| wnid | lemma | 2009 subtree | images | sources |
|---|---|---|---|---|
{synset_rows}

## Sources

| source | images | licence | from |
|---|---|---|---|
{source_rows}

Emoji are pictures of a thing by an artist, not photographs; five independent
artists' renditions of each glyph (and, for most synsets, two glyphs) give every
synset several distinct images. SVG sets were rasterised with resvg 0.44.0 (the
binary in the PyPI wheel resvg-cli 0.44.0); Noto's bitmap glyphs were drawn with
Pillow. The images keep their licences: see `LICENSES/`. The OpenMoji images
(CC BY-SA 4.0) and the mate-backgrounds photograph (GPL-2.0-or-later) are
distributed beside synsetdb's own code, not as part of it.
"""
