"""cleanlab's ``find_label_issues`` on the audit bench's inputs, run inside bench/.venv-cleanlab.

Request (JSON on stdin): ``labels`` and ``pred_probs`` (.npy paths), ``filter_by``,
``rank_by``, ``repeats`` (calls timed), ``ranked_out`` (where to write the
flagged indices, ranked, as an .npy), ``joint_out`` (where to write cleanlab's
calibrated confident joint: its ``n * Q̂`` rounded to whole samples). Answer
(JSON on stdout): the wall and CPU time of each call (CPU: this process and
its worker processes), cleanlab's version and the cores it could use (its
default ``n_jobs`` uses them all).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import cleanlab
import numpy as np
from cleanlab.count import compute_confident_joint
from cleanlab.filter import find_label_issues


def main() -> None:
    request = json.load(sys.stdin)
    labels = np.load(request["labels"])
    pred_probs = np.load(request["pred_probs"])
    walls, cpus = [], []
    for _ in range(request["repeats"]):
        started, cpu = time.perf_counter(), _cpu_s()
        ranked = find_label_issues(
            labels,
            pred_probs,
            filter_by=request["filter_by"],
            return_indices_ranked_by=request["rank_by"],
        )
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu_s() - cpu)
    np.save(request["ranked_out"], np.asarray(ranked, dtype=np.int64))
    np.save(request["joint_out"], compute_confident_joint(labels, pred_probs, calibrate=True))
    json.dump(
        {
            "walls_s": walls,
            "cpus_s": cpus,
            "version": cleanlab.__version__,
            "cores": os.cpu_count(),
        },
        sys.stdout,
    )


def _cpu_s() -> float:
    """CPU time of this process and of its finished children (cleanlab's worker pool)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
