"""rlnlp/QA-v0: answer a question about a passage, rewarded by SQuAD F1."""
