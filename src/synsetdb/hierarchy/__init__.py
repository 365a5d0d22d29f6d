"""The WordNet noun hierarchy: synsets, taxonomies, and named synset sets."""

from .loaders import load_imagenet_words, load_taxonomy_file
from .sets import DENG2009_SUBTREES, PERSON_ROOT, SynsetSet, named_set, named_sets
from .synset import Depth, Synset, is_wordnet_id, offset_of, wnid_of
from .taxonomy import ENTITY, Entry, Taxonomy

__all__ = [
    "DENG2009_SUBTREES",
    "ENTITY",
    "PERSON_ROOT",
    "Depth",
    "Entry",
    "Synset",
    "SynsetSet",
    "Taxonomy",
    "is_wordnet_id",
    "load_imagenet_words",
    "load_taxonomy_file",
    "named_set",
    "named_sets",
    "offset_of",
    "wnid_of",
]
