"""rl_nlp_envs: reinforcement-learning environments for language tasks, as Gymnasium plugins.

Importing this package registers every environment id (``rlnlp/...``) with Gymnasium and
imports nothing heavy (no pygame, torch, transformers, sacrebleu or pettingzoo).
"""

from rl_nlp_envs.registration import ENV_IDS, register_envs

__version__ = "0.1.0"
__all__ = ["ENV_IDS", "__version__", "register_envs"]

register_envs()
