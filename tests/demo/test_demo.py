"""``synsetdb demo`` end to end on the bundled sample: every stage, a second run, bad input."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from synsetdb.catalog import Project
from synsetdb.cli import cli
from synsetdb.demo import DemoConfig, load_bundle, run_demo
from synsetdb.demo.crowd import SimulatedWorker, _is_correct
from synsetdb.demo.sample import bundle_root, propose
from synsetdb.errors import ConfigError, DemoError, SynsetdbError
from synsetdb.hierarchy import Taxonomy

pytestmark = pytest.mark.slow


def _demo(directory: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["demo", str(directory), *extra])
    return result.exit_code, result.output


def _steps(output: str) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in json.loads(output)["steps"]}


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    """The demo run twice in one fresh folder, as the README's first command runs it."""
    root = tmp_path_factory.mktemp("demo") / "synsetdb-demo"
    outputs = []
    for _ in range(2):
        code, output = _demo(root, "--json")
        assert code == 0, output
        outputs.append(output)
    yield root, outputs


def test_the_demo_runs_every_stage_on_the_bundle(demo_runs: tuple[Path, list[str]]) -> None:
    root, outputs = demo_runs
    steps = _steps(outputs[0])
    assert list(steps) == [
        "project",
        "ingest",
        "verify",
        "duplicates",
        "release",
        "export",
        "baseline+eval",
        "audit",
    ]
    bundle = load_bundle()
    ingest = steps["ingest"]
    assert ingest["images"] == len(bundle) and ingest["rejected"] == 0
    assert ingest["added"] == len(bundle)  # every bundle image distinct
    assert ingest["proposals"] > len(bundle)  # search noise proposed some wrongly
    verify = steps["verify"]
    assert verify["votes"] > 0 and verify["candidate"] == 0  # everything was decided
    assert verify["precision"] >= 0.95 and verify["recall"] >= 0.8
    assert steps["duplicates"]["images"] == len(bundle) and steps["duplicates"]["groups"] >= 1
    release = steps["release"]
    assert release["created"] and set(release["splits"]) == {"train", "val"}
    assert release["splits"]["val"] >= 10
    export = root / "exports" / "ilsvrc"
    mapping = (export / "LOC_synset_mapping.txt").read_text().splitlines()
    assert len(mapping) >= 10
    assert sum(1 for _ in (export / "val").rglob("*.JPEG")) == release["splits"]["val"]
    assert (root / "releases" / "demo" / "datasheet.html").is_file()
    scores = steps["baseline+eval"]
    assert scores["images"] == release["splits"]["val"]
    assert 0.0 <= scores["top5_error"] <= scores["top1_error"] < 1.0
    assert scores["baseline_auc_by_height"]  # the 2009 per-height AUCs


def test_the_demo_predictions_score_the_same_with_synsetdb_eval(
    demo_runs: tuple[Path, list[str]],
) -> None:
    root, outputs = demo_runs
    paths = json.loads(outputs[0])["paths"]
    result = CliRunner().invoke(
        cli, ["--project", str(root), "eval", paths["predictions"], "--release", "demo", "--json"]
    )
    assert result.exit_code == 0, result.output
    by_eval = json.loads(result.output)
    by_demo = json.loads(Path(paths["scores"]).read_text())
    for key in ("images", "top1_error", "top5_error", "mistake_severity", "per_class_accuracy"):
        assert by_eval[key] == by_demo[key], key


@pytest.mark.parametrize("baseline", ["nn", "nbnn", "treemax"])
def test_the_three_baselines_run_on_the_demo_release(
    demo_runs: tuple[Path, list[str]], baseline: str
) -> None:
    root, _ = demo_runs
    args = ["--project", str(root), "baseline", baseline, "--release", "demo", "--json"]
    result = CliRunner().invoke(cli, [*args, *(["--k", "10"] if baseline == "nn" else [])])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["images"] == _steps(demo_runs[1][0])["release"]["splits"]["val"]
    heights = {int(h) for h in scores["auc_by_height"]}
    assert heights == set(range(len(heights))) and len(heights) > 5  # leaves up to the root
    assert scores["nodes_by_height"]["0"] == scores["classes"] == 24
    assert scores["top5_error"] < 0.7  # better than chance (19 / 24 = 0.79 for five guesses)
    if baseline == "nn":  # the demo's own baseline: the same votes, the same AUCs
        demo = _steps(demo_runs[1][0])["baseline+eval"]
        assert scores["auc_by_height"] == demo["baseline_auc_by_height"]


