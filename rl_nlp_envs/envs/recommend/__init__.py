"""rlnlp/Recommend-v0: slate recommendation of text items to simulated users."""
