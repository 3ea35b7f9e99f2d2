"""rlnlp/Summarize-v0: write a summary of a document, rewarded by ROUGE."""
