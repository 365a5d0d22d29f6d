"""Sources of candidate images: one ``Source`` protocol, one module per kind."""

from .folder import FolderSource
from .ilsvrc import IlsvrcArchives, IlsvrcFolders, IlsvrcKaggle, open_ilsvrc
from .imagenet21k import ImageNet21k
from .urls import UrlListSource

__all__ = [
    "FolderSource",
    "IlsvrcArchives",
    "IlsvrcFolders",
    "IlsvrcKaggle",
    "ImageNet21k",
    "UrlListSource",
    "open_ilsvrc",
]
