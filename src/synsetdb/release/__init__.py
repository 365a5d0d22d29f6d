"""Releases: immutable, content-addressed versions of a dataset, with splits and filters."""

from .builder import BuildResult, build_manifest
from .checks import ReleaseProblem, VerifyReport, verify_release
from .datasheet import write_datasheet
from .diff import ReleaseDiff, diff_releases
from .faces import (
    FaceBlur,
    FaceDetector,
    LbpFaceDetector,
    OpenCvHaarDetector,
    blur_faces,
    default_detector,
)
from .filters import load_synset_list
from .handle import Release
from .manifest import MANIFEST_FORMAT, Manifest, ReleaseClass, ReleaseItem
from .spec import FilterSpec, ReleaseSpec, SelectionSpec, SplitConfig, load_spec, parse_spec
from .splits import SplitEntry, SplitReport, assign_splits
from .store import ReleaseInfo, create_release, list_releases, load_release

__all__ = [
    "MANIFEST_FORMAT",
    "BuildResult",
    "FaceBlur",
    "FaceDetector",
    "FilterSpec",
    "LbpFaceDetector",
    "Manifest",
    "OpenCvHaarDetector",
    "Release",
    "ReleaseClass",
    "ReleaseDiff",
    "ReleaseInfo",
    "ReleaseItem",
    "ReleaseProblem",
    "ReleaseSpec",
    "SelectionSpec",
    "SplitConfig",
    "SplitEntry",
    "SplitReport",
    "VerifyReport",
    "assign_splits",
    "blur_faces",
    "build_manifest",
    "create_release",
    "default_detector",
    "diff_releases",
    "list_releases",
    "load_release",
    "load_spec",
    "load_synset_list",
    "parse_spec",
    "verify_release",
    "write_datasheet",
]
