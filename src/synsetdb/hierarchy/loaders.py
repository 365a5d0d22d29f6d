"""Reading custom taxonomies from files.

Two formats:

* ImageNet's own: ``words.txt`` (``wnid<TAB>lemma, lemma, …``),
  ``wordnet.is_a.txt`` (``parent child`` per line) and optionally
  ``gloss.txt`` (``wnid<TAB>gloss``), as shipped with ImageNet-21k.
* A small YAML or JSON file::

      name: my-taxonomy
      extends: wordnet-3.0        # optional: add these synsets to WordNet
      synsets:
        - id: c00000001           # optional; a free custom id when absent
          lemmas: [sea glass]
          gloss: frosted glass found on beaches
          parents: [n03438257]

Every problem (duplicate ids, unknown parents, cycles, malformed lines) is a
``TaxonomyFileError`` naming the file and line.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..errors import TaxonomyFileError
from .synset import Synset, is_wordnet_id
from .taxonomy import Entry, Taxonomy

__all__ = ["load_imagenet_words", "load_taxonomy_file"]

_EXTENDABLE = {"wordnet-3.0", "wordnet"}


def load_imagenet_words(
    words: str | Path, is_a: str | Path, gloss: str | Path | None = None, *, name: str = "imagenet"
) -> Taxonomy:
    """Read ImageNet-style ``words.txt`` + ``wordnet.is_a.txt`` (+ ``gloss.txt``)."""
    lemmas_at = _read_tab_file(Path(words), "words")
    glosses = {}
    if gloss is not None:
        glosses = {w: text for w, (text, _) in _read_tab_file(Path(gloss), "gloss").items()}
    parents: dict[str, list[str]] = defaultdict(list)
    for line_no, fields in _lines(Path(is_a)):
        if len(fields) != 2:
            raise TaxonomyFileError(str(is_a), line_no, "expected 'parent child'", code="E_PARSE")
        parent, child = fields
        for wnid in (parent, child):
            if wnid not in lemmas_at:
                raise TaxonomyFileError(
                    str(is_a), line_no, f"{wnid!r} is not in {words}", code="E_UNKNOWN_PARENT"
                )
        parents[child].append(parent)
    entries = [
        Entry(
            Synset(
                wnid,
                tuple(_lemmas(text, words, line_no)),
                glosses.get(wnid, ""),
                tuple(parents[wnid]),
            ),
            str(words),
            line_no,
        )
        for wnid, (text, line_no) in lemmas_at.items()
    ]
    return Taxonomy.from_entries(entries, name=name)


def load_taxonomy_file(path: str | Path) -> Taxonomy:
    """Read the YAML/JSON taxonomy format described in this module's docstring."""
    path = Path(path)
    text = _read_text(path)
    data = _parse(path, text)
    if not isinstance(data, dict) or not isinstance(data.get("synsets"), list):
        raise TaxonomyFileError(
            str(path), 1, "expected a mapping with a 'synsets' list", code="E_PARSE"
        )
    lines = _item_lines(path, text, len(data["synsets"]))
    base = _base(path, data.get("extends"))
    name = str(data.get("name") or path.stem)
    given = {
        str(item["id"]) for item in data["synsets"] if isinstance(item, dict) and item.get("id")
    }
    free_ids = _free_ids(base, given)
    items = zip(data["synsets"], lines, strict=True)
    entries = [_entry(path, line, item, free_ids) for item, line in items]
    if base is not None:
        _check_new_ids(entries, base)
        return base.extended(entries, name=name)
    return Taxonomy.from_entries(entries, name=name)


# ------------------------------------------------------------------ helpers


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyFileError(str(path), None, f"cannot read: {exc}", code="E_READ") from exc


def _lines(path: Path) -> list[tuple[int, list[str]]]:
    raw = _read_text(path)
    return [(n, line.split()) for n, line in enumerate(raw.splitlines(), 1) if line.strip()]


def _free_ids(base: Taxonomy | None, taken: set[str]) -> Iterator[str]:
    """Custom ids ``c%08d`` in order, skipping any used by the base or given in the file."""
    start = int(base.next_custom_id()[1:]) if base is not None else 1
    for n in itertools.count(start):
        candidate = f"c{n:08d}"
        if candidate not in taken and (base is None or candidate not in base):
            yield candidate