def test_a_second_run_finds_everything_done(demo_runs: tuple[Path, list[str]]) -> None:
    _, outputs = demo_runs
    first, second = (_steps(o) for o in outputs)
    assert not second["project"]["created"]
    assert (
        second["ingest"]["added"] == 0
        and second["ingest"]["skipped"] == first["ingest"]["proposals"]
    )
    assert second["verify"]["votes"] == 0
    assert not second["release"]["created"]
    assert second["release"]["sha256"] == first["release"]["sha256"]
    assert second["export"]["files_written"] == 0
    for key in ("top1_error", "top5_error", "per_class_accuracy", "baseline_auc_by_height"):
        assert second["baseline+eval"][key] == first["baseline+eval"][key]
    found = lambda step: [(c["code"], c["found"], c["open"]) for c in step["checks"]]  # noqa: E731
    assert found(second["audit"]) == found(first["audit"])


def test_the_summary_says_where_everything_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The terminal output, on a small copy of the bundle (the full one ran above)."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(  # as on a machine without the web extra
        importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else find_spec(name)
    )
    root = tmp_path / "demo"
    code, output = _demo(root, "--bundle", str(_small_bundle(tmp_path)))
    assert code == 0, output
    for stage in ("ingest", "verify", "duplicates", "release", "export", "baseline+eval", "audit"):
        assert f"{stage} (" in output
    lines = output.splitlines()
    assert f"  datasheet    {root / 'releases' / 'demo' / 'datasheet.html'}" in lines
    predictions = root / "evaluation" / "nn-predictions.csv"
    assert f"  synsetdb --project {root} eval {predictions} --release demo" in lines  # unwrapped
    assert "  (first: pip install 'synsetdb[web]', or pip install '.[web]' in a clone)" in lines
    # The summary ends with the one command that opens the explorer on the demo.
    assert lines[-1] == (
        f"  synsetdb --project {root} serve --anonymous-browse    # then open http://127.0.0.1:8000/"
    )


_WITHOUT_EXTRAS = """
import sys
from pathlib import Path


class _Absent:  # as if the extras were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"sklearn", "skimage", "torch", "cv2", "threadpoolctl"}:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None


sys.meta_path.insert(0, _Absent())
from synsetdb.demo import DemoConfig, run_demo

result = run_demo(Path(sys.argv[1]), DemoConfig(ingest_workers=0), bundle=Path(sys.argv[2]))
print(" ".join(step.name for step in result.steps))
print("pyplot" if "matplotlib.pyplot" in sys.modules else "no pyplot")
"""


def test_the_demo_needs_only_the_core_dependencies(tmp_path: Path) -> None:
    """No scikit-learn, scikit-image, torch or OpenCV: NN voting and the rest still run."""
    bundle = _small_bundle(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_EXTRAS, str(tmp_path / "demo"), str(bundle)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:2] == [
        "project ingest verify duplicates release export baseline+eval audit",
        "no pyplot",
    ]


