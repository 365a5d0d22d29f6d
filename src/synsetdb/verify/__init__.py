"""Crowd verification: votes, aggregators, ImageNet's dynamic consensus and a simulated crowd."""

from .aggregate import Aggregator, DawidSkene, MajorityVote, SelectionFrequency
from .consensus import ConfidenceTable, ConsensusConfig, Decision, DynamicConsensus, decide
from .votes import Votes, as_votes

__all__ = [
    "Aggregator",
    "ConfidenceTable",
    "ConsensusConfig",
    "DawidSkene",
    "Decision",
    "DynamicConsensus",
    "MajorityVote",
    "SelectionFrequency",
    "Votes",
    "as_votes",
    "decide",
]
