"""Audits of a catalog or a release: a registry of dataset checks keyed by code.

``run_audit`` runs the selected checks and stores their findings; people review
findings (accept or dismiss) and later runs respect those reviews. See
docs/audit.md for every code.
"""

from .context import AuditConfig, AuditContext, ReleaseScope
from .model import FAMILIES, LEVELS, Check, CheckSkipped, Finding, fingerprint
from .registry import check, explain, get_check, registry, select_checks
from .run import AuditReport, CheckResult, resolve_options, run_audit
from .store import (
    CodeCount,
    Review,
    StoredFinding,
    clear_review,
    code_counts,
    finding_counts_by_synset,
    findings_for_image,
    findings_for_synset,
    list_findings,
    review_finding,
    scopes,
)
from .versions import (
    VersionClass,
    VersionList,
    VersionRow,
    VersionsDiff,
    VersionsTable,
    Winter21Removal,
    diff_versions,
    version_lists,
    versions_table,
    winter21_removal,
)

__all__ = [
    "FAMILIES",
    "LEVELS",
    "AuditConfig",
    "AuditContext",
    "AuditReport",
    "Check",
    "CheckResult",
    "CheckSkipped",
    "CodeCount",
    "Finding",
    "ReleaseScope",
    "Review",
    "StoredFinding",
    "VersionClass",
    "VersionList",
    "VersionRow",
    "VersionsDiff",
    "VersionsTable",
    "Winter21Removal",
    "check",
    "clear_review",
    "code_counts",
    "diff_versions",
    "explain",
    "finding_counts_by_synset",
    "findings_for_image",
    "findings_for_synset",
    "fingerprint",
    "get_check",
    "list_findings",
    "registry",
    "resolve_options",
    "review_finding",
    "run_audit",
    "scopes",
    "select_checks",
    "version_lists",
    "versions_table",
    "winter21_removal",
]
