"""Running an audit: select the checks, run each, apply the reviews, store the findings."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..catalog import Project, schema
from ..errors import AuditError, ConfigError, NotFoundError
from . import store
from .context import AuditConfig, AuditContext, ReleaseScope
from .model import Check, CheckSkipped, Finding
from .registry import get_check, select_checks
from .store import Review

__all__ = ["AuditReport", "CheckResult", "run_audit"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one check did: its findings, or why it was skipped, and how long it took."""

    check: Check
    findings: tuple[Finding, ...]
    skipped: str | None
    seconds: float


@dataclass(frozen=True, slots=True)
class AuditReport:
    """Every check's result and the reviews that cover its findings."""

    scope: str  # "" for the catalog, else the release's name
    results: tuple[CheckResult, ...]
    reviews: Mapping[str, Review]

    def review_of(self, finding: Finding) -> Review | None:
        return self.reviews.get(finding.fingerprint)

    def open_findings(self, result: CheckResult) -> list[Finding]:
        return [one for one in result.findings if one.fingerprint not in self.reviews]

    @property
    def failed(self) -> list[CheckResult]:
        """The error-level checks with an open finding: they fail the audit."""
        return [
            result
            for result in self.results
            if result.check.level == "error" and self.open_findings(result)
        ]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> list[dict[str, Any]]:
        """One row per check: its counts (found, open, accepted, dismissed) or why skipped."""
        rows = []
        for result in self.results:
            statuses = [
                self.reviews[f.fingerprint].status
                for f in result.findings
                if f.fingerprint in self.reviews
            ]
            rows.append(
                {
                    "code": result.check.code,
                    "name": result.check.name,
                    "family": result.check.family,
                    "level": result.check.level,
                    "found": len(result.findings),
                    "open": len(result.findings) - len(statuses),
                    "accepted": statuses.count("accepted"),
                    "dismissed": statuses.count("dismissed"),
                    "skipped": result.skipped,
                    "seconds": round(result.seconds, 3),
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "scope": self.scope or None,
            "checks": self.summary(),
            "findings": [
                _finding_dict(one, result.check, self.review_of(one))
                for result in self.results
                for one in result.findings
            ],
        }


def _finding_dict(one: Finding, check: Check, review: Review | None) -> dict[str, Any]:
    return {
        "code": one.code,
        "level": check.level,
        "fingerprint": one.fingerprint,
        "key": one.key,
        "message": one.message,
        "action": one.action,
        "synset": one.synset,
        "image": one.image,
        "other_image": one.other_image,
        "split": one.split,
        "evidence": dict(one.evidence),
        "score": one.score,
        "review": review.to_dict() if review else None,
    }


def run_audit(project: Project, config: AuditConfig) -> AuditReport:
    """Run the selected checks on the catalog or one release and store what they find.

    Raises:
        AuditError: an unknown code in ``select``/``ignore`` (``E_AUDIT_CODE``).
        NotFoundError: no release of that name (``E_NO_RELEASE``).
        ConfigError: an option that no selected check has, or of the wrong type.
    """
    scope = _release_scope(project, config.release)
    checks = select_checks(config.select, config.ignore)
    options = resolve_options(checks, project.settings.audit, config.options)
    memo: dict[str, Any] = {}
    results = [
        _run_one(project, config, scope, check, options[check.code], memo) for check in checks
    ]
    fingerprints = (one.fingerprint for result in results for one in result.findings)
    reviews = store.reviews(project.catalog, fingerprints)
    if config.store:
        store.save_findings(
            project.catalog,
            scope.name if scope else "",
            [(r.check.code, r.check.level, r.findings, r.skipped) for r in results],
        )
    return AuditReport(scope.name if scope else "", tuple(results), reviews)


def _run_one(
    project: Project,
    config: AuditConfig,
    scope: ReleaseScope | None,
    check: Check,
    options: Mapping[str, Any],
    memo: dict[str, Any],
) -> CheckResult:
    started = time.perf_counter()
    if check.scope == "release" and scope is None:
        return CheckResult(check, (), "needs a release: run with --release NAME", 0.0)
    context = AuditContext(project, config, scope, check, options, memo)
    try:
        findings = _checked(check, list(check.function(context)))
    except CheckSkipped as skipped:
        return CheckResult(check, (), str(skipped), time.perf_counter() - started)
    log.info("%s: %d finding(s)", check.code, len(findings))
    return CheckResult(check, findings, None, time.perf_counter() - started)


def _checked(check: Check, findings: list[Finding]) -> tuple[Finding, ...]:
    """The findings, each under the check's code and with a key of its own (a bug otherwise)."""
    keys: set[str] = set()
    for one in findings:
        if one.code != check.code or one.key in keys:
            raise AuditError(
                f"check {check.code} returned a finding under {one.code} or key {one.key!r} twice",
                code="E_AUDIT_CHECK",
            )
        keys.add(one.key)
    return tuple(findings)


def resolve_options(
    checks: Sequence[Check],
    settings: Mapping[str, Any],
    overrides: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Each check's options: its defaults, then ``[audit.<CODE>]``, then ``overrides``.

    A value for an option the check does not have, or of another type than its
    default, is an error (``E_CONFIG``) naming the code and the option.
    """
    for code in (*settings, *overrides):
        get_check(code)  # E_AUDIT_CODE for a table naming no check
    resolved: dict[str, dict[str, Any]] = {}
    for check in checks:
        values = dict(check.options)
        for source, given in (("synsetdb.toml", settings), ("--option", overrides)):
            for name, value in dict(given.get(check.code, {})).items():
                values[name] = _option_value(check, name, value, source)
        resolved[check.code] = values
    return resolved


def _option_value(check: Check, name: str, value: Any, source: str) -> Any:
    if name not in check.options:
        known = ", ".join(check.options) or "none"
        raise ConfigError(
            f"{source}: {check.code} has no option {name!r} (its options: {known})",
            code="E_CONFIG",
        )
    default = check.options[name]
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if default is not None and type(value) is not type(default):
        raise ConfigError(
            f"{source}: {check.code}.{name} must be {type(default).__name__}, not {value!r}",
            code="E_CONFIG",
        )
    return value


def _release_scope(project: Project, name: str | None) -> ReleaseScope | None:
    if name is None:
        return None
    rel = schema.release
    with project.catalog.engine.connect() as conn:
        row = conn.execute(
            select(rel.c.id, rel.c.config, rel.c.parent_id).where(rel.c.name == name)
        ).first()
        parent = None
        if row is not None and row.parent_id is not None:
            parent = conn.execute(select(rel.c.name).where(rel.c.id == row.parent_id)).scalar_one()
    if row is None:
        raise NotFoundError(
            f"no release {name!r}; `synsetdb release list` shows them", code="E_NO_RELEASE"
        )
    return ReleaseScope(name, row.id, row.config or {}, parent)
