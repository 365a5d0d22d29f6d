"""``synsetdb demo``: the whole pipeline on the bundled sample, in one project folder.

ingest → simulated crowd verification → near-duplicate groups for the
explorer → a release and its datasheet → an ILSVRC-layout export → the
NN-voting baseline → evaluation. Each stage is the
library's own public API, the same code the other commands run; each is
idempotent, so a second run finds everything done and changes nothing.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from ..catalog import Project
from ..errors import ConfigError, DemoError
from ..release import FilterSpec, Release, ReleaseSpec, SelectionSpec, SplitConfig
from ..verify.tasks import TaskConfig
from .crowd import default_workers, label_candidates
from .sample import BundleSource, Proposal, bundle_root, check_bundle, load_bundle, propose

__all__ = ["RELEASE_NAME", "DemoConfig", "DemoResult", "StepResult", "run_demo"]

log = logging.getLogger(__name__)

RELEASE_NAME = "demo"
MARKER = "demo.json"  # written into the project: only a demo project is ever reused
# The demo's classes hold 5 to 7 images by design (its release spec asks for 3):
# the audit's tiny-class threshold follows the spec, not a real dataset's 10.
AUDIT_SETTINGS = """
[audit.BAL002]
# The demo's classes hold 5 to 7 images by design; its release asks for 3.
min_images = 3
"""


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """The demo's choices; the defaults are what ``synsetdb demo`` runs.

    Attributes:
        seed: every random choice (noise proposals, answers, splits) follows from it.
        noise: wrong proposals per image, as a web search would return them.
        workers: simulated crowd workers. No one sees an image twice, controls
            included, so a small sample needs more workers than its seed votes.
        controls: hidden positive and negative controls per batch (each).
        val_share: the share of each class held out for validation.
        neighbours: k of the NN-voting baseline.
        ingest_workers: ingest processes (None: one more than the cores).
    """

    seed: int = 2009
    noise: float = 0.3
    workers: int = 40
    controls: int = 1
    val_share: float = 0.3
    neighbours: int = 10
    ingest_workers: int | None = None

    def __post_init__(self) -> None:
        problems = [
            f"{name} {value!r} is out of range ({allowed})"
            for name, value, ok, allowed in (
                ("seed", self.seed, self.seed >= 0, ">= 0"),
                ("noise", self.noise, 0 < self.noise <= 1, "in (0, 1]"),
                ("workers", self.workers, self.workers >= 1, ">= 1"),
                ("controls", self.controls, 0 <= self.controls <= 10, "0 to 10"),
                ("val_share", self.val_share, 0 < self.val_share < 1, "in (0, 1)"),
                ("neighbours", self.neighbours, self.neighbours >= 1, ">= 1"),
            )
            if not ok
        ]
        if problems:
            raise ConfigError("demo: " + "; ".join(problems), code="E_CONFIG")


@dataclass(frozen=True, slots=True)
class StepResult:
    """One stage: its name, a line saying what it did, its numbers, how long it took."""

    name: str
    summary: str
    details: Mapping[str, Any]
    elapsed_s: float


@dataclass(slots=True)
class DemoResult:
    """Every stage's result and where its files are."""

    project: Path
    steps: list[StepResult] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the project, each step's summary and numbers, the files made."""
        return {
            "project": str(self.project),
            "steps": [
                {"name": s.name, "summary": s.summary, "elapsed_s": s.elapsed_s, **s.details}
                for s in self.steps
            ],
            "paths": {name: str(path) for name, path in self.paths.items()},
        }


StepFn = Callable[[StepResult], None]


def run_demo(
    directory: Path,
    config: DemoConfig | None = None,
    on_step: StepFn | None = None,
    *,
    bundle: Traversable | None = None,
) -> DemoResult:
    """Build the demo dataset in ``directory`` (created, or a demo project from an earlier run).

    ``on_step`` is called as each stage finishes; ``bundle`` is another folder
    laid out like the bundled sample (``items.csv``, ``images/``).

    Raises:
        DemoError: ``E_DEMO_DIR`` when ``directory`` holds something else;
            ``E_BUNDLE`` when the bundled sample is damaged (checked whole
            before ``directory`` is touched).
    """
    config = config or DemoConfig()
    run = _DemoRun(directory, config, on_step or (lambda _step: None), bundle or bundle_root())
    return run.execute()


