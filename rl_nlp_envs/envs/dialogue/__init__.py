"""``rlnlp/Dialogue-v0``: customer service with an agenda-based simulated customer."""
