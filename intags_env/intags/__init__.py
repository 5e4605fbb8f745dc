"""INTAGS: characterise a market by the causal effect of an experimental trader's actions on it, and
measure the distance between markets by the distance between those effects.

``feedback``: the IPW estimate of the effect of the trader's action at each horizon (known or estimated
propensities). ``distances``: MMD (unbiased/biased, median-heuristic or mixed bandwidths, witness),
energy distance, Wasserstein-1, permutation tests and bootstrap intervals. Rollout collection, the
experimental agents and the power benchmark follow (issue 6).
"""
