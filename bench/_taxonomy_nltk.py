"""nltk's side of bench/taxonomy.py, run by it with the throwaway venv's python.

Needs only the standard library and nltk (never synsetdb or numpy). NLTK_DATA
must name the data root whose ``corpora/wordnet`` is ``root``: nltk 3.10's path
sandbox refuses to read anywhere else ("Security Violation").

Reads a JSON request on stdin and prints a JSON result on stdout:

- ``{"mode": "load", "root": DIR}``: time ``import nltk`` and the reader's
  construction, ``WordNetCorpusReader(DIR, None)``.
- ``{"mode": "run", "root": DIR, "pairs": [[a, b], ...], "lca_pairs": N,
  "agree_pairs": M, "desc_repeats": R}``: load; the transitive hyponym closure
  of entity (first call, then the median of R more); two timed passes of
  ``lowest_common_hypernyms`` over the first N pairs (the first fills nltk's
  per-synset caches, the second runs on them); peak RSS; and the answers for
  the first M pairs.
"""

from __future__ import annotations

import statistics
import warnings
from time import perf_counter
from typing import Any

from _measure import ENTITY, digest, peak_rss_mb, read_request, write_result


def import_and_load(root: str) -> tuple[Any, dict[str, Any]]:
    """Import nltk's WordNet reader, then construct it on ``root``; both timed."""
    warnings.simplefilter("ignore")  # "multilingual functions are not available": no OMW here
    t0 = perf_counter()
    import nltk  # type: ignore[import-not-found, unused-ignore]
    from nltk.corpus.reader.wordnet import (  # type: ignore[import-not-found, unused-ignore]
        WordNetCorpusReader,
    )

    t1 = perf_counter()
    reader = WordNetCorpusReader(root, None)
    t2 = perf_counter()
    return reader, {"import_s": t1 - t0, "load_s": t2 - t1, "version": nltk.__version__}


def wnid_of(synset: Any) -> str:
    """ImageNet's id of an nltk noun synset."""
    return f"n{synset.offset():08d}"


def synset_of(reader: Any, wnid: str) -> Any:
    """nltk's noun synset for an ImageNet id."""
    return reader.synset_from_pos_and_offset("n", int(wnid[1:]))


def _hyponyms(synset: Any) -> list[Any]:
    return synset.hyponyms() + synset.instance_hyponyms()  # type: ignore[no-any-return]


def measure_descendants(entity: Any, repeats: int) -> dict[str, Any]:
    """The closure below entity: the first call parses every noun synset; then warm calls."""
    t0 = perf_counter()
    found = list(entity.closure(_hyponyms))
    first = perf_counter() - t0
    warm = []
    for _ in range(repeats):
        t0 = perf_counter()
        list(entity.closure(_hyponyms))
        warm.append(perf_counter() - t0)
    wnids = [wnid_of(s) for s in found]
    return {
        "first_s": first,
        "warm_s": statistics.median(warm) if warm else None,
        "count": len(set(wnids)),
        "digest": digest(set(wnids)),
    }


def time_lca_pass(left: list[Any], right: list[Any]) -> float:
    """Seconds for one ``lowest_common_hypernyms`` call per pair."""
    t0 = perf_counter()
    for a, b in zip(left, right, strict=True):
        a.lowest_common_hypernyms(b)
    return perf_counter() - t0


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Load, descendants, two LCA passes, peak memory, then the agreement answers."""
    reader, load = import_and_load(request["root"])
    descendants = measure_descendants(synset_of(reader, ENTITY), request["desc_repeats"])
    # Resolved outside the timing: nltk gets Synset objects, ours gets wnid strings.
    left = [synset_of(reader, a) for a, _ in request["pairs"]]
    right = [synset_of(reader, b) for _, b in request["pairs"]]
    n, m = request["lca_pairs"], request["agree_pairs"]
    cold = time_lca_pass(left[:n], right[:n])
    warm = time_lca_pass(left[:n], right[:n])
    peak = peak_rss_mb()
    answers = [
        sorted(wnid_of(s) for s in a.lowest_common_hypernyms(b))
        for a, b in zip(left[:m], right[:m], strict=True)
    ]
    return {
        "load": load,
        "descendants": descendants,
        "lca": {"calls": n, "cold_pass_s": cold, "warm_pass_s": warm},
        "peak_rss_mb": peak,
        "answers": answers,
    }


def main() -> None:
    """Dispatch on the request's mode."""
    request = read_request()
    if request["mode"] == "load":
        write_result(import_and_load(request["root"])[1])
    else:
        write_result(run(request))


if __name__ == "__main__":
    main()
