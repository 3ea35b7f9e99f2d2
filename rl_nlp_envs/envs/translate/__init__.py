"""rlnlp/Translate-v0: machine translation on the text core, rewarded by BLEU."""
