"""The admin page's reports, from :mod:`synsetdb.verify.report`, in the page's order."""

from __future__ import annotations

from ..catalog import Catalog
from ..verify.report import SynsetProgress, WorkerReport, verification_status, worker_quality

__all__ = ["SynsetProgress", "WorkerReport", "synset_progress", "worker_quality"]


def synset_progress(catalog: Catalog) -> list[SynsetProgress]:
    """Every synset's progress, those with the most left to verify first.

    :func:`~synsetdb.verify.report.verification_status` without the
    confidence tables (a fit per synset is too dear for a page of all synsets).
    """
    rows = verification_status(catalog, tables=False)
    return sorted(rows, key=lambda r: (-r.candidate, -r.open_tasks, r.wnid))