class _DemoRun:
    def __init__(
        self, directory: Path, config: DemoConfig, on_step: StepFn, bundle: Traversable
    ) -> None:
        self.config, self.on_step = config, on_step
        self.result = DemoResult(directory.resolve())
        self.bundle_root = bundle
        self.bundle = load_bundle(bundle)
        check_bundle(bundle, self.bundle)  # a damaged bundle stops the demo before it makes a thing
        self.proposals: list[Proposal] = []

    def execute(self) -> DemoResult:
        """Every stage in order, the project closed whatever happens."""
        project = self._step("project", self._project)
        try:
            self._step("ingest", lambda: self._ingest(project))
            self._step("verify", lambda: self._verify(project))
            self._step("duplicates", lambda: self._duplicates(project))
            release = self._step("release", lambda: self._release(project))
            self._step("export", lambda: self._export(project, release))
            self._step("baseline+eval", lambda: self._baseline(project, release))
            self._step("audit", lambda: self._audit(project))
        finally:
            project.close()
        return self.result

    def _step(self, name: str, work: Callable[[], tuple[Any, str, dict[str, Any]]]) -> Any:
        started = time.perf_counter()
        value, summary, details = work()
        step = StepResult(name, summary, details, round(time.perf_counter() - started, 2))
        self.result.steps.append(step)
        log.info("demo %s: %s", name, summary)
        self.on_step(step)
        return value

    # ------------------------------------------------------------------ stages

    def _project(self) -> tuple[Project, str, dict[str, Any]]:
        root = self.result.project
        marker = root / MARKER
        if marker.exists():
            self._check_marker(marker)
            project = Project.open(root)
            return project, f"reusing the demo project {root}", {"created": False}
        if root.exists() and any(root.iterdir()):
            raise DemoError(
                f"{root} exists and is not a demo project; give the demo an empty or new folder",
                code="E_DEMO_DIR",
            )
        project = Project.init(root)
        with (root / "synsetdb.toml").open("a", encoding="utf-8") as settings:
            settings.write(AUDIT_SETTINGS)
        project.close()
        project = Project.open(root)  # with the audit settings just written
        marker.write_text(json.dumps({"seed": self.config.seed}) + "\n", encoding="utf-8")
        return (
            project,
            f"created {root} (SQLite catalog, local blobs, WordNet 3.0)",
            {"created": True},
        )

    def _check_marker(self, marker: Path) -> None:
        """The folder's demo was made with this seed: another would change its release."""
        try:
            seed = json.loads(marker.read_text(encoding="utf-8"))["seed"]
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise DemoError(
                f"{marker} is damaged ({exc}); use a new folder", code="E_DEMO_DIR"
            ) from exc
        if seed != self.config.seed:
            raise DemoError(
                f"{marker.parent} holds the demo made with seed {seed}; run it with --seed "
                f"{seed}, or give seed {self.config.seed} a new folder",
                code="E_DEMO_DIR",
            )

    def _ingest(self, project: Project) -> tuple[None, str, dict[str, Any]]:
        from ..ingest import IngestConfig, ingest

        self.proposals = propose(
            self.bundle, project.taxonomy, noise=self.config.noise, seed=self.config.seed
        )
        source = BundleSource(self.proposals, self.bundle_root)
        report = ingest(project, source, IngestConfig(workers=self.config.ingest_workers))
        wnids = {item.wnid for item in self.bundle}
        details = {
            "images": len(self.bundle),
            "synsets": len(wnids),
            "proposals": len(self.proposals),
            **report.to_dict(),
        }
        summary = (
            f"{len(self.bundle)} images of {len(wnids)} synsets from "
            f"{len({i.source for i in self.bundle})} sources, proposed {len(self.proposals)} times "
            f"(search noise included): {report.added} added, {report.duplicate} duplicate, "
            f"{report.rejected} rejected, {report.skipped} done before"
        )
        return None, summary, details

    def _verify(self, project: Project) -> tuple[None, str, dict[str, Any]]:
        truth = {(p.item.sha256, p.wnid): p.shows_synset for p in self.proposals}
        workers = default_workers(self.config.workers)
        crowd = label_candidates(
            project.catalog, truth, workers, seed=self.config.seed, config=self._tasks()
        )
        stats = project.catalog.stats()
        scored = _decision_quality(project, truth)
        details = {"tasks": crowd.tasks, "votes": crowd.votes, **stats.candidates, **scored}
        summary = (
            f"{crowd.workers} simulated workers voted {crowd.votes} times in {crowd.tasks} "
            f"batches; dynamic consensus accepted {stats.candidates['accepted']}, rejected "
            f"{stats.candidates['rejected']}, left {stats.candidates['undecided']} undecided "
            f"(precision {scored['precision']:.3f}, recall {scored['recall']:.3f} "
            f"against the bundle's truth)"
        )
        return None, summary, details

    def _duplicates(self, project: Project) -> tuple[None, str, dict[str, Any]]:
        from ..ingest.dedupe import store_catalog_duplicates

        stored = store_catalog_duplicates(project.catalog, blobs=project.blobs)
        summary = (
            f"{stored.groups} near-duplicate groups among {stored.images} images "
            f"(radius {stored.radius}), stored for the explorer"
        )
        return None, summary, {"groups": stored.groups, "images": stored.images}

    def _tasks(self) -> TaskConfig:
        controls = self.config.controls
        return TaskConfig(batch_size=24, positive_controls=controls, negative_controls=controls)

    def _release(self, project: Project) -> tuple[Release, str, dict[str, Any]]:
        from .release_step import demo_release

        release, created = demo_release(project, self._spec())
        folder = project.releases_dir / RELEASE_NAME
        self.result.paths["datasheet"] = folder / "datasheet.html"
        counts = {s: len(release.manifest.items_in(s)) for s in release.manifest.splits}
        verb = "created" if created else "unchanged:"
        summary = (
            f"{verb} release {RELEASE_NAME!r}: {len(release.manifest.classes)} classes, "
            + ", ".join(f"{n} {s}" for s, n in counts.items())
            + f" (sha256 {release.sha256[:12]}…)"
        )
        return release, summary, {"sha256": release.sha256, "splits": counts, "created": created}

    def _spec(self) -> ReleaseSpec:
        wnids = tuple(sorted({item.wnid for item in self.bundle}))
        return ReleaseSpec(
            selection=SelectionSpec(wnids=wnids, min_images=3),
            splits=SplitConfig(held_out=(("val", self.config.val_share),)),
            filters=FilterSpec(person=True),
            seed=self.config.seed,
            description="synsetdb demo: real third-party images (photographs and emoji "
            "artwork) verified by a simulated crowd",
        )

    def _export(self, project: Project, release: Release) -> tuple[None, str, dict[str, Any]]:
        from ..formats import ExportOptions, get_exporter

        out = self.result.project / "exports" / "ilsvrc"
        options = ExportOptions(taxonomy=project.taxonomy, workers=0)
        report = get_exporter("ilsvrc").export(release, out, options)
        self.result.paths["export"] = out
        summary = (
            f"ILSVRC layout in {out}: {report.files_written} files written, "
            f"{report.files_skipped} already there"
        )
        return None, summary, report.to_dict()

    def _baseline(self, project: Project, release: Release) -> tuple[None, str, dict[str, Any]]:
        from .baseline_step import baseline_and_evaluate

        folder = self.result.project / "evaluation"
        scores, paths = baseline_and_evaluate(release, folder, neighbours=self.config.neighbours)
        self.result.paths.update(paths)
        tree, top5 = scores["mistake_severity"], scores["top5_error"]
        summary = (
            f"NN voting (k={scores['k']}, 32×32) on val: top-1 error "
            f"{scores['top1_error']:.3f}, top-5 error "
            f"{'not computed' if top5 is None else f'{top5:.3f}'}, mistake "
            f"severity {'–' if tree is None else f'{tree:.2f}'}"
        )
        return None, summary, scores

    def _audit(self, project: Project) -> tuple[None, str, dict[str, Any]]:
        from ..audit import AuditConfig, run_audit

        report = run_audit(project, AuditConfig(release=RELEASE_NAME))
        rows = report.summary()
        found = {row["code"]: row["open"] for row in rows if row["open"]}
        ran = sum(1 for row in rows if not row["skipped"])
        listed = ", ".join(f"{code} {n}" for code, n in found.items()) or "nothing"
        verdict = "passed" if report.ok else "FAILED"
        summary = (
            f"{ran} checks on release {RELEASE_NAME!r} ({len(rows) - ran} skipped), "
            f"{verdict}; open findings: {listed}"
        )
        return None, summary, {"ok": report.ok, "checks": rows}


def _decision_quality(project: Project, truth: Mapping[tuple[str, str], bool]) -> dict[str, Any]:
    """Precision and recall of the crowd's accepted candidates against the bundle's truth."""
    from sqlalchemy import select

    from ..catalog import schema

    cand, syn = schema.candidate.c, schema.synset.c
    query = select(cand.image_id, syn.wnid).join_from(
        schema.candidate, schema.synset, syn.id == cand.synset_id
    )
    with project.catalog.engine.connect() as conn:
        rows = conn.execute(query.where(cand.status == "accepted"))
        accepted = {(image, wnid) for image, wnid in rows}
    positives = {pair for pair, shows in truth.items() if shows}
    true_accepted = len(accepted & positives)
    return {
        "precision": true_accepted / len(accepted) if accepted else 1.0,
        "recall": true_accepted / len(positives) if positives else 1.0,
    }
