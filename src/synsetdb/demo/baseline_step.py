"""The demo's last stage: the NN-voting baseline's predictions, scored as ``synsetdb eval`` does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..evaluate import evaluate_file
from ..evaluate.baselines import nn_voting, write_predictions
from ..evaluate.plots import plot_per_class_accuracy
from ..release import Release

__all__ = ["baseline_and_evaluate"]


def baseline_and_evaluate(
    release: Release, folder: Path, *, neighbours: int, split: str = "val"
) -> tuple[dict[str, Any], dict[str, Path]]:
    """Run NN voting on ``split``, write its predictions file, and score that file.

    The scores come from reading the written file back, as a user's own
    predictions would be, so the demo exercises the whole evaluation path.
    Returns the scores (the baseline's per-height AUCs included) and the files.
    """
    folder.mkdir(parents=True, exist_ok=True)
    manifest = release.manifest
    baseline = nn_voting(release, k=neighbours, split=split)
    predictions = write_predictions(baseline, folder / "nn-predictions.csv", top=20)
    evaluation = evaluate_file(predictions, manifest, split)
    scores = {
        **evaluation.to_dict(),
        "baseline_auc_by_height": baseline.auc_by_height,
        "k": baseline.options.get("k", neighbours),  # the k used: the data may cap it
    }
    paths = {
        "predictions": predictions,
        "scores": folder / "nn-scores.json",
        "plot": folder / "nn-per-class.png",
    }
    paths["scores"].write_text(json.dumps(scores, indent=2, sort_keys=True) + "\n", "utf-8")
    plot_per_class_accuracy(
        evaluation.classification.per_class_accuracy,
        [c.name for c in manifest.classes],
        paths["plot"],
        title=f"{release.name} / {split}: NN voting, top-1 accuracy per class",
    )
    return scores, paths
