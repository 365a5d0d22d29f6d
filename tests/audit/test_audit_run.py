"""The audit registry and runner: selection, options, reviews, storage, the CLI's exit status."""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from synsetdb.audit import (
    AuditConfig,
    AuditContext,
    Finding,
    code_counts,
    explain,
    get_check,
    list_findings,
    registry,
    review_finding,
    run_audit,
    select_checks,
)
from synsetdb.catalog import ImageRecord, Project
from synsetdb.cli import cli
from synsetdb.errors import AuditError, ConfigError

CAT, DOG = "n02121620", "n02084071"
registry_module = importlib.import_module("synsetdb.audit.registry")


def _image(project: Project, name: str, source: str | None, licence: str | None) -> str:
    sha = hashlib.sha256(name.encode()).hexdigest()
    project.catalog.add_image(
        ImageRecord(
            id=sha,
            width=64,
            height=48,
            format="JPEG",
            byte_size=10,
            blob_key=sha,
            source=source,
            licence=licence,
        )
    )
    return sha


@pytest.fixture
def project(wordnet_project: Path) -> Iterator[Project]:
    """Three accepted images: two from a source without licences, one licensed; one candidate."""
    opened = Project.open(wordnet_project)
    for name, source, licence, wnid in (
        ("a", "scrape", None, CAT),
        ("b", "scrape", None, DOG),
        ("c", "flickr", "CC-BY-4.0", DOG),
    ):
        opened.catalog.add_candidate(_image(opened, name, source, licence), wnid, status="accepted")
    # Not in scope: only a candidate.
    opened.catalog.add_candidate(_image(opened, "d", None, None), CAT)
    yield opened
    opened.close()


