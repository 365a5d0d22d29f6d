"""Sensitive categories: synsets a person should look at before their images are released.

Every check here reports synsets in scope (with images) and their image
counts; none removes anything. Lists come from the bundled WordNet and the
named sets (``synsetdb.hierarchy``), or from files the project gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ...errors import ConfigError
from ...hierarchy.sets import PERSON_ROOT, named_set
from ...hierarchy.usage import SENSITIVE_USAGE_DOMAINS
from .._reads import class_sizes, synset_names
from ..context import AuditContext
from ..model import CheckSkipped, Finding
from ..registry import check

#: Where the derived list of SEN002 comes from (named sets shipped with synsetdb).
WINTER21_FROM, WINTER21_TO = "imagenet21k-p", "imagenet21k-p-winter21"
_WNID = re.compile(r"^[a-z]\d{8}$")


def _label(ctx: AuditContext, wnid: str) -> str:
    name = synset_names(ctx).get(wnid)
    return f"{wnid} {name}" if name else wnid


def _person_subtree(ctx: AuditContext) -> frozenset[str]:
    def compute() -> frozenset[str]:
        taxonomy = ctx.taxonomy
        if PERSON_ROOT not in taxonomy:
            return frozenset()
        return frozenset(taxonomy.descendants(PERSON_ROOT, include_self=True))

    return ctx.memo("sensitive:person", compute)


def winter21_removed() -> frozenset[str]:
    """Person synsets of ImageNet-21K-P (fall11) that its winter21 version no longer has.

    Between the two versions of 21K-P that timm ships, 771 classes are gone,
    every one of them in the person subtree: what ImageNet's winter 2021
    release removed (Yang et al. 2020's filtering of unsafe and non-imageable
    person synsets) among the classes 21K-P keeps. The ~1,960 fall11 person
    synsets that 21K-P never had are not covered: no list of them is shipped.
    """
    kept = set(named_set(WINTER21_TO).wnids)
    return frozenset(w for w in named_set(WINTER21_FROM).wnids if w not in kept)


def _flags(ctx: AuditContext, wnid: str) -> list[str]:
    """Short notes on what else marks a synset, for the person subtree's messages."""
    notes = []
    if wnid in ctx.memo("sensitive:winter21", winter21_removed):
        notes.append("removed in winter21")
    if wnid in ctx.taxonomy:
        domains = ctx.taxonomy.usage_domains(wnid, lemmas=True)
        notes += [SENSITIVE_USAGE_DOMAINS[d] for d in domains if d in SENSITIVE_USAGE_DOMAINS]
    return notes


def _branch(ctx: AuditContext, wnid: str) -> str | None:
    """The child of ``person`` this synset is under (first path), for grouping findings."""
    for path in ctx.taxonomy.paths_to_root(wnid):
        if PERSON_ROOT in path:
            below = path[path.index(PERSON_ROOT) - 1]  # paths run from the synset up
            return below if below != wnid else None
    return None


@check(
    "SEN001",
    "person-subtree",
    family="sensitive",
    level="info",
    summary="synsets in the person subtree (n00007846), with their image counts",
)
def person_subtree(ctx: AuditContext) -> Iterator[Finding]:
    """Synsets in scope under ``person`` (n00007846), one finding each, with images.

    Categories of people are where ImageNet's worst problems were: Yang et
    al. (2020, "Towards Fairer Datasets") found 1,593 of the 2,832 person
    synsets of ImageNet-21k offensive or unsafe and most of the rest not
    imageable (a picture cannot show that someone is a "philanthropist"), and
    ImageNet's winter 2021 release removed most of the person subtree. Pictures of people also
    raise consent and privacy questions (see the release filter ``blur_faces``).

    Each message names the synset's branch under ``person`` and what else
    marks it (on the winter21 removal list, a WordNet usage domain), so a
    long list can be sorted; score = images.

    Fix: review each synset: keep it (accept the finding), leave it out of
    releases (a spec's ``exclude``), or blur faces.
    """
    person = _person_subtree(ctx)
    for wnid, images in sorted(class_sizes(ctx).items()):
        if wnid not in person:
            continue
        branch = _branch(ctx, wnid)
        notes = _flags(ctx, wnid)
        where = f", under {_label(ctx, branch)}" if branch else ""
        also = f"; {', '.join(notes)}" if notes else ""
        yield Finding(
            "SEN001",
            ctx.release_key(wnid),
            f"{_label(ctx, wnid)}: {images:,} image(s) of people{where}{also}",
            action="review the category: keep it, exclude it from releases, or blur faces",
            synset=wnid,
            evidence={"images": images, "branch": branch, "also": notes},
            score=float(images),
        )