def test_the_audit_finds_what_was_planted_in_the_demo_and_nothing_else(
    demo_runs: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """One problem of each family planted in a copy of the demo: the audit finds those."""
    from synsetdb.audit import FAMILIES, AuditConfig, get_check, run_audit
    from tests.demo import _planted

    root = tmp_path / "demo"
    shutil.copytree(demo_runs[0], root)

    def found() -> set[tuple[str, str]]:
        project = Project.open(root)
        try:
            report = run_audit(project, AuditConfig())
        finally:
            project.close()
        return {(f.code, f.key) for result in report.results for f in result.findings}

    assert found() == set()  # the demo as it is: nothing to report
    scratch = tmp_path / "planted"
    project = Project.open(root)
    try:
        planted = _planted.tiny_class(root, scratch)
        planted |= _planted.person_class(root, scratch, project)
        planted |= _planted.relabelled_copy(root, scratch, project)
        planted |= _planted.corrupt_blob(project)
        planted |= _planted.accepted_against_votes(project)
        planted |= _planted.spammer(project)
    finally:
        project.close()

    assert {get_check(code).family for code, _ in planted} == set(FAMILIES)
    assert found() == planted


# --------------------------------------------------------------------------- bad input


def _small_bundle(tmp_path: Path, per_class: int = 6) -> Path:
    """A copy of the bundle with ``per_class`` images of each of its first four synsets."""
    source = Path(str(bundle_root()))
    target = tmp_path / "bundle"
    rows = list(csv.DictReader((source / "items.csv").open(encoding="utf-8")))
    wnids = sorted({r["wnid"] for r in rows})[:4]
    kept = [r for w in wnids for r in [r for r in rows if r["wnid"] == w][:per_class]]
    for row in kept:
        (target / row["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / row["path"], target / row["path"])
    with (target / "items.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    return target


@pytest.fixture
def demo_project(wordnet_project: Path) -> Path:
    """A demo folder whose project exists already (saves the WordNet load)."""
    (wordnet_project / "demo.json").write_text('{"seed": 2009}\n')
    return wordnet_project


def test_a_folder_holding_something_else_is_refused_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes")
    code, output = _demo(folder)
    assert code == 1 and "[E_DEMO_DIR]" in output and "Traceback" not in output
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("marker", "message"),
    [('{"seed": 7}\n', "made with seed 7"), ("{not json", "is damaged"), ("[]", "is damaged")],
)
def test_a_demo_folder_of_another_seed_is_refused_untouched(
    demo_project: Path, marker: str, message: str
) -> None:
    (demo_project / "demo.json").write_text(marker)
    before = sorted(p.name for p in demo_project.iterdir())
    code, output = _demo(demo_project)
    assert code == 1 and "[E_DEMO_DIR]" in output and message in output
    assert sorted(p.name for p in demo_project.iterdir()) == before
    project = Project.open(demo_project)
    assert project.catalog.stats().images == 0
    project.close()


def test_a_tampered_bundle_image_is_refused(demo_project: Path, tmp_path: Path) -> None:
    bundle = _small_bundle(tmp_path)
    victim = sorted((bundle / "images").rglob("*.jpg"))[-1]  # the last one ingest would read
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(DemoError) as caught:
        run_demo(demo_project, DemoConfig(ingest_workers=0), bundle=bundle)
    assert caught.value.code == "E_BUNDLE" and victim.name in str(caught.value)
    project = Project.open(demo_project)
    assert project.catalog.stats().images == 0  # checked before anything was ingested
    project.close()


def test_a_bundle_synset_wordnet_lacks_is_refused(demo_project: Path, tmp_path: Path) -> None:
    bundle = _small_bundle(tmp_path)
    listing = bundle / "items.csv"
    listing.write_text(listing.read_text().replace(",n0", ",n9", 1), encoding="utf-8")
    with pytest.raises(SynsetdbError) as caught:
        run_demo(demo_project, DemoConfig(ingest_workers=0), bundle=bundle)
    assert caught.value.code == "E_UNKNOWN_SYNSET"
    project = Project.open(demo_project)
    assert project.catalog.stats().images == 0
    project.close()


@pytest.mark.parametrize("damage", ["missing", "a folder"])
def test_a_bundle_image_gone_is_refused_before_the_folder_is_made(
    tmp_path: Path, damage: str
) -> None:
    bundle = _small_bundle(tmp_path)
    victim = sorted((bundle / "images").rglob("*.jpg"))[-1]
    victim.unlink()
    if damage == "a folder":
        victim.mkdir()
    target = tmp_path / "demo"
    code, output = _demo(target, "--bundle", str(bundle))
    assert code == 1 and "[E_BUNDLE]" in output and victim.name in output
    assert "Traceback" not in output and not target.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("path,wnid\nimages/a.jpg,n02084071\n", "expected the columns"),
        (
            "path,wnid,label,source,title,author,licence,origin,sha256\n"
            "images/a.jpg,n02084071,dog,noto,,x,MIT,y,00\n",
            "line 2: an empty field",
        ),
        ("path,wnid,label,source,title,author,licence,origin,sha256\n", "lists no images"),
        (
            "path,wnid,label,source,title,author,licence,origin,sha256\n"
            "../../etc/passwd,n02084071,dog,noto,t,x,MIT,y,00\n",
            "line 2: '../../etc/passwd' is not a path inside the bundle",
        ),
        (b"\xff\xfe\x00junk", "cannot read"),
    ],
)
def test_a_malformed_bundle_list_is_refused(
    tmp_path: Path, text: str | bytes, message: str
) -> None:
    listing = tmp_path / "items.csv"
    if isinstance(text, bytes):
        listing.write_bytes(text)
    else:
        listing.write_text(text)
    with pytest.raises(DemoError, match=message) as caught:
        load_bundle(tmp_path)
    assert caught.value.code == "E_BUNDLE"


def test_a_changed_catalog_never_alters_the_demo_release(
    demo_project: Path, tmp_path: Path
) -> None:
    bundle = _small_bundle(tmp_path, per_class=5)
    run_demo(demo_project, DemoConfig(ingest_workers=0), bundle=bundle)
    manifest = (demo_project / "releases" / "demo" / "manifest.json").read_bytes()
    bigger = _small_bundle(tmp_path / "more", per_class=6)
    with pytest.raises(DemoError) as caught:
        run_demo(demo_project, DemoConfig(ingest_workers=0), bundle=bigger)
    assert caught.value.code == "E_DEMO_CHANGED"
    assert (demo_project / "releases" / "demo" / "manifest.json").read_bytes() == manifest


# --------------------------------------------------------------------------- parts


def test_every_synset_gets_unrelated_noise(wordnet: Taxonomy) -> None:
    bundle = load_bundle()
    proposals = propose(bundle, wordnet, noise=0.3, seed=7)
    assert proposals == propose(bundle, wordnet, noise=0.3, seed=7)
    assert proposals != propose(bundle, wordnet, noise=0.3, seed=8)
    wrong = [p for p in proposals if not p.shows_synset]
    own = Counter(item.wnid for item in bundle)
    assert Counter(p.wnid for p in wrong) == {w: max(1, round(0.3 * n)) for w, n in own.items()}
    for p in wrong:
        assert not wordnet.is_a(p.item.wnid, p.wnid) and not wordnet.is_a(p.wnid, p.item.wnid)
    assert len({p.key for p in proposals}) == len(proposals)  # ingest keys are unique


def test_a_simulated_worker_is_right_as_often_as_its_accuracy() -> None:
    worker = SimulatedWorker("w", 0.8)
    right = [_is_correct(worker, f"{i:064x}", "n02084071", seed=1) for i in range(4000)]
    assert 0.78 < sum(right) / len(right) < 0.82
    assert right == [_is_correct(worker, f"{i:064x}", "n02084071", seed=1) for i in range(4000)]


@pytest.mark.parametrize(
    "bad",
    [{"seed": -1}, {"noise": 0.0}, {"workers": 0}, {"controls": 11}, {"val_share": 1.0}],
)
def test_demo_options_out_of_range_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as caught:
        DemoConfig(**bad)
    assert caught.value.code == "E_CONFIG" and next(iter(bad)) in str(caught.value)


def test_a_negative_seed_on_the_command_line_is_refused(tmp_path: Path) -> None:
    code, output = _demo(tmp_path / "demo", "--seed", "-3")
    assert code != 0 and "E_CONFIG" in output and "Traceback" not in output
    assert not (tmp_path / "demo").exists()
