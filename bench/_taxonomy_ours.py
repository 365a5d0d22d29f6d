"""synsetdb's side of bench/taxonomy.py, run in a fresh process by it.

Reads a JSON request on stdin and prints a JSON result on stdout:

- ``{"mode": "load"}``: time ``import synsetdb.hierarchy`` (and numpy, which
  ``Taxonomy.wordnet()`` imports lazily) and then ``Taxonomy.wordnet()``.
- ``{"mode": "run", "seed": S, "lca_calls": N, "agree_pairs": M, "desc_repeats": R}``:
  load, ``descendants(entity)`` (first call, then the median of R more),
  N seeded random pairs through ``lca_many`` (one vectorised call) and through
  N ``lca`` calls (first calls timed apart: they build the closure),
  peak RSS, and the answers for the first M pairs for the agreement check.
"""

from __future__ import annotations

import statistics
from time import perf_counter
from typing import TYPE_CHECKING, Any

from _measure import (
    ENTITY,
    digest,
    peak_rss_mb,
    random_pairs,
    read_request,
    rss_mb,
    write_result,
)

if TYPE_CHECKING:
    from synsetdb.hierarchy import Taxonomy


def import_and_load() -> tuple[Taxonomy, dict[str, Any]]:
    """Import what ``Taxonomy.wordnet()`` needs, then load; both timed."""
    t0 = perf_counter()
    import numpy  # noqa: F401  (imported lazily by the loader; counted as import, not load)

    from synsetdb.hierarchy import Taxonomy

    t1 = perf_counter()
    rss_imported = rss_mb()
    tax = Taxonomy.wordnet()
    t2 = perf_counter()
    timings = {
        "import_s": t1 - t0,
        "load_s": t2 - t1,
        "rss_after_import_mb": rss_imported,
        "rss_after_load_mb": rss_mb(),
        "synsets": len(tax),
    }
    return tax, timings


def measure_descendants(tax: Taxonomy, repeats: int) -> dict[str, Any]:
    """``descendants(entity)``: the first call (builds the child lists) and warm calls."""
    t0 = perf_counter()
    found = tax.descendants(ENTITY)
    first = perf_counter() - t0
    warm = []
    for _ in range(repeats):
        t0 = perf_counter()
        tax.descendants(ENTITY)
        warm.append(perf_counter() - t0)
    return {
        "first_s": first,
        "warm_s": statistics.median(warm) if warm else None,
        "count": len(found),
        "digest": digest(found),
    }


def measure_lca(tax: Taxonomy, left: list[str], right: list[str]) -> dict[str, Any]:
    """Time the first ``lca`` call apart; then all pairs through ``lca_many`` and ``lca``."""
    lca = tax.lca
    t0 = perf_counter()
    lca(left[0], right[0])
    first = perf_counter() - t0
    t0 = perf_counter()
    tax.lca_many(left[:1], right[:1])  # packs the closure for NumPy once
    batch_first = perf_counter() - t0
    t0 = perf_counter()
    batch = tax.lca_many(left, right)
    batch_total = perf_counter() - t0
    t0 = perf_counter()
    for a, b in zip(left, right, strict=True):
        lca(a, b)
    total = perf_counter() - t0
    same = all(lca(a, b) == x for a, b, x in zip(left, right, batch, strict=True))
    return {
        "first_call_s": first,
        "batch_first_call_s": batch_first,
        "calls": len(left),
        "batch_s": batch_total,
        "loop_s": total,
        "batch_equals_loop": same,
    }


def lca_answers(tax: Taxonomy, left: list[str], right: list[str]) -> list[list[Any]]:
    """Per pair: [a, b, lca, the lowest common ancestors of greatest longest depth]."""
    answers: list[list[Any]] = []
    for a, b in zip(left, right, strict=True):
        lowest = tax.lcas(a, b)
        longest = {x: tax.depth(x).longest for x in lowest}
        deepest = max(longest.values())
        answers.append([a, b, tax.lca(a, b), sorted(x for x in lowest if longest[x] == deepest)])
    return answers


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Load, descendants, the LCA loop, peak memory, then the agreement answers."""
    tax, load = import_and_load()
    descendants = measure_descendants(tax, request["desc_repeats"])
    left, right = random_pairs(tax.wnids, request["lca_calls"], request["seed"])
    lca = measure_lca(tax, left, right)
    peak = peak_rss_mb()
    m = request["agree_pairs"]
    return {
        "load": load,
        "descendants": descendants,
        "lca": lca,
        "peak_rss_mb": peak,
        "answers": lca_answers(tax, left[:m], right[:m]),
    }


def main() -> None:
    """Dispatch on the request's mode."""
    request = read_request()
    if request["mode"] == "load":
        write_result(import_and_load()[1])
    else:
        write_result(run(request))


if __name__ == "__main__":
    main()
