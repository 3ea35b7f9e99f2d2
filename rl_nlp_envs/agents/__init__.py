"""Baseline agents: one module per agent family, behind the common ``Agent`` protocol.

Heuristic agents need numpy only; learning agents need the ``train`` extra (torch), the LLM agent
the ``llm`` extra. ``rl_nlp_envs.agents.registry`` lists which baselines exist for which
environment, as the ``rlnlp baseline`` / ``rlnlp baselines`` commands run them.
"""
