"""Image features for the baselines, behind the ``Embedder`` protocol.

``TinyImage`` and ``ColourHistogram`` need only NumPy and Pillow; ``Hog`` and
SIFT need scikit-image (the ``faces`` extra), the SIFT vocabulary also
scikit-learn (``eval``), and ``TorchEmbedder`` torch (``torch``); each is
imported when first used, so importing this package needs none of them.
"""

from .base import Embedder, LearnedEmbedder, fit_embedder
from .local import Hog, SiftBagOfWords, SiftOptions, sift_descriptors
from .named import EMBEDDER_NAMES, embedder_named
from .neural import TorchEmbedder
from .pixels import ColourHistogram, TinyImage

__all__ = [
    "EMBEDDER_NAMES",
    "ColourHistogram",
    "Embedder",
    "Hog",
    "LearnedEmbedder",
    "SiftBagOfWords",
    "SiftOptions",
    "TinyImage",
    "TorchEmbedder",
    "embedder_named",
    "fit_embedder",
    "sift_descriptors",
]
