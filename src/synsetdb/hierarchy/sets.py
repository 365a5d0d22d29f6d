"""Named synset sets: published class lists and the subtrees ImageNet's papers used.

File-backed sets are shipped under ``data/sets/`` (sources in its README);
subtree sets are computed from a taxonomy (WordNet 3.0 by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from ..errors import NotFoundError
from .taxonomy import Taxonomy

__all__ = ["DENG2009_SUBTREES", "PERSON_ROOT", "SynsetSet", "named_set", "named_sets"]

PERSON_ROOT = "n00007846"  # person, individual, someone, somebody, mortal, soul

# The 12 subtrees of Deng et al., "ImageNet: A Large-Scale Hierarchical Image Database", CVPR 2009.
DENG2009_SUBTREES: dict[str, str] = {
    "mammal": "n01861778",
    "bird": "n01503061",
    "fish": "n02512053",
    "reptile": "n01661091",
    "amphibian": "n01627424",
    "vehicle": "n04524313",
    "furniture": "n03405725",
    "musical-instrument": "n03800933",
    "geological-formation": "n09287968",
    "tool": "n04451818",
    "flower": "n11669921",
    "fruit": "n13134947",
}

_TIMM = "timm 1.0.15's timm/data/_info/{} (Apache-2.0, licence in data/sets/LICENSE-timm)"
# name: (file, title, source); a title is one short line (a listing's column), the
# source says exactly where the list comes from.
_FILE_SETS: dict[str, tuple[str, str, str]] = {
    "ilsvrc2012": (
        "ilsvrc2012.txt",
        "ILSVRC-2012 classification classes",
        "ILSVRC-2012 classification, 1,000 classes in sorted-wnid (torchvision/timm index) "
        "order; " + _TIMM.format("imagenet_synsets.txt"),
    ),
    "imagenet21k-fall11": (
        "imagenet21k_fall11.txt",
        "ImageNet-21k, fall 2011 release",
        "ImageNet-21k fall11 release, 21,841 synsets; " + _TIMM.format("imagenet22k_synsets.txt"),
    ),
    "imagenet21k-goog": (
        "imagenet21k_goog.txt",
        "ImageNet-21k as Google's models label it",
        "ImageNet-21k as Google's BiT and ViT checkpoints label it, 21,843 synsets in "
        "sorted-wnid order: fall11's 21,841 plus n03931044 (picture) and n09859684 "
        "(bleacher); " + _TIMM.format("imagenet21k_goog_synsets.txt"),
    ),
    "imagenet12k": (
        "imagenet12k.txt",
        "ImageNet-12k, timm's subset of fall11",
        "ImageNet-12k, timm's 11,821-class subset of ImageNet-21k fall11; "
        + _TIMM.format("imagenet12k_synsets.txt"),
    ),
    "imagenet21k-p": (
        "imagenet21k_p.txt",
        "ImageNet-21K-P (MIIL), from fall11",
        "ImageNet-21K-P (Ridnik et al. 2021, 'ImageNet-21K Pretraining for the Masses'), "
        "processed from the fall11 release, 11,221 classes; "
        + _TIMM.format("imagenet21k_miil_synsets.txt"),
    ),
    "imagenet21k-p-winter21": (
        "imagenet21k_p_winter21.txt",
        "ImageNet-21K-P (MIIL), from winter21",
        "ImageNet-21K-P (Ridnik et al. 2021) processed from the winter21 release, "
        "10,450 classes; " + _TIMM.format("imagenet21k_miil_w21_synsets.txt"),
    ),
    "mini-imagenet": (
        "mini_imagenet.txt",
        "mini-ImageNet (Ravi & Larochelle split)",
        "mini-ImageNet (Vinyals et al. 2016; Ravi & Larochelle split), 100 classes; "
        + _TIMM.format("mini_imagenet_synsets.txt"),
    ),
    "imagenet-a": (
        "imagenet_a.txt",
        "ImageNet-A (Hendrycks et al. 2021)",
        "ImageNet-A (Hendrycks et al. 2021), 200 classes; "
        + _TIMM.format("imagenet_a_synsets.txt"),
    ),
    "imagenet-r": (
        "imagenet_r.txt",
        "ImageNet-R (Hendrycks et al. 2021)",
        "ImageNet-R (Hendrycks et al. 2021), 200 classes; "
        + _TIMM.format("imagenet_r_synsets.txt"),
    ),
}


@dataclass(frozen=True, slots=True)
class SynsetSet:
    """A named, ordered list of wnids and where it comes from.

    Attributes:
        source: where the list comes from, in full (file, version, licence).
        title: what it is, in one short line (``synsetdb sets`` lists it);
            the source when empty.
    """

    name: str
    wnids: tuple[str, ...]
    source: str
    title: str = ""

    def __len__(self) -> int:
        return len(self.wnids)


def named_sets() -> list[str]:
    """Every name ``named_set`` accepts."""
    subtrees = [f"deng2009-{name}" for name in DENG2009_SUBTREES]
    return [*_FILE_SETS, "person", "deng2009", *subtrees]


def named_set(name: str, taxonomy: Taxonomy | None = None) -> SynsetSet:
    """A named synset set.

    Args:
        name: one of ``named_sets()``: ``ilsvrc2012``, ``imagenet21k-fall11``,
            ``imagenet21k-goog``, ``imagenet12k``, ``imagenet21k-p`` (fall11's
            ImageNet-21K-P), ``imagenet21k-p-winter21``, ``mini-imagenet``,
            ``imagenet-a``, ``imagenet-r``, ``person`` (the
            person subtree, root included), ``deng2009`` (the 12 subtree roots)
            or ``deng2009-<subtree>`` (e.g. ``deng2009-mammal``, root included).
        taxonomy: for the computed subtree sets; WordNet 3.0 by default.

    Raises:
        NotFoundError: ``E_UNKNOWN_SET`` for a name not in ``named_sets()``.
    """
    if name in _FILE_SETS:
        filename, title, source = _FILE_SETS[name]
        text = resources.files(__package__).joinpath("data", "sets", filename).read_text("ascii")
        return SynsetSet(name, tuple(text.split()), source, title)
    if name == "deng2009":
        title = "Deng et al. 2009's 12 subtree roots"
        wnids = tuple(DENG2009_SUBTREES.values())
        return SynsetSet(name, wnids, "Deng et al. 2009, section 3.1", title)
    roots = {"person": PERSON_ROOT} | {f"deng2009-{k}": v for k, v in DENG2009_SUBTREES.items()}
    root = roots.get(name)
    if root is None:
        raise NotFoundError(
            f"unknown synset set {name!r}; known: {', '.join(named_sets())}", code="E_UNKNOWN_SET"
        )
    tax = taxonomy or Taxonomy.wordnet()
    return SynsetSet(
        name,
        tuple(tax.descendants(root, include_self=True)),
        f"the subtree under {root} in {tax.name}",
        f"the subtree under {root}",
    )
