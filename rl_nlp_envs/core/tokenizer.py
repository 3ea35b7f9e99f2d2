"""The one tokenizer loader: the bundled BPE tokenizer, or any Hugging Face tokenizer.

The bundled tokenizer (``rl_nlp_envs/data/tokenizer/tokenizer.json``) is a byte-level BPE
trained by ``scripts/train_tokenizer.py`` on the bundled corpora, loaded through
``transformers.PreTrainedTokenizerFast``. Nothing is downloaded: a name that is not a local
path is looked up in the local Hugging Face cache only.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from rl_nlp_envs._imports import require

PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"
SPECIAL_TOKENS = (PAD, BOS, EOS, UNK)


def bundled_tokenizer_path() -> Path:
    """Where the bundled ``tokenizer.json`` lives inside the installed package."""
    return Path(str(resources.files("rl_nlp_envs") / "data" / "tokenizer" / "tokenizer.json"))


class Tokenizer:
    """What a text environment needs from a tokenizer, over a Hugging Face tokenizer.

    Attributes:
        hf: the wrapped ``transformers`` tokenizer.
        vocab_size: size of the action space in token mode (``len(hf)``, added tokens included).
        pad_id, bos_id, eos_id: special ids (``bos_id`` may be None).
        never_legal: ids an agent may never emit (padding, start-of-sequence and the other
            special tokens except end-of-sequence).
    """

    def __init__(self, hf: Any) -> None:
        self.hf = hf
        self.vocab_size = len(hf)
        eos = hf.eos_token_id if hf.eos_token_id is not None else hf.sep_token_id
        if eos is None:
            raise ValueError(
                "the tokenizer has neither an eos_token nor a sep_token; text environments need "
                "one to end a response (set tokenizer.eos_token)"
            )
        self.eos_id = int(eos)
        pad = hf.pad_token_id if hf.pad_token_id is not None else self.eos_id
        self.pad_id = int(pad)
        self.bos_id = None if hf.bos_token_id is None else int(hf.bos_token_id)
        special = {int(i) for i in hf.all_special_ids}
        self.never_legal = sorted(special - {self.eos_id})
        backend = getattr(hf, "backend_tokenizer", None)
        self._backend = backend
        self.byte_table = _byte_level_table(backend, special) if backend is not None else None

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` without special tokens."""
        if self._backend is not None:
            return list(self._backend.encode(text, add_special_tokens=False).ids)
        return list(self.hf.encode(text, add_special_tokens=False))

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Token ids of ``text`` and each token's (start, end) character offsets."""
        if self._backend is None:
            raise ValueError("character offsets need a fast (Rust-backed) tokenizer")
        enc = self._backend.encode(text, add_special_tokens=False)
        return list(enc.ids), [(int(a), int(b)) for a, b in enc.offsets]

    def decode(self, ids: Any) -> str:
        """Text of ``ids``, special tokens dropped."""
        ids = [int(i) for i in ids]
        if self._backend is not None:
            return str(self._backend.decode(ids, skip_special_tokens=True))
        return str(self.hf.decode(ids, skip_special_tokens=True))

    def __repr__(self) -> str:
        return f"Tokenizer({type(self.hf).__name__}, vocab_size={self.vocab_size})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Tokenizer, (self.hf,))


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters (used by ByteLevel BPE)."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, (chr(c) for c in chars), strict=True))


def _byte_level_table(backend: Any, special: set[int]) -> list[bytes] | None:
    """Per-token bytes for a plain byte-level BPE, so that a growing response can be decoded
    by appending bytes instead of re-decoding every token (dense rewards decode each prefix).
    None for any other kind of tokenizer: those always go through ``decode``."""
    import json

    try:
        spec = json.loads(backend.to_str())
    except Exception:
        return None
    decoder = spec.get("decoder") or {}
    model = spec.get("model") or {}
    added = [t for t in spec.get("added_tokens", []) if not t.get("special")]
    if decoder.get("type") != "ByteLevel" or model.get("type") != "BPE" or added:
        return None
    inverse = {c: b for b, c in _bytes_to_unicode().items()}
    table: list[bytes] = []
    for i in range(backend.get_vocab_size(with_added_tokens=True)):
        token = backend.id_to_token(i)
        if i in special or token is None:
            table.append(b"")
            continue
        try:
            table.append(bytes(inverse[c] for c in token))
        except KeyError:
            return None
    return table


def _offline_env() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@lru_cache(maxsize=8)
def _load_file(path: str) -> Any:
    _offline_env()
    transformers = require("transformers", "text", "text environments")
    return transformers.PreTrainedTokenizerFast(
        tokenizer_file=path, pad_token=PAD, bos_token=BOS, eos_token=EOS, unk_token=UNK,
        clean_up_tokenization_spaces=False,
    )  # fmt: skip


def load_tokenizer(tokenizer: Any = None) -> Tokenizer:
    """Resolve ``tokenizer=``: None (bundled), a ``Tokenizer``, a Hugging Face tokenizer
    object, a ``tokenizer.json`` file, or a local folder / cached model name for
    ``AutoTokenizer`` (offline: nothing is downloaded)."""
    if tokenizer is None:
        path = bundled_tokenizer_path()
        if not path.exists():
            raise FileNotFoundError(
                f"the bundled tokenizer is missing ({path}); rebuild it with "
                "python scripts/train_tokenizer.py"
            )
        return Tokenizer(_load_file(str(path)))
    if isinstance(tokenizer, Tokenizer):
        return tokenizer
    if isinstance(tokenizer, (str, Path)):
        path = Path(tokenizer)
        if path.is_file() and path.suffix == ".json":
            return Tokenizer(_load_file(str(path.resolve())))
        _offline_env()
        transformers = require("transformers", "text", "Hugging Face tokenizers")
        try:
            hf = transformers.AutoTokenizer.from_pretrained(
                str(tokenizer), trust_remote_code=False, local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"could not load a tokenizer from {str(tokenizer)!r} offline: {exc}. Pass a "
                "tokenizer object, a tokenizer.json file, or a local model folder"
            ) from exc
        return Tokenizer(hf)
    if hasattr(tokenizer, "all_special_ids") and hasattr(tokenizer, "decode"):
        return Tokenizer(tokenizer)
    raise TypeError(
        f"tokenizer= expects None, a path, a model folder, or a Hugging Face tokenizer, "
        f"got {type(tokenizer).__name__}"
    )
