"""Load Gymnasium (and PettingZoo) environment plugins when the library is first imported.

Gymnasium < 1.0 loaded the ``gymnasium.envs`` entry-point group by itself; 1.0 dropped that.
This module is imported at interpreter start-up by ``rl_nlp_envs_gymnasium_hook.pth``. It only
puts a tiny finder on ``sys.meta_path``; nothing is imported until some code imports
``gymnasium``, and then, right after ``gymnasium`` has finished importing, every
``gymnasium.envs`` entry point is called so that ``gymnasium.make("rlnlp/Snake-v0")`` works
without importing ``rl_nlp_envs`` first. PettingZoo has a registry but no plugin loader at all,
so the same is done for ``pettingzoo`` and the ``pettingzoo.envs`` group
(``pettingzoo.make("aec", "rlnlp/Negotiate-v0")``).

Set ``RL_NLP_ENVS_NO_HOOK=1`` to turn it off.
"""

import os
import sys

_DISABLE_VAR = "RL_NLP_ENVS_NO_HOOK"


#: top-level module -> the entry-point group of plugins to load once it is imported
_GROUPS = {"gymnasium": "gymnasium.envs", "pettingzoo": "pettingzoo.envs"}


def load_plugins(group: str) -> None:
    """Call every function registered under the entry-point ``group``."""
    import warnings
    from importlib.metadata import entry_points

    for entry_point in entry_points(group=group):
        try:
            entry_point.load()()
        except Exception as exc:  # a broken plugin must never break the library's import
            warnings.warn(
                f"{group} plugin {entry_point.name!r} ({entry_point.value}) failed to load: "
                f"{exc!r}",
                stacklevel=2,
            )


def load_gymnasium_plugins() -> None:
    """Call every function registered under the ``gymnasium.envs`` entry-point group."""
    load_plugins("gymnasium.envs")


class _LoaderProxy:
    """Delegates to the library's real loader and loads its plugins once it has run."""

    def __init__(self, loader, name, watcher):
        self._loader = loader
        self._name = name
        self._watcher = watcher

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._watcher.loaded(self._name)
        load_plugins(_GROUPS[self._name])


class _GymnasiumImportWatcher:
    """A ``sys.meta_path`` finder that only answers for the top-level modules in ``_GROUPS``.

    It stays on ``sys.meta_path`` until each of them has really been executed: a bare
    ``importlib.util.find_spec("gymnasium")`` (libraries probe for optional dependencies that
    way) must not use it up.
    """

    def __init__(self, names):
        self._pending = set(names)
        self._busy = False

    def find_spec(self, fullname, path=None, target=None):
        if self._busy or fullname not in self._pending:
            return None
        from importlib.util import find_spec

        self._busy = True  # let the real finders answer the inner lookup
        try:
            spec = find_spec(fullname)
        finally:
            self._busy = False
        if spec is not None and spec.loader is not None:
            spec.loader = _LoaderProxy(spec.loader, fullname, self)
        return spec

    def loaded(self, name):
        """``name`` has been imported: stop watching it, and leave once nothing is left."""
        self._pending.discard(name)
        if not self._pending and self in sys.meta_path:
            sys.meta_path.remove(self)


def install() -> None:
    """Put the watcher on ``sys.meta_path`` unless disabled or everything is already loaded."""
    if os.environ.get(_DISABLE_VAR, "").strip() not in ("", "0"):
        return
    names = [name for name in _GROUPS if name not in sys.modules]
    if names and not any(isinstance(f, _GymnasiumImportWatcher) for f in sys.meta_path):
        sys.meta_path.insert(0, _GymnasiumImportWatcher(names))


install()
