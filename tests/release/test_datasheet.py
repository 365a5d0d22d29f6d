"""The datasheet: its files, its numbers, escaping, determinism and the diff against a parent."""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

import matplotlib
import pytest
from PIL import Image

from synsetdb.catalog.blobs import LocalBlobStore
from synsetdb.release import Manifest, Release, ReleaseClass, ReleaseItem
from synsetdb.release.datasheet import write_datasheet
from tests.fixtures.photos import encode, photo
from tests.fixtures.releases import induced_hierarchy, small_release

FILES = (
    "datasheet.md",
    "datasheet.html",
    "datasheet-class-counts.png",
    "datasheet-depths.png",
    "datasheet-classes.csv",
)
HOSTILE = '<script>alert("x")</script> a|b *c*'
REPORT = {
    "candidates_read": 40,
    "filters": [{"name": "person", "removed": 3}, {"name": "unsafe", "removed": 0}],
    "splits": {"duplicate_groups": 2, "groups_moved": 1},
    "blurred": 0,
}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return small_release(tmp_path_factory.mktemp("blobs"))


def md_rows(markdown: str, first: str) -> list[list[str]]:
    """The cells of the Markdown table rows whose first cell is ``first``."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("| "):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if cells[0] == first:
                rows.append(cells)
    return rows


def test_the_files_are_written(release: Release, tmp_path: Path) -> None:
    path = write_datasheet(release, tmp_path / "out" / "nested")
    assert path == tmp_path / "out" / "nested" / "datasheet.md"
    for name in FILES:
        assert (path.parent / name).stat().st_size > 0, name
    html = (path.parent / "datasheet.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert 'src="datasheet-class-counts.png"' in html and 'src="datasheet-depths.png"' in html
    assert "http" not in html  # self-contained: nothing fetched from elsewhere


def test_counts_match_the_manifest(release: Release, tmp_path: Path) -> None:
    markdown = write_datasheet(release, tmp_path).read_text()
    manifest = release.manifest
    assert manifest.sha256 in markdown
    for c in manifest.classes:
        items = [it for it in manifest.items if it.wnid == c.wnid]
        per_split = [str(sum(it.split == s for it in items)) for s in manifest.splits]
        assert md_rows(markdown, str(c.index)) == [
            [str(c.index), c.wnid, c.name, *per_split, str(len(items))]
        ]
    for split in manifest.splits:
        assert md_rows(markdown, split) == [[split, str(len(manifest.items_in(split))), "3"]]
    assert md_rows(markdown, "all") == [["all", str(len(manifest.items)), "3"]]
    assert md_rows(markdown, "classes") == [["classes", "3"]]
    # depths from the induced WordNet hierarchy: dog and domestic cat 8, sunflower 11
    assert md_rows(markdown, "8") == [["8", "2"]] and md_rows(markdown, "11") == [["11", "1"]]
    assert "bounding boxes: 3 on 3 item(s)" in markdown


def test_the_csv_lists_every_class(release: Release, tmp_path: Path) -> None:
    write_datasheet(release, tmp_path)
    rows = list(csv.DictReader((tmp_path / "datasheet-classes.csv").open()))
    assert [r["wnid"] for r in rows] == release.manifest.wnids
    assert [(r["train"], r["val"], r["total"], r["depth"]) for r in rows] == [
        ("6", "3", "9", "8"),
        ("6", "3", "9", "8"),
        ("6", "3", "9", "11"),
    ]


def _with_class_name(release: Release, index: int, name: str) -> Release:
    manifest = release.manifest
    classes = tuple(
        dataclasses.replace(c, name=name) if c.index == index else c for c in manifest.classes
    )
    return dataclasses.replace(release, manifest=dataclasses.replace(manifest, classes=classes))


def test_hostile_class_names_are_escaped(release: Release, tmp_path: Path) -> None:
    hostile = _with_class_name(release, 1, HOSTILE)
    report = {**REPORT, "note": "<img src=x onerror=alert(1)>"}
    markdown = write_datasheet(hostile, tmp_path, report=report).read_text()
    html = (tmp_path / "datasheet.html").read_text()
    assert "<script" not in html.lower() and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; a|b *c*" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert not re.search(r"(?<!\\)<", markdown)  # every < is escaped: no raw HTML
    assert r'\<script\>alert("x")\</script\> a\|b \*c\*' in markdown
    # the pipe in the name does not split its table row
    row = md_rows(markdown, "1")
    assert len(row) == 1 and len(row[0]) == 6
    names = [r["name"] for r in csv.DictReader((tmp_path / "datasheet-classes.csv").open())]
    assert names[1] == HOSTILE


def test_the_plots_are_pngs(release: Release, tmp_path: Path) -> None:
    write_datasheet(release, tmp_path)
    for name in ("datasheet-class-counts.png", "datasheet-depths.png"):
        with Image.open(tmp_path / name) as image:
            image.load()
            assert image.format == "PNG" and image.size == (640, 360)
            assert "Software" not in image.info and "Creation Time" not in image.info


def test_the_same_inputs_give_the_same_bytes(release: Release, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    write_datasheet(release, first, report=REPORT, sources={"x": 27}, licences={"y": 27})
    write_datasheet(release, second, report=REPORT, sources={"x": 27}, licences={"y": 27})
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # and rewriting in place replaces, not appends
    write_datasheet(release, first, report=REPORT, sources={"x": 27}, licences={"y": 27})
    assert (first / "datasheet.md").read_bytes() == (second / "datasheet.md").read_bytes()


def test_matplotlib_state_is_left_alone(release: Release, tmp_path: Path) -> None:
    backend = matplotlib.get_backend()
    params = dict(matplotlib.rcParams)
    write_datasheet(release, tmp_path)
    assert matplotlib.get_backend() == backend
    assert dict(matplotlib.rcParams) == params


def test_sources_licences_and_report_are_shown(release: Release, tmp_path: Path) -> None:
    markdown = write_datasheet(
        release,
        tmp_path,
        sources={"folder:/photos": 20, "unknown": 7},
        licences={"CC-BY-4.0": 27},
        report=REPORT,
    ).read_text()
    assert md_rows(markdown, "folder:/photos") == [["folder:/photos", "20"]]
    assert md_rows(markdown, "CC-BY-4.0") == [["CC-BY-4.0", "27"]]
    assert "- candidates read: 40" in markdown
    assert "    - name: person\n    - removed: 3" in markdown
    assert "  - duplicate groups: 2" in markdown
    assert "7 image(s) of unknown source" in markdown
    assert "Face obfuscation: none" in markdown


def test_what_is_unknown_is_said(release: Release, tmp_path: Path) -> None:
    markdown = write_datasheet(release, tmp_path).read_text()
    assert "Sources: not recorded for this release." in markdown
    assert "Licences: not recorded for this release" in markdown
    assert "No build report was given" in markdown
    assert "gives no description" in markdown
    assert "This release has no parent." in markdown
    html = (tmp_path / "datasheet.html").read_text()
    sections = re.findall(r"^## (.+)$", markdown, re.M)
    assert sections == re.findall(r"<h2>(.+?)</h2>", html)
    assert sections == [
        "Summary",
        "Motivation",
        "Composition",
        "Collection process",
        "Preprocessing, cleaning and labelling",
        "Uses",
        "Distribution",
        "Maintenance",
        "Known issues",
    ]


# ----------------------------------------------------------------- the parent


def _child_of(parent: Release) -> Release:
    """Sunflower dropped, two dogs removed, one cat moved to val, a new class of two birds."""
    manifest = parent.manifest
    items = []
    for item in manifest.items:
        if item.wnid == "n11978233" or item.name in ("n02084071_0001", "n02084071_0002"):
            continue
        if item.name == "n02121808_0003":
            item = dataclasses.replace(item, split="val")
        items.append(item)
    for i, name in enumerate(("rocket", "coffee")):
        key = parent.blobs.put(encode(photo(name, (160, 120)), "JPEG"))
        items.append(ReleaseItem(key, "n01503061", "train", key, f"n01503061_{i:04d}"))
    wnids = ("n01503061", "n02084071", "n02121808")
    names = ("bird", "dog", "domestic cat")
    child = Manifest(
        classes=tuple(
            ReleaseClass(i, w, n) for i, (w, n) in enumerate(zip(wnids, names, strict=True))
        ),
        hierarchy=induced_hierarchy(wnids),
        items=tuple(sorted(items, key=lambda it: (it.split, it.wnid, it.name))),
        spec=dict(manifest.spec),
        parent=manifest.sha256,
        synsetdb_version="test",
    )
    return Release("child", child, parent.blobs)


def test_the_diff_against_the_parent(release: Release, tmp_path: Path) -> None:
    child = _child_of(release)
    markdown = write_datasheet(child, tmp_path, parent=release).read_text()
    assert f"Changes since small ({release.sha256})" in markdown
    assert md_rows(markdown, "classes added") == [["classes added", "1"]]
    assert md_rows(markdown, "classes removed") == [["classes removed", "1"]]
    assert md_rows(markdown, "images added") == [["images added", "2"]]
    assert md_rows(markdown, "images removed") == [["images removed", "11"]]
    assert md_rows(markdown, "items moved between splits") == [["items moved between splits", "1"]]
    assert md_rows(markdown, "images relabelled") == [["images relabelled", "0"]]
    assert "- classes added: n01503061" in markdown
    assert "- classes removed: n11978233" in markdown
    assert "- moved train → val: 1" in markdown
    assert "moved train → val: 1" in (tmp_path / "datasheet.html").read_text()


def test_a_parent_not_given_is_named(release: Release, tmp_path: Path) -> None:
    child = _child_of(release)
    markdown = write_datasheet(child, tmp_path).read_text()
    assert f"Parent {release.sha256}: its manifest was not available" in markdown
    assert "Changes since" not in markdown


def test_no_changes_against_itself(release: Release, tmp_path: Path) -> None:
    markdown = write_datasheet(release, tmp_path, parent=release).read_text()
    for change in ("classes added", "images removed", "items moved between splits"):
        assert md_rows(markdown, change) == [[change, "0"]]


# ----------------------------------------------------------------- many classes, issues


def _many_classes(tmp_path: Path, count: int = 60) -> Release:
    """``count`` classes (made-up wnids, each a root), class i with i + 1 train images."""
    wnids = [f"n9{i:07d}" for i in range(count)]
    items = [
        ReleaseItem(f"{i:04d}{j:060d}", w, "train", f"{i:04d}{j:060d}", f"{w}_{j}")
        for i, w in enumerate(wnids)
        for j in range(i + 1)
    ]
    items.append(ReleaseItem("f" * 64, wnids[-1], "val", "f" * 64, "last_val"))
    manifest = Manifest(
        classes=tuple(ReleaseClass(i, w, f"class {i}") for i, w in enumerate(wnids)),
        hierarchy=dict.fromkeys(wnids, ()),
        items=tuple(sorted(items, key=lambda it: (it.split, it.wnid, it.name))),
    )
    return Release("many", manifest, LocalBlobStore(tmp_path / "blobs"))


def test_many_classes_show_the_ends_and_a_summary(tmp_path: Path) -> None:
    release = _many_classes(tmp_path)
    markdown = write_datasheet(release, tmp_path / "out").read_text()
    shown = {i for i in range(60) if any(r[1] == f"n9{i:07d}" for r in md_rows(markdown, str(i)))}
    assert shown == set(range(10)) | set(range(50, 60))
    assert md_rows(markdown, "59")[0][3:] == ["60", "1", "61"]
    assert md_rows(markdown, "median") == [["median", "30.5"]]
    assert md_rows(markdown, "smallest") == [["smallest", "1"]]
    assert md_rows(markdown, "largest") == [["largest", "61"]]
    assert "every class is in datasheet-classes.csv" in markdown
    rows = list(csv.DictReader((tmp_path / "out" / "datasheet-classes.csv").open()))
    assert len(rows) == 60 and rows[29]["total"] == "30"


def test_known_issues(tmp_path: Path) -> None:
    markdown = write_datasheet(_many_classes(tmp_path), tmp_path / "out").read_text()
    issues = markdown.split("## Known issues", 1)[1]
    # classes of 1..14 images are under half the median (30.5 / 2 = 15.25)
    assert "15 class(es) under 0.5 x the median (30.5): n90000000 (1), n90000001 (2)" in issues
    assert "imbalance: the largest class has 61.0 x the smallest's images" in issues
    assert "59 class(es) have no val images" in issues
    assert "sources are not recorded" in issues


def test_no_issue_found_is_said(release: Release, tmp_path: Path) -> None:
    markdown = write_datasheet(release, tmp_path, sources={"a": 27}, licences={"b": 27}).read_text()
    assert "- none found by the automatic checks" in markdown.split("## Known issues", 1)[1]


def test_blurred_images_are_counted(release: Release, tmp_path: Path) -> None:
    items = tuple(
        dataclasses.replace(it, blurred=True) if it.name.endswith(("_0000", "_0001")) else it
        for it in release.manifest.items
    )
    blurred = dataclasses.replace(
        release, manifest=dataclasses.replace(release.manifest, items=items)
    )
    markdown = write_datasheet(blurred, tmp_path).read_text()
    assert "Face obfuscation: 6 image(s) had faces blurred" in markdown
    assert "some faces may be missed" in markdown
