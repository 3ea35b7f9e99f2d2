"""Load Gymnasium environment plugins when ``gymnasium`` is first imported.

Gymnasium < 1.0 loaded the ``gymnasium.envs`` entry-point group by itself; 1.0 dropped that.
This module is imported at interpreter start-up by ``rl_nlp_envs_gymnasium_hook.pth``. It only
puts a tiny finder on ``sys.meta_path``; nothing is imported until some code imports
``gymnasium``, and then, right after ``gymnasium`` has finished importing, every
``gymnasium.envs`` entry point is called so that ``gymnasium.make("rlnlp/Snake-v0")`` works
without importing ``rl_nlp_envs`` first.

Set ``RL_NLP_ENVS_NO_HOOK=1`` to turn it off.
"""

import os
import sys

_DISABLE_VAR = "RL_NLP_ENVS_NO_HOOK"


def load_gymnasium_plugins() -> None:
    """Call every function registered under the ``gymnasium.envs`` entry-point group."""
    import warnings
    from importlib.metadata import entry_points

    for entry_point in entry_points(group="gymnasium.envs"):
        try:
            entry_point.load()()
        except Exception as exc:  # a broken plugin must never break `import gymnasium`
            warnings.warn(
                f"gymnasium plugin {entry_point.name!r} ({entry_point.value}) failed to load: "
                f"{exc!r}",
                stacklevel=2,
            )


class _LoaderProxy:
    """Delegates to gymnasium's real loader and loads the plugins once it has run."""

    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        load_gymnasium_plugins()


class _GymnasiumImportWatcher:
    """A ``sys.meta_path`` finder that only ever answers for the top-level ``gymnasium``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "gymnasium":
            return None
        sys.meta_path.remove(self)
        from importlib.util import find_spec

        spec = find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _LoaderProxy(spec.loader)
        return spec


def install() -> None:
    """Put the watcher on ``sys.meta_path`` unless disabled or gymnasium is already loaded."""
    if os.environ.get(_DISABLE_VAR, "").strip() not in ("", "0"):
        return
    if "gymnasium" in sys.modules:
        return
    if not any(isinstance(f, _GymnasiumImportWatcher) for f in sys.meta_path):
        sys.meta_path.insert(0, _GymnasiumImportWatcher())


install()
