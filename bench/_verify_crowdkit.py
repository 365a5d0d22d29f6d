"""crowd-kit's Dawid–Skene on the bench's votes, run inside bench/.venv-crowdkit.

Request (JSON on stdin): ``votes`` (an .npz with int arrays ``task``,
``worker``, ``label``), ``n_iter``, ``tol``, ``labels_out`` (where to write the
predicted label per task as an .npy aligned with sorted task ids). Answer (JSON
on stdout): the fit's wall time, the iterations run and the version.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
from crowdkit import __version__
from crowdkit.aggregation import DawidSkene


def main() -> None:
    request = json.load(sys.stdin)
    arrays = np.load(request["votes"])
    frame = pd.DataFrame({k: arrays[k] for k in ("task", "worker", "label")})
    model = DawidSkene(n_iter=request["n_iter"], tol=request["tol"])
    started = time.perf_counter()
    labels = model.fit_predict(frame)
    wall = time.perf_counter() - started
    np.save(request["labels_out"], labels.sort_index().to_numpy())
    json.dump(
        {"wall_s": wall, "iterations": len(model.loss_history_), "version": __version__},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
