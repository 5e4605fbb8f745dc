"""Which seeds serve which purpose: one block of a million per role, so that no session is used twice.

A model must never be measured on the sessions it was trained on or selected with, and a reference set
must not share sessions with the set compared to it (their distance would shrink towards 0). Every
module that draws sessions for a role takes its first seed from here; ``tests/test_seeds.py`` checks
that the blocks are disjoint.
"""

from __future__ import annotations

BLOCK = 1_000_000  # sessions per role at most

# training the world agents
CLONING_SESSIONS = 1_000_000  # real sessions whose order stream the generator and the cWGAN learn from
TRAIN_HELD_OUT = 2_000_000  # train_generator: the held-out real feedback set of its evaluations
TRAIN_FLOOR = 3_000_000  # train_generator: the real-vs-real floor
TRAIN_EVALUATION = 4_000_000  # train_generator: generator episodes along training and at the end
TRAIN_FACTS = 5_000_000  # one generated session vs the real one, in a training report
CWGAN_SELECTION = 6_000_000  # closed-loop sessions that pick the cWGAN checkpoint
CWGAN_REPORT = 7_000_000  # fresh closed-loop sessions of the cWGAN's training report
TRAIN_ES_GENERATIONS = 8_000_000  # INTAGS by ES: each generation's fresh episodes (common to its candidates)
TRAIN_ES_CHECK = 9_000_000  # INTAGS by ES: the fixed check episodes that pick the kept adapter
TRAIN_ES_REAL = 10_000_000  # INTAGS by ES: the real episodes of the objective's real sets

# the realism benchmark (none of the above: an independent test of every model)
REALISM_REFERENCE = 20_000_000  # the real causal-feedback reference set
REALISM_COMPARISON = 21_000_000  # every market's causal episodes (the real one's give the floor)
REALISM_FACTS_REFERENCE = 22_000_000
REALISM_FACTS = 23_000_000
REALISM_EXPLOIT = 24_000_000
REALISM_IMPACT = 25_000_000
REALISM_POLICIES = 26_000_000
REALISM_RECORDED = 27_000_000  # simulated sessions compared with a recorded day

# the generator-fidelity benchmark (can the representation, and the models on it, say what the real says)
FIDELITY_REFERENCE = 30_000_000  # the real market's reference windows
FIDELITY_SESSIONS = 31_000_000  # replayed / generated windows, and the real ones of the floor

ROLES: dict[str, int] = {
    name: value for name, value in globals().items() if name.isupper() and name != "BLOCK"
}