def _read_list(path: str) -> frozenset[str]:
    """Wnids from a file, one per line; ``#`` starts a comment; anything else is an error."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"SEN002.unsafe_list: cannot read {path}: {exc}") from exc
    wnids = set()
    for number, line in enumerate(text.splitlines(), start=1):
        word = line.split("#", 1)[0].strip()
        if not word:
            continue
        if not _WNID.match(word) or len(word.split()) > 1:
            raise ConfigError(
                f"SEN002.unsafe_list: {path}:{number}: {word!r} is not a wnid (one per line)",
                code="E_CONFIG",
            )
        wnids.add(word)
    return frozenset(wnids)


@check(
    "SEN002",
    "on-unsafe-list",
    family="sensitive",
    level="warning",
    summary="synsets on a reviewed list of unsafe categories (winter21's removals, or yours)",
    options={"winter21_removed": True, "unsafe_list": ""},
)
def on_unsafe_list(ctx: AuditContext) -> Iterator[Finding]:
    """Synsets in scope that a reviewed list says should not be released.

    Two lists, each optional:

    - ``winter21_removed`` (on by default): the 771 person synsets of
      ImageNet-21K-P (Ridnik et al. 2021, fall11 version, 11,221 classes)
      that its winter21 version (10,450 classes) no longer has. Both class
      lists ship with synsetdb from timm's wheel (Apache-2.0); every class
      that differs between them is in the person subtree, which is ImageNet's
      winter 2021 filtering (Yang et al. 2020: unsafe *or* non-imageable
      person synsets) seen through 21K-P. It is not Yang et al.'s own
      safe/unsafe annotation, which no installable package ships, and it
      does not cover fall11 person synsets that 21K-P never had.
    - ``unsafe_list``: a path to your own file, one wnid per line (``#``
      comments allowed), e.g. a list reviewed by your institution.

    One finding per synset, naming the list(s) it is on, with its images.

    Fix: leave the synset out of releases (a spec's ``exclude``), or accept
    the finding with the reason it is fine in this dataset.
    """
    lists: dict[str, frozenset[str]] = {}
    if ctx.option("winter21_removed"):
        lists["winter21-removed"] = ctx.memo("sensitive:winter21", winter21_removed)
    if path := str(ctx.option("unsafe_list")).strip():
        lists[Path(path).name] = _read_list(path)
    if not lists:
        raise CheckSkipped("no list: set unsafe_list = PATH or winter21_removed = true")
    for wnid, images in sorted(class_sizes(ctx).items()):
        on = [name for name, wnids in lists.items() if wnid in wnids]
        if not on:
            continue
        yield Finding(
            "SEN002",
            ctx.release_key(wnid),
            f"{_label(ctx, wnid)}: {images:,} image(s), on the list {', '.join(on)}",
            action="exclude the synset from releases, or accept with a reason",
            synset=wnid,
            evidence={"images": images, "lists": on},
            score=float(images),
        )


@check(
    "SEN003",
    "offensive-usage",
    family="sensitive",
    level="warning",
    summary="synsets WordNet marks as disparagement, ethnic slur or obscenity",
    options={"lemmas": True},
)
def offensive_usage(ctx: AuditContext) -> Iterator[Finding]:
    """Synsets in scope whose WordNet entry carries an offensive usage domain.

    WordNet 3.0 marks some nouns with a usage domain (its ``;u`` pointers):
    ``n06717170`` disparagement, ``n06718862`` ethnic slur, ``n07124340``
    obscenity (``hierarchy.usage``). A class named by such a word labels
    the people or things in its pictures with it; Crawford & Paglen's
    "Excavating AI" (2019) showed what that looks like in ImageNet.

    With ``lemmas = true`` (the default) a pointer that marks one lemma only
    counts too (``blackamoor`` is an ethnic slur; its synset, Black person,
    is not); the message names that lemma. Slang and colloquialism are not
    reported: they mark register, not offence.

    Fix: leave the synset out of releases, or (lemma-only) rename the class
    in the release's labels so the slur is not shown; accept with a reason.
    """
    lemmas = bool(ctx.option("lemmas"))
    taxonomy = ctx.taxonomy
    for wnid, images in sorted(class_sizes(ctx).items()):
        if wnid not in taxonomy:
            continue
        flags = [f for f in taxonomy.usage_flags(wnid) if f.domain in SENSITIVE_USAGE_DOMAINS]
        flags = [f for f in flags if lemmas or f.lemma is None]
        if not flags:
            continue
        described = sorted(
            {
                SENSITIVE_USAGE_DOMAINS[f.domain]
                + (f" (lemma {f.lemma.replace('_', ' ')!r})" if f.lemma else "")
                for f in flags
            }
        )
        yield Finding(
            "SEN003",
            ctx.release_key(wnid),
            f"{_label(ctx, wnid)}: {images:,} image(s); WordNet usage: {', '.join(described)}",
            action="exclude the synset from releases, or rename its label; accept with a reason",
            synset=wnid,
            evidence={
                "images": images,
                "domains": sorted({SENSITIVE_USAGE_DOMAINS[f.domain] for f in flags}),
                "flags": [f.to_dict() for f in flags],
            },
            score=float(images),
        )


def _lexicon(words: object, path: str) -> list[str]:
    """The words of the ``lexicon`` list and of the ``lexicon_file`` (one per line)."""
    if not isinstance(words, list):
        raise ConfigError("SEN004.lexicon must be a list of words", code="E_CONFIG")
    found: list[str] = [str(w) for w in words]
    if path.strip():
        try:
            text = Path(path).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"SEN004.lexicon_file: cannot read {path}: {exc}") from exc
        found += [line.split("#", 1)[0] for line in text.splitlines()]
    return sorted({w.strip().lower().replace("_", " ") for w in found if w.strip()})


@check(
    "SEN004",
    "lexicon-match",
    family="sensitive",
    level="warning",
    summary="synsets whose lemmas or gloss contain a word of the project's lexicon",
    options={"lexicon": [], "lexicon_file": "", "gloss": True},
)
def lexicon_match(ctx: AuditContext) -> Iterator[Finding]:
    """Synsets in scope whose lemmas (or gloss) contain a word or phrase of a lexicon.

    ``lexicon`` is a list of words and phrases (``["slave", "bastard"]``),
    ``lexicon_file`` a path to a file of one per line (``#`` comments); both
    are used when both are set. Matching is by
    whole words, ignoring case, with underscores read as spaces; ``gloss =
    false`` looks at the lemmas only. No lexicon is shipped: what offends is
    a judgement of the project, and a list nobody reviewed for this dataset
    would mostly find false matches; the check is skipped until one is set.

    One finding per synset, naming the words matched and where.

    Fix: review the synset; exclude it or rename its label, or accept.
    """
    words = _lexicon(ctx.option("lexicon"), str(ctx.option("lexicon_file")))
    if not words:
        raise CheckSkipped("no lexicon: set lexicon = [words] or lexicon_file under [audit.SEN004]")
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    use_gloss = bool(ctx.option("gloss"))
    taxonomy = ctx.taxonomy
    for wnid, images in sorted(class_sizes(ctx).items()):
        if wnid not in taxonomy:
            continue
        synset = taxonomy.get(wnid)
        lemma_hits = {m.lower() for lem in synset.lemmas for m in _matches(pattern, lem)}
        gloss_hits = set(_matches(pattern, synset.gloss)) if use_gloss else set()
        gloss_hits = {m.lower() for m in gloss_hits}
        if not lemma_hits and not gloss_hits:
            continue
        where = [f"lemma: {', '.join(sorted(lemma_hits))}"] if lemma_hits else []
        where += [f"gloss: {', '.join(sorted(gloss_hits))}"] if gloss_hits else []
        yield Finding(
            "SEN004",
            ctx.release_key(wnid),
            f"{_label(ctx, wnid)}: {images:,} image(s); lexicon words in {'; '.join(where)}",
            action="review the synset: exclude it or rename its label, or accept",
            synset=wnid,
            evidence={
                "images": images,
                "lemma_words": sorted(lemma_hits),
                "gloss_words": sorted(gloss_hits),
            },
            score=float(images),
        )


def _matches(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group(1) for m in pattern.finditer(text.replace("_", " "))]
