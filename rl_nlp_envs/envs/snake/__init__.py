"""rlnlp/Snake-v0: the classic game, as a single env and as a native batched vector env."""