@pytest.fixture
def planted_error_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error-level check (test-only) that finds one thing per accepted cat image."""

    def cats(ctx: AuditContext) -> Iterator[Finding]:
        """Every accepted cat, as an error (a test's rule)."""
        for image_id in ctx.catalog.images_under(CAT, statuses=("accepted",)):
            yield Finding(
                "TST001", ctx.release_key(image_id), f"cat {image_id[:8]}", image=image_id
            )

    monkeypatch.setattr(registry_module, "_CHECKS", dict(registry_module._CHECKS))
    registry_module.check("TST001", "every-cat", family="labels", level="error", summary="cats")(
        cats
    )


def test_selection_by_code_prefix_family_and_name() -> None:
    codes = lambda checks: [c.code for c in checks]  # noqa: E731
    assert codes(select_checks(["LIC001"])) == ["LIC001"]
    assert codes(select_checks(["LIC"])) == ["LIC001", "LIC002"]
    assert codes(select_checks(["licences"])) == ["LIC001", "LIC002"]
    assert codes(select_checks(["licence-outside-policy"])) == ["LIC002"]
    assert codes(select_checks(["LIC001,LIC002"], ["LIC002"])) == ["LIC001"]
    assert len(select_checks()) == len(registry())
    with pytest.raises(AuditError) as raised:
        select_checks(["NOPE9"])
    assert raised.value.code == "E_AUDIT_CODE"


def test_every_shipped_check_is_documented_with_a_known_family_and_level() -> None:
    for check in registry().values():
        assert check.doc and check.summary, check.code
        assert check.code[:3].isalpha() and check.code[3:].isdigit()
        text = explain(check.code)
        assert text.startswith(f"{check.code} {check.name} ({check.family}, {check.level})")
    with pytest.raises(AuditError):
        get_check("XYZ999")


def test_findings_are_stored_counted_and_scoped_to_accepted_images(project: Project) -> None:
    report = run_audit(project, AuditConfig(select=("LIC001",)))
    (result,) = report.results
    assert [f.key for f in result.findings] == ["source:scrape"]
    assert result.findings[0].evidence["images"] == 2  # the candidate-only image is out of scope
    assert report.ok  # a warning does not fail
    (count,) = code_counts(project.catalog, "")
    assert (count.code, count.found, count.open, count.skipped) == ("LIC001", 1, 1, None)


def test_options_come_from_settings_then_the_run(project: Project) -> None:
    report = run_audit(project, AuditConfig(select=("LIC002",)))
    assert report.results[0].skipped and "no licence policy" in report.results[0].skipped
    overrides = {"LIC002": {"allowed": ["cc0-1.0"]}}
    report = run_audit(project, AuditConfig(select=("LIC002",), options=overrides))
    assert [f.key for f in report.results[0].findings] == ["licence:CC-BY-4.0"]
    assert not report.ok  # an error-level finding nobody reviewed
    allowed = {"LIC002": {"allowed": ["cc-by-4.0"]}}
    assert run_audit(project, AuditConfig(select=("LIC002",), options=allowed)).ok


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"LIC002": {"alowed": []}}, "has no option 'alowed'"),
        ({"LIC002": {"allowed": "cc0"}}, "must be list"),
    ],
)
def test_bad_options_name_the_code_and_option(
    project: Project, options: dict[str, dict[str, object]], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        run_audit(project, AuditConfig(select=("LIC002",), options=options))


def test_a_review_is_kept_across_runs_and_covers_only_its_own_thing(
    project: Project, planted_error_check: None
) -> None:
    report = run_audit(project, AuditConfig(select=("TST001",)))
    (finding,) = report.results[0].findings
    assert not report.ok
    review_finding(
        project.catalog, finding.fingerprint[:10], "dismissed", actor="ada", reason="a lynx"
    )
    report = run_audit(project, AuditConfig(select=("TST001",)))
    assert report.ok and report.review_of(finding) is not None
    # A second cat: a new finding, open, and the audit fails again.
    project.catalog.add_candidate(_image(project, "e", "scrape", None), CAT, status="accepted")
    report = run_audit(project, AuditConfig(select=("TST001",)))
    assert len(report.results[0].findings) == 2
    assert [f.key for f in report.open_findings(report.results[0])] != [finding.key]
    assert not report.ok
    stored, total = list_findings(project.catalog, "", codes=["TST001"], state="reviewed")
    assert total == 1 and stored[0].review is not None and stored[0].review.reason == "a lynx"


def test_reviews_refuse_what_they_cannot_name(project: Project) -> None:
    run_audit(project, AuditConfig(select=("LIC001",)))
    with pytest.raises(AuditError) as raised:
        review_finding(project.catalog, "0123456789", "accepted", actor="ada")
    assert raised.value.code == "E_AUDIT_FINDING"
    (stored,), _ = list_findings(project.catalog, "")
    with pytest.raises(AuditError) as raised:
        review_finding(project.catalog, stored.fingerprint, "dismissed", actor="ada")
    assert raised.value.code == "E_AUDIT_REASON"
    with pytest.raises(AuditError):
        review_finding(project.catalog, "zz", "accepted", actor="ada")


def test_a_rerun_replaces_only_the_checks_it_ran(project: Project) -> None:
    run_audit(project, AuditConfig(select=("LIC",), options={"LIC002": {"allowed": ["x"]}}))
    assert {c.code: c.found for c in code_counts(project.catalog, "")} == {"LIC001": 1, "LIC002": 1}
    run_audit(
        project, AuditConfig(select=("LIC002",), options={"LIC002": {"allowed": ["cc-by-4.0"]}})
    )
    assert {c.code: c.found for c in code_counts(project.catalog, "")} == {"LIC001": 1, "LIC002": 0}


def test_cli_exit_status_json_and_review(wordnet_project: Path, project: Project) -> None:
    runner = CliRunner()
    base = ["--project", str(wordnet_project), "audit"]
    ok = runner.invoke(cli, [*base, "--select", "LIC001"])
    assert ok.exit_code == 0, ok.output
    assert "LIC001" in ok.output and "source scrape: 2 image(s)" in ok.output
    failed = runner.invoke(
        cli, [*base, "--select", "LIC002", "--option", 'LIC002.allowed=["cc0"]', "--json"]
    )
    assert failed.exit_code == 1
    data = json.loads(failed.output)
    assert data["ok"] is False and data["checks"][0]["open"] == 1
    fingerprint = data["findings"][0]["fingerprint"]
    reviewed = runner.invoke(cli, [*base, "review", fingerprint[:8], "--accept", "--by", "ada"])
    assert reviewed.exit_code == 0, reviewed.output
    again = runner.invoke(cli, [*base, "--select", "LIC002", "--option", 'LIC002.allowed=["cc0"]'])
    assert again.exit_code == 0, again.output
    listed = runner.invoke(cli, [*base, "findings", "--reviewed", "--json"])
    assert json.loads(listed.output)["findings"][0]["review"]["actor"] == "ada"
    unknown = runner.invoke(cli, [*base, "--select", "nothing-like-it"])
    assert unknown.exit_code == 1 and "E_AUDIT_CODE" in unknown.output
    explained = runner.invoke(cli, [*base, "--explain", "LIC002"])
    assert "[audit.LIC002]" in explained.output


def test_a_release_scope_that_does_not_exist_is_refused(project: Project) -> None:
    with pytest.raises(Exception) as raised:
        run_audit(project, AuditConfig(release="v9"))
    assert getattr(raised.value, "code", None) == "E_NO_RELEASE"
