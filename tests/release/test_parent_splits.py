"""Splits that stay put: a release with a parent keeps the split of every image the parent had.

``assign_splits(..., previous=...)`` on its own, then whole releases built on a
real catalog: the parent's images keep their splits, new ones are split fresh,
near-duplicate groups stay whole, and ``splits.parent = "resplit"`` (or
``release create --resplit``) re-splits, which the datasheet and ``release diff``
flag when a held-out image lands in train.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner

from synsetdb.catalog import Project
from synsetdb.cli import cli
from synsetdb.errors import ReleaseError
from synsetdb.release import (
    ReleaseItem,
    SplitConfig,
    SplitEntry,
    assign_splits,
    create_release,
    diff_releases,
    parse_spec,
)
from synsetdb.release._datasheet_parent import WARNING_TITLE
from tests.release.catalog_rows import Row, add_rows, image_id, random_hashes

A, B = "n01000001", "n01000002"
TENCH, GOLDFISH, LEMON = "n01440764", "n01443537", "n07749582"
WNIDS = (TENCH, GOLDFISH, LEMON)


def _entry(image: str, wnid: str, h: int | None, official: str | None = None) -> SplitEntry:
    """One item to split (the one place that knows ``SplitEntry``'s fields)."""
    return SplitEntry(image, wnid, h, official)


def _far(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(64) for _ in range(n)]


# ----------------------------------------------------------------------------- assign_splits


def test_parent_splits_are_kept_and_new_items_fill_the_targets() -> None:
    hashes = iter(_far(200, seed=1))
    old = [_entry(f"old-{w}-{i}", w, next(hashes)) for w in (A, B) for i in range(20)]
    # the parent had 4 val per class: the first four of each
    previous = {e.image: ("val" if int(e.image.rsplit("-", 1)[1]) < 4 else "train") for e in old}
    new = [_entry(f"new-{w}-{i}", w, next(hashes)) for w in (A, B) for i in range(10)]
    entries = old + new
    config = SplitConfig((("val", 0.2),), "keep", 6)
    splits, report = assign_splits(entries, config, seed=3, previous=previous)
    got = dict(zip((e.image for e in entries), splits, strict=True))
    for image, split in previous.items():
        assert got[image] == split
    # 30 per class: a target of 6 val, 4 of them kept, so 2 new images per class go to val
    per = Counter((e.wnid, s) for e, s in zip(entries, splits, strict=True))
    assert per[(A, "val")] == 6 and per[(B, "val")] == 6
    assert sum(got[e.image] == "val" for e in new) == 4
    assert report.kept_from_parent == 40
    assert report.to_dict()["kept_from_parent"] == 40
    assert report.shortfalls == {}


def test_more_kept_than_the_target_moves_nothing_out() -> None:
    hashes = iter(_far(40, seed=2))
    old = [_entry(f"old{i}", A, next(hashes)) for i in range(20)]
    previous = {e.image: "val" if i < 10 else "train" for i, e in enumerate(old)}
    new = [_entry(f"new{i}", A, next(hashes)) for i in range(5)]
    splits, report = assign_splits(old + new, SplitConfig((("val", 3),)), 0, previous=previous)
    assert splits[:20] == [previous[e.image] for e in old]  # 10 val stay val
    assert splits[20:] == ["train"] * 5  # the target was met by kept items already
    assert report.kept_from_parent == 20


def test_near_duplicates_follow_the_parent_and_disagreements_are_reported() -> None:
    far = _far(60, seed=3)
    h, g, k = far.pop(), far.pop(), far.pop()
    entries = [_entry(f"t{i}", A, far.pop()) for i in range(30)]
    previous = {e.image: "train" for e in entries}
    entries += [
        _entry("parent-val", A, h),
        _entry("copy-of-val", A, h ^ 0b101),  # new, near the parent's val image: val
        _entry("copy-of-val", B, h ^ 0b101),  # the same new picture under another class too
        _entry("parent-train", A, g),
        _entry("copy-of-train", A, g ^ 1),  # new, near a parent's train image: train
        _entry("split-val", A, k),  # the parent itself had these near duplicates in
        _entry("split-train", A, k ^ 1),  # different splits: left as they were, reported
        _entry("split-new", A, k ^ 2),
    ]
    previous |= {"parent-val": "val", "parent-train": "train"}
    previous |= {"split-val": "val", "split-train": "train"}
    # a target that new images could fill: the copies must still follow their partners
    config = SplitConfig((("val", 0.5),), "keep", 6)
    splits, report = assign_splits(entries, config, 5, previous=previous)
    got = {(e.image, e.wnid): s for e, s in zip(entries, splits, strict=True)}
    assert got[("copy-of-val", A)] == got[("copy-of-val", B)] == "val"
    assert got[("copy-of-train", A)] == "train"
    assert got[("split-val", A)] == "val" and got[("split-train", A)] == "train"
    assert got[("split-new", A)] in ("val", "train")
    assert report.kept_from_parent == 30 + 4
    assert report.parent_cross_split == 1
    (example,) = report.parent_cross_split_examples
    assert {m[0] for m in example} == {"split-val", "split-train"}
    data = report.to_dict()
    assert data["parent_cross_split_groups"] == 1
    assert data["parent_cross_split_examples"][0][0] == ["split-train", A, "train"]


def test_the_parent_wins_over_an_official_split_and_the_order_does_not_matter() -> None:
    hashes = iter(_far(50, seed=4))
    entries = [_entry(f"o{i}", A, next(hashes), "val" if i < 5 else "train") for i in range(20)]
    entries += [_entry(f"n{i}", A, next(hashes)) for i in range(10)]
    previous = {"o0": "train", "o7": "val"}  # a parent built with official = "ignore"
    config = SplitConfig((("val", 6),), "keep", 6)
    splits, report = assign_splits(entries, config, 1, previous=previous)
    got = {e.image: s for e, s in zip(entries, splits, strict=True)}
    assert got["o0"] == "train" and got["o7"] == "val"
    assert all(got[f"o{i}"] == "val" for i in range(1, 5))
    assert report.kept_from_parent == 2 and report.official_kept == 18
    shuffled = entries[::-1]
    again, again_report = assign_splits(shuffled, config, 1, previous=previous)
    assert {e.image: s for e, s in zip(shuffled, again, strict=True)} == got
    assert again_report == report


# ----------------------------------------------------------------------------- whole releases


def _project(root: Path, per_class: int, start: int = 0) -> Project:
    project = Project.open(root)
    hashes = iter(random_hashes(3 * (start + per_class), seed=11)[3 * start :])
    add_rows(
        project.catalog,
        [
            Row(f"{w}-{i}", w, next(hashes), file_name=f"{w}_{i}.JPEG")
            for w in WNIDS
            for i in range(start, start + per_class)
        ],
    )
    return project


def _spec(body: str, parent: str | None = None, seed: int = 1) -> str:
    head = f"seed = {seed}\n" + (f'parent = "{parent}"\n' if parent else "")
    return f"{head}[selection]\nwnids = {json.dumps(list(WNIDS))}\n{body}"


def _splits(items: Iterable[ReleaseItem]) -> dict[str, str]:
    return {it.image: it.split for it in items}


def test_a_child_release_keeps_its_parents_splits(wordnet_project: Path) -> None:
    project = _project(wordnet_project, 16)
    v1 = create_release(project, "v1", parse_spec(_spec("[splits]\nval = 4\n")))
    add_rows(
        project.catalog,
        [
            Row(f"{w}-new-{i}", w, h)
            for n, w in enumerate(WNIDS)
            for i, h in enumerate(random_hashes(8, seed=100 + n))
        ],
    )
    # another seed and another target: without a parent, most val images would move
    v2 = create_release(project, "v2", parse_spec(_spec("[splits]\nval = 0.25\n", "v1", seed=9)))
    before, after = _splits(v1.manifest.items), _splits(v2.manifest.items)
    assert all(after[image] == split for image, split in before.items())
    per = Counter((it.wnid, it.split) for it in v2.manifest.items)
    assert all(per[(w, "val")] == 6 for w in WNIDS)  # 24 per class: 4 kept + 2 new
    report = json.loads((wordnet_project / "releases" / "v2" / "report.json").read_text())
    assert report["splits"]["parent"] == "keep"
    assert report["splits"]["kept_from_parent"] == 48
    diff = diff_releases(v1, v2)
    assert diff.moved == () and diff.held_out_to_train == ()
    sheet = (wordnet_project / "releases" / "v2" / "datasheet.md").read_text()
    assert "kept the split it had in v1" in sheet
    assert WARNING_TITLE not in sheet
    assert "| images moved from a held-out split into train | 0 |" in sheet
    assert v2.manifest.spec["splits"]["parent"] == "keep"


def test_resplitting_is_explicit_and_flagged(wordnet_project: Path) -> None:
    project = _project(wordnet_project, 16)
    v1 = create_release(project, "v1", parse_spec(_spec("[splits]\nval = 4\n")))
    spec = parse_spec(_spec('[splits]\nval = 4\nparent = "resplit"\n', "v1", seed=9))
    assert spec.splits.parent == "resplit"
    v2 = create_release(project, "v2", spec)
    diff = diff_releases(v1, v2)
    leaks = diff.held_out_to_train
    assert leaks, "another seed must move some val images into train"
    assert all(before == "val" and after == "train" for _, _, before, after in leaks)
    assert {i for i, _, _, _ in leaks} == {
        i for i, _, s, t in diff.moved if s == "val" and t == "train"
    }
    assert diff.counts()["held_out_to_train"] == len(leaks)
    sheet = (wordnet_project / "releases" / "v2" / "datasheet.md").read_text()
    warning = sheet.split("## Warning: held-out images moved into train", 1)[1].split("\n## ")[0]
    assert f"{len(leaks)} image(s) moved from a held-out split into train since v1" in warning
    assert leaks[0][0] in warning
    issues = sheet.split("## Known issues", 1)[1]
    assert f"{len(leaks)} image(s) moved from a held-out split of v1 into train" in issues
    changes = (wordnet_project / "releases" / "v2" / "datasheet-split-changes.csv").read_text()
    assert len(changes.splitlines()) == 1 + len(diff.moved)
    assert changes.splitlines()[0] == "image,wnid,name,from,to,held_out_to_train"
    report = json.loads((wordnet_project / "releases" / "v2" / "report.json").read_text())
    assert report["splits"]["parent"] == "resplit" and report["splits"]["kept_from_parent"] == 0


def test_a_resplit_needs_a_parent() -> None:
    with pytest.raises(ReleaseError) as caught:
        parse_spec(f'[selection]\nwnids = ["{TENCH}"]\n[splits]\nparent = "resplit"\n')
    assert caught.value.code == "E_SPEC" and "splits.parent" in str(caught.value)
    with pytest.raises(ReleaseError, match=r"splits\.parent"):
        parse_spec(f'parent = "v1"\n[selection]\nwnids = ["{TENCH}"]\n[splits]\nparent = "x"\n')


def _run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--project", str(project), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_keeps_resplits_and_flags_moves(wordnet_project: Path, tmp_path: Path) -> None:
    _project(wordnet_project, 16).close()
    v1 = tmp_path / "v1.toml"
    v1.write_text(_spec("[splits]\nval = 4\n"))
    v2 = tmp_path / "v2.toml"
    v2.write_text(_spec("[splits]\nval = 4\n", "v1", seed=9))
    assert _run(wordnet_project, "release", "create", "v1", "--spec", str(v1))[0] == 0
    code, out, _ = _run(wordnet_project, "release", "create", "v2", "--spec", str(v2))
    assert code == 0 and "kept the parent's split: 48 items" in out
    code, out, _ = _run(wordnet_project, "release", "diff", "v1", "v2")
    assert code == 0 and "  moved: 0\n" in out and "held-out" not in out
    code, out, _ = _run(wordnet_project, "release", "create", "v3", "--spec", str(v2), "--resplit")
    assert code == 0 and "re-split: the parent's splits were not kept" in out
    code, out, _ = _run(wordnet_project, "release", "diff", "v1", "v3", "--json")
    data = json.loads(out)
    leaks = data["held_out_to_train"]
    assert leaks and data["counts"]["held_out_to_train"] == len(leaks)
    assert set(leaks[0]) == {"image", "wnid", "from", "to"} and leaks[0]["to"] == "train"
    code, out, _ = _run(wordnet_project, "release", "diff", "v1", "v3")
    assert code == 0
    assert f"WARNING: {len(leaks)} image(s) moved from a held-out split into train" in out
    assert f"  ! moved {leaks[0]['image'][:16]} {leaks[0]['wnid']}: val -> train" in out
    # --resplit without a parent in the spec is refused, naming the flag
    code, _, err = _run(wordnet_project, "release", "create", "v4", "--spec", str(v1), "--resplit")
    assert code == 1 and "E_SPEC" in err and "--resplit" in err


def test_an_image_kept_under_a_new_class_keeps_its_split(wordnet_project: Path) -> None:
    project = _project(wordnet_project, 12)
    v1 = create_release(project, "v1", parse_spec(_spec("[splits]\nval = 3\n")))
    val_tench = next(it.image for it in v1.manifest.items if it.split == "val" and it.wnid == TENCH)
    key = next(f"{TENCH}-{i}" for i in range(12) if image_id(f"{TENCH}-{i}") == val_tench)
    add_rows(project.catalog, [Row(key, LEMON, None)])  # the same picture now also a lemon
    v2 = create_release(project, "v2", parse_spec(_spec("[splits]\nval = 3\n", "v1", seed=5)))
    assert {it.split for it in v2.manifest.items if it.image == val_tench} == {"val"}


def test_a_parents_split_the_child_does_not_declare_is_refused(wordnet_project: Path) -> None:
    """Keeping v1's val images in a spec with only a test split would release a val the
    spec never asked for: refused, naming the split and both ways out."""
    project = _project(wordnet_project, 8)
    create_release(project, "v1", parse_spec(_spec("[splits]\nval = 2\n")))
    with pytest.raises(ReleaseError) as caught:
        create_release(project, "v2", parse_spec(_spec("[splits]\ntest = 2\n", "v1")))
    assert caught.value.code == "E_SPEC"
    assert "val split" in str(caught.value) and "--resplit" in str(caught.value)
    resplit = _spec('[splits]\ntest = 2\nparent = "resplit"\n', "v1")
    splits = {it.split for it in create_release(project, "v2", parse_spec(resplit)).manifest.items}
    assert splits == {"train", "test"}
