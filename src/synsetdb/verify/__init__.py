"""Crowd verification: votes, aggregators, ImageNet's dynamic consensus and a simulated crowd."""

from .aggregate import Aggregator, DawidSkene, MajorityVote, SelectionFrequency
from .consensus import ConfidenceTable, ConsensusConfig, Decision, DynamicConsensus, decide
from .quality import QualityConfig, WorkerQuality, assess_workers, exclude_workers
from .votes import Votes, as_votes

__all__ = [
    "Aggregator",
    "ConfidenceTable",
    "ConsensusConfig",
    "DawidSkene",
    "Decision",
    "DynamicConsensus",
    "MajorityVote",
    "QualityConfig",
    "SelectionFrequency",
    "Votes",
    "WorkerQuality",
    "as_votes",
    "assess_workers",
    "decide",
    "exclude_workers",
]
