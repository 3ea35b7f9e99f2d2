"""The item catalogue of ``rlnlp/Recommend-v0``: items, their labels, and vectors from their text.

Pure numpy, no Gymnasium. The bundled catalogue (``data/recommend/items.jsonl.gz``, 1,000
items written by this project) is loaded once per process. Item vectors come from the text
(title counted twice, plus the description): TF-IDF over lower-cased words occurring in at
least two items, reduced by a truncated SVD computed with numpy (the eigen-decomposition of
the item Gram matrix), then L2-normalised. With the ``llm`` extra, ``item_vectors="minilm"``
embeds ``title. description`` with the all-MiniLM-L6-v2 sentence encoder
(``rl_nlp_envs.core.encoder``) and reduces the 384 dimensions to the same width by SVD.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from rl_nlp_envs.core.loaders import CatalogueRow, read_item_catalogue

TOPICS: tuple[str, ...] = (
    "art", "business", "cars", "education", "fashion", "film", "finance", "food", "gaming",
    "health", "history", "home", "music", "nature", "parenting", "politics", "science",
    "sports", "technology", "travel",
)  # fmt: skip
ITEM_VECTORS = ("tfidf", "minilm")
DEFAULT_QUALITY = 0.5
DEFAULT_CLICKBAIT_QUALITY = 0.1
DEFAULT_LENGTH = 10.0
MAX_LENGTH = 240.0
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@dataclass
class Catalogue:
    """Items as parallel arrays, plus the feature matrix the agent observes.

    ``features`` rows are ``[text vector (text_dim) | topic multi-hot | kind one-hot |
    log-length in [0, 1]]`` as float32 in [-1, 1]; ``feature_names`` names every column.
    ``quality`` and ``clickbait`` are hidden from the agent: the user model uses them.
    """

    ids: list[str]
    titles: list[str]
    descriptions: list[str]
    kinds: list[str]
    topic_names: tuple[str, ...]
    kind_names: tuple[str, ...]
    topic_hot: np.ndarray
    quality: np.ndarray
    length: np.ndarray
    clickbait: np.ndarray
    text_vectors: np.ndarray
    features: np.ndarray = field(init=False)
    topic_weights: np.ndarray = field(init=False)
    feature_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.ids)
        kind_index = {k: i for i, k in enumerate(self.kind_names)}
        kind_hot = np.zeros((n, len(self.kind_names)), dtype=np.float64)
        kind_hot[np.arange(n), [kind_index[k] for k in self.kinds]] = 1.0
        length_feature = np.log1p(self.length) / math.log1p(MAX_LENGTH)
        self.features = np.concatenate(
            [self.text_vectors, self.topic_hot, kind_hot, length_feature[:, None]], axis=1
        ).astype(np.float32)
        self.topic_weights = self.topic_hot / self.topic_hot.sum(axis=1, keepdims=True)
        dim = self.text_vectors.shape[1]
        self.feature_names = (
            tuple(f"text_{i}" for i in range(dim))
            + tuple(f"topic_{t}" for t in self.topic_names)
            + tuple(f"kind_{k}" for k in self.kind_names)
            + ("log_length",)
        )

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_topics(self) -> int:
        """Number of topic labels."""
        return len(self.topic_names)

    @property
    def text_dim(self) -> int:
        """Width of the text vectors."""
        return int(self.text_vectors.shape[1])


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def tfidf_svd_vectors(texts: list[str], dim: int) -> np.ndarray:
    """Unit-norm ``(len(texts), dim)`` vectors: TF-IDF reduced by truncated SVD (numpy only).

    Terms are the words of at least two texts (all words when that leaves none); term
    frequency is ``log(1 + count)``, idf the smoothed ``log((1 + n) / (1 + df)) + 1``.
    Each singular direction's sign is fixed so that its largest component is positive.
    """
    docs = [_words(t) for t in texts]
    df = Counter(w for d in docs for w in set(d))
    vocab = sorted(w for w, c in df.items() if c >= 2) or sorted(df)
    if not vocab:
        raise ValueError("the item texts contain no words")
    index = {w: i for i, w in enumerate(vocab)}
    counts = np.zeros((len(texts), len(vocab)), dtype=np.float64)
    for row, doc in enumerate(docs):
        for word, c in Counter(doc).items():
            col = index.get(word)
            if col is not None:
                counts[row, col] = c
    n = len(texts)
    idf = np.log((1.0 + n) / (1.0 + np.array([df[w] for w in vocab], dtype=np.float64))) + 1.0
    x = np.log1p(counts) * idf
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return svd_reduce(x, dim)


def svd_reduce(x: np.ndarray, dim: int) -> np.ndarray:
    """Project rows of ``x`` on their top ``dim`` singular directions; unit-norm rows."""
    gram = x @ x.T
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1][: min(dim, x.shape[0])]
    u = vectors[:, order] * np.sqrt(np.maximum(values[order], 0.0))
    flip = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])])
    u = u * np.where(flip == 0, 1.0, flip)
    if u.shape[1] < dim:
        u = np.pad(u, ((0, 0), (0, dim - u.shape[1])))
    return u / np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)


def minilm_vectors(texts: list[str], dim: int) -> np.ndarray:
    """Unit-norm ``(len(texts), dim)`` vectors: all-MiniLM-L6-v2 embeddings reduced by SVD."""
    from rl_nlp_envs.core.encoder import load_sentence_encoder

    embedded = np.asarray(load_sentence_encoder().encode(texts, batch_size=64), dtype=np.float64)
    return svd_reduce(embedded - embedded.mean(axis=0), dim)


def _item_text(title: str, description: str) -> str:
    return f"{title} {title} {description}"


def catalogue_from_rows(
    rows: list[CatalogueRow], text_dim: int = 16, item_vectors: str = "tfidf"
) -> Catalogue:
    """Build a catalogue from loaded rows; missing optional fields get documented defaults
    (quality 0.5, or 0.1 for clickbait; length 10 minutes; kind ``"item"``)."""
    if item_vectors not in ITEM_VECTORS:
        raise ValueError(f"unknown item_vectors {item_vectors!r}; choose one of: {ITEM_VECTORS}")
    if not isinstance(text_dim, int) or not 1 <= text_dim <= 256:
        raise ValueError(f"text_dim must be an int in [1, 256], got {text_dim!r}")
    if len(rows) < 2:
        raise ValueError(f"a catalogue needs at least 2 items, got {len(rows)}")
    topic_names = tuple(sorted({t for r in rows for t in r.topics}))
    kinds = [r.kind or "item" for r in rows]
    topic_index = {t: i for i, t in enumerate(topic_names)}
    hot = np.zeros((len(rows), len(topic_names)), dtype=np.float64)
    for i, r in enumerate(rows):
        hot[i, [topic_index[t] for t in r.topics]] = 1.0
    clickbait = np.array([bool(r.clickbait) for r in rows])
    quality = np.array(
        [
            r.quality
            if r.quality is not None
            else (DEFAULT_CLICKBAIT_QUALITY if r.clickbait else DEFAULT_QUALITY)
            for r in rows
        ],
        dtype=np.float64,
    )
    length = np.array(
        [r.length_minutes if r.length_minutes is not None else DEFAULT_LENGTH for r in rows],
        dtype=np.float64,
    )
    if item_vectors == "minilm":
        vectors = minilm_vectors([f"{r.title}. {r.description}" for r in rows], text_dim)
    else:
        vectors = tfidf_svd_vectors([_item_text(r.title, r.description) for r in rows], text_dim)
    return Catalogue(
        ids=[r.id for r in rows],
        titles=[r.title for r in rows],
        descriptions=[r.description for r in rows],
        kinds=kinds,
        topic_names=topic_names,
        kind_names=tuple(sorted(set(kinds))),
        topic_hot=hot,
        quality=quality,
        length=length,
        clickbait=clickbait,
        text_vectors=vectors,
    )


def bundled_rows() -> list[CatalogueRow]:
    """The 1,000 bundled items."""
    ref = resources.files("rl_nlp_envs") / "data" / "recommend" / "items.jsonl.gz"
    with resources.as_file(ref) as path:
        return read_item_catalogue(path)


@lru_cache(maxsize=8)
def _cached(source: str | None, text_dim: int, item_vectors: str) -> Catalogue:
    rows = bundled_rows() if source is None else read_item_catalogue(source)
    return catalogue_from_rows(rows, text_dim, item_vectors)


def load_catalogue(
    catalogue: Catalogue | str | Path | None = None, text_dim: int = 16, item_vectors: str = "tfidf"
) -> Catalogue:
    """The bundled catalogue (``None``), a CSV/JSONL file, or a ``Catalogue`` passed through.

    Files and the bundled catalogue are read once per process and arguments.
    """
    if isinstance(catalogue, Catalogue):
        return catalogue
    if catalogue is None:
        return _cached(None, text_dim, item_vectors)
    if isinstance(catalogue, (str, Path)):
        path = Path(catalogue)
        if not path.exists():
            raise FileNotFoundError(f"catalogue path {path} does not exist")
        return _cached(str(path.resolve()), text_dim, item_vectors)
    raise TypeError(
        f"catalogue must be None, a path or a Catalogue, got {type(catalogue).__name__}"
    )