def _read_tab_file(path: Path, what: str) -> dict[str, tuple[str, int]]:
    """``wnid<TAB>text`` lines as {wnid: (text, line)}, rejecting duplicates."""
    out: dict[str, tuple[str, int]] = {}
    raw = _read_text(path)
    for line_no, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        wnid, sep, text = line.partition("\t")
        if not sep or not wnid.strip():
            raise TaxonomyFileError(
                str(path), line_no, f"expected 'wnid<TAB>{what}'", code="E_PARSE"
            )
        if wnid in out:
            raise TaxonomyFileError(
                str(path),
                line_no,
                f"duplicate synset id {wnid!r} (first at line {out[wnid][1]})",
                code="E_DUPLICATE_SYNSET",
            )
        out[wnid] = (text.strip(), line_no)
    return out


def _lemmas(words_text: str, path: str | Path, line: int) -> list[str]:
    lemmas = [w.strip().replace(" ", "_") for w in words_text.split(",") if w.strip()]
    _check_lemmas(lemmas, path, line)
    return lemmas


def _check_lemmas(lemmas: list[str], path: str | Path, line: int | None) -> None:
    """Lemmas are stored tab-joined, one synset a line: a tab or newline inside would split one."""
    for lemma in lemmas:
        if any(c in lemma for c in "\t\n\r"):
            raise TaxonomyFileError(
                str(path), line, f"lemma {lemma!r} contains a tab or line break", code="E_PARSE"
            )


def _check_new_ids(entries: list[Entry], base: Taxonomy) -> None:
    """New synsets must not take ids shaped like WordNet's that WordNet does not have."""
    for entry in entries:
        wnid = entry.synset.wnid
        if is_wordnet_id(wnid) and wnid not in base:
            raise TaxonomyFileError(
                entry.path,
                entry.line,
                f"{wnid!r} looks like a WordNet id but is not a WordNet 3.0 noun; give new "
                "synsets custom ids (c + 8 digits, e.g. c00000001) or leave 'id' out",
                code="E_BAD_ID",
            )


def _parse(path: Path, text: str) -> Any:
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise TaxonomyFileError(str(path), exc.lineno, exc.msg, code="E_PARSE") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise TaxonomyFileError(str(path), line, f"invalid YAML: {exc}", code="E_PARSE") from exc


def _item_lines(path: Path, text: str, count: int) -> list[int | None]:
    """Line of each item of the top-level ``synsets`` list (None where unknown).

    JSON is read by PyYAML's composer for its line marks; raw tabs, which YAML
    forbids as indentation, can only be whitespace in valid JSON, so they
    become spaces first (line numbers are unchanged).
    """
    try:
        root = yaml.compose(text.replace("\t", " "), Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return [None] * count
    found = [
        (key, value)
        for key, value in getattr(root, "value", [])
        if getattr(key, "value", None) == "synsets"
    ]
    if len(found) > 1:  # json and PyYAML would silently keep the last one
        raise TaxonomyFileError(
            str(path), found[1][0].start_mark.line + 1, "'synsets' given twice", code="E_PARSE"
        )
    if found and isinstance(found[0][1], yaml.SequenceNode):
        lines = [item.start_mark.line + 1 for item in found[0][1].value]
        if len(lines) == count:
            return lines
    return [None] * count


def _base(path: Path, extends: object) -> Taxonomy | None:
    if extends is None:
        return None
    if extends not in _EXTENDABLE:
        raise TaxonomyFileError(
            str(path), None, f"cannot extend {extends!r}; use 'wordnet-3.0'", code="E_PARSE"
        )
    return Taxonomy.wordnet()


def _entry(path: Path, line: int | None, item: object, free_ids: Iterator[str]) -> Entry:
    if not isinstance(item, dict):
        raise TaxonomyFileError(str(path), line, "each synset must be a mapping", code="E_PARSE")
    lemmas = item.get("lemmas") or ([item["name"]] if item.get("name") else None)
    if not isinstance(lemmas, list) or not all(isinstance(x, str) and x for x in lemmas):
        raise TaxonomyFileError(str(path), line, "'lemmas' must be a list of words", code="E_PARSE")
    _check_lemmas(lemmas, path, line)
    parents = item.get("parents", [])
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise TaxonomyFileError(str(path), line, "'parents' must be a list of ids", code="E_PARSE")
    wnid = str(item["id"]) if item.get("id") else next(free_ids)
    gloss = item.get("gloss") or ""
    if not isinstance(gloss, str):
        raise TaxonomyFileError(str(path), line, "'gloss' must be text", code="E_PARSE")
    synset = Synset(wnid, tuple(x.replace(" ", "_") for x in lemmas), gloss, tuple(parents))
    return Entry(synset, str(path), line)
