"""The 2009 ImageNet paper's baselines: NN voting, NBNN and the tree-max classifier.

Each trains on a release's ``train`` split and scores another (``val``):
top-1/top-5 error over the leaf classes, and for every node of the induced
hierarchy the ROC AUC of its score for "the image lies in my subtree",
averaged per tree height as in the paper's figure. Also: k-means clusters of
a synset's images with contact sheets. NN voting on tiny images needs only
NumPy and Pillow; NBNN and HOG/SIFT features need scikit-image, tree-max and
clustering scikit-learn (imported when used). See ``docs/baselines.md``::

    from synsetdb.evaluate.baselines import nn_voting
    result = nn_voting(release, k=100)
    result.top1_error, result.auc_by_height
"""

from .cluster import Cluster, Clusters, cluster_images, cluster_synset, write_contact_sheets
from .data import SplitImages, load_split
from .nbnn import NBNNOptions, class_distances, nbnn
from .nn import nearest_neighbours, neighbour_votes, nn_voting, squared_distances
from .plot import plot_auc_by_height
from .report import (
    BaselineResult,
    auc_by_height,
    node_aucs,
    roc_auc,
    score_nodes,
    write_predictions,
)
from .tree import NodeTable
from .treemax import TreeMaxOptions, default_estimator, negative_classes, training_sample, tree_max

__all__ = [
    "BaselineResult",
    "Cluster",
    "Clusters",
    "NBNNOptions",
    "NodeTable",
    "SplitImages",
    "TreeMaxOptions",
    "auc_by_height",
    "class_distances",
    "cluster_images",
    "cluster_synset",
    "default_estimator",
    "load_split",
    "nbnn",
    "nearest_neighbours",
    "negative_classes",
    "neighbour_votes",
    "nn_voting",
    "node_aucs",
    "plot_auc_by_height",
    "roc_auc",
    "score_nodes",
    "squared_distances",
    "training_sample",
    "tree_max",
    "write_contact_sheets",
    "write_predictions",
]
