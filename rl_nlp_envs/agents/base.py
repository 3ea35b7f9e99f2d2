"""The ``Agent`` protocol every baseline follows, and checkpoint helpers (safetensors + JSON)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

CONFIG_FILE = "agent.json"
WEIGHTS_FILE = "weights.safetensors"


class Agent(ABC):
    """A policy that maps an observation (and the step's info) to an action.

    Learning agents override ``learn``; every agent can ``save`` to and ``load`` from a folder
    holding ``agent.json`` (its settings) and, for learners, ``weights.safetensors``.
    Checkpoints never use pickle.
    """

    name: str = "agent"
    learns: bool = False

    @abstractmethod
    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """Choose an action."""

    def reset(self) -> None:  # noqa: B027  (optional hook, deliberately a no-op)
        """Called at the start of every episode (for agents with per-episode state)."""

    def learn(self, total_steps: int, seed: int | None = None, **kwargs: Any) -> dict[str, Any]:
        """Train for ``total_steps`` environment steps; returns training statistics."""
        raise NotImplementedError(f"agent {self.name!r} does not learn")

    def config(self) -> dict[str, Any]:
        """JSON-serialisable settings, enough to rebuild the agent."""
        return {}

    def tensors(self) -> dict[str, np.ndarray]:
        """Learned arrays to save (none for heuristics)."""
        return {}

    def load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        """Restore learned arrays produced by ``tensors``."""
        if tensors:
            raise ValueError(f"agent {self.name!r} has no weights but the checkpoint has some")

    def save(self, path: str | Path) -> Path:
        """Write ``agent.json`` (and ``weights.safetensors`` if any) into the folder ``path``."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / CONFIG_FILE).write_text(
            json.dumps({"agent": self.name, "config": self.config()}, indent=2) + "\n"
        )
        tensors = self.tensors()
        if tensors:
            from rl_nlp_envs._imports import require

            st = require("safetensors.numpy", "train", "saving checkpoints")
            st.save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()},
                         str(folder / WEIGHTS_FILE))  # fmt: skip
        return folder

    def load(self, path: str | Path) -> Agent:
        """Load weights saved by ``save`` into this agent (settings must match)."""
        folder = Path(path)
        meta = read_checkpoint_config(folder)
        if meta["agent"] != self.name:
            raise ValueError(
                f"checkpoint {folder} is for agent {meta['agent']!r}, not {self.name!r}"
            )
        weights = folder / WEIGHTS_FILE
        if weights.exists():
            from rl_nlp_envs._imports import require

            st = require("safetensors.numpy", "train", "loading checkpoints")
            self.load_tensors(dict(st.load_file(str(weights))))
        else:
            self.load_tensors({})
        return self


def read_checkpoint_config(folder: Path) -> dict[str, Any]:
    """Read and check ``agent.json``; refuse anything that is not a safetensors checkpoint."""
    if folder.is_file():
        raise ValueError(
            f"{folder} is a file; a checkpoint is a folder with {CONFIG_FILE} and {WEIGHTS_FILE}"
            " (pickle files are never loaded)"
        )
    pickles = [p.name for p in folder.glob("*") if p.suffix in (".pkl", ".pickle", ".pt", ".pth")]
    if pickles:
        raise ValueError(
            f"{folder} contains {pickles}: pickle-based files are refused; checkpoints are "
            f"{CONFIG_FILE} + {WEIGHTS_FILE}"
        )
    config_path = folder / CONFIG_FILE
    if not config_path.exists():
        raise FileNotFoundError(f"{config_path} not found: not an rl_nlp_envs checkpoint")
    try:
        meta = json.loads(config_path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{config_path}: invalid JSON ({exc})") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("agent"), str):
        raise ValueError(f"{config_path}: expected an object with an 'agent' name")
    meta.setdefault("config", {})
    return meta
