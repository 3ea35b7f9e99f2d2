"""Train the bundled byte-level BPE tokenizer on every bundled corpus.

Collects every text string of ``rl_nlp_envs/data/**/*.json[l].gz`` (ids, splits, labels
excluded), trains a byte-level BPE with the ``tokenizers`` library and writes
``rl_nlp_envs/data/tokenizer/tokenizer.json``. Run: ``python scripts/train_tokenizer.py``.
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

DATA = Path(__file__).resolve().parents[1] / "rl_nlp_envs" / "data"
SKIP_KEYS = {"id", "split", "topic", "genre", "answer_start", "version", "is_impossible"}
SPECIAL = ["<pad>", "<s>", "</s>", "<unk>"]


def texts(value: object, key: str = "") -> Iterator[str]:
    if key in SKIP_KEYS:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from texts(item, key)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from texts(v, k)


def corpus() -> list[str]:
    out: list[str] = []
    for path in sorted(DATA.rglob("*.json*.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            if path.name.endswith(".jsonl.gz"):
                for line in fh:
                    out.extend(texts(json.loads(line)))
            else:
                out.extend(texts(json.load(fh)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vocab-size", type=int, default=6000)
    args = parser.parse_args()
    lines = corpus()
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=args.vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(lines, trainer=trainer, length=len(lines))
    out = DATA / "tokenizer" / "tokenizer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(out))
    print(f"trained on {len(lines)} texts; vocabulary {tok.get_vocab_size()}; wrote {out}")


if __name__ == "__main__":
    main()
