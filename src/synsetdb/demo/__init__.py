"""``synsetdb demo``: a small ImageNet-style dataset built end to end from the bundled sample.

The bundle (``synsetdb/demo/bundle``) holds real third-party images, each with
its synset, source and licence. :func:`run_demo` takes them through every
stage of the pipeline in one project folder::

    from pathlib import Path
    from synsetdb.demo import run_demo

    result = run_demo(Path("synsetdb-demo"))
    for step in result.steps:
        print(step.name, step.summary)
"""

from .pipeline import RELEASE_NAME, DemoConfig, DemoResult, StepResult, run_demo
from .sample import BundleItem, BundleSource, load_bundle

__all__ = [
    "RELEASE_NAME",
    "BundleItem",
    "BundleSource",
    "DemoConfig",
    "DemoResult",
    "StepResult",
    "load_bundle",
    "run_demo",
]
