"""What every environment shares: spaces and action validation (and the text core)."""
