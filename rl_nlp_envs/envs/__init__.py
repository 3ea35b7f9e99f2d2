"""Environment implementations; each sub-package is imported only by its entry point."""
