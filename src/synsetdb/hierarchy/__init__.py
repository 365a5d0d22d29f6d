"""The WordNet noun hierarchy: synsets, taxonomies, and named synset sets."""

from .loaders import load_imagenet_words, load_taxonomy_file
from .sets import DENG2009_SUBTREES, PERSON_ROOT, SynsetSet, named_set, named_sets
from .synset import Depth, Synset, is_wordnet_id, offset_of, wnid_of
from .taxonomy import ENTITY, Entry, Taxonomy
from .usage import SENSITIVE_USAGE_DOMAINS, UsageFlag

__all__ = [
    "DENG2009_SUBTREES",
    "ENTITY",
    "PERSON_ROOT",
    "SENSITIVE_USAGE_DOMAINS",
    "Depth",
    "Entry",
    "Synset",
    "SynsetSet",
    "Taxonomy",
    "UsageFlag",
    "is_wordnet_id",
    "load_imagenet_words",
    "load_taxonomy_file",
    "named_set",
    "named_sets",
    "offset_of",
    "wnid_of",
]
