"""Rendering helpers shared by all environments; pygame is imported only when drawing."""

from rl_nlp_envs.render.viewer import PygameViewer, import_pygame

__all__ = ["PygameViewer", "import_pygame"]
