"""Assemble the bundled translation corpora from the hand-written parts, with checks.

Reads ``rl_nlp_envs/data/translate/parts/en-de_*.jsonl`` and ``en-zh*.jsonl`` (written by the
project, see DATA.md), checks every row, and writes ``en-de.jsonl.gz`` and ``en-zh.jsonl.gz``
(reproducible: gzip without a timestamp). Run: ``python scripts/build_translate_data.py``.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "rl_nlp_envs" / "data" / "translate"
CJK = re.compile(r"[\u4e00-\u9fff]")


def check_row(row: dict, where: str, tgt: str) -> list[str]:
    problems = []
    for key in ("id", "split", "en", tgt):
        if key not in row:
            problems.append(f"{where}: missing {key!r}")
    if problems:
        return problems
    if row["split"] not in ("train", "validation", "test"):
        problems.append(f"{where}: bad split {row['split']!r}")
    n = 2 if row["split"] == "test" else 1
    for lang in ("en", tgt):
        texts = row[lang]
        if (
            not isinstance(texts, list)
            or len(texts) != n
            or not all(isinstance(t, str) and t.strip() == t and t for t in texts)
        ):
            problems.append(f"{where}: {lang!r} must be {n} trimmed non-empty string(s)")
    if not problems:
        words = len(row["en"][0].split())
        if not 3 <= words <= 35:
            problems.append(f"{where}: English has {words} words (allowed 3..35)")
        if tgt == "zh" and not all(CJK.search(t) for t in row["zh"]):
            problems.append(f"{where}: Chinese text without CJK characters")
        if row["split"] == "test" and (row["en"][0] == row["en"][1] or row[tgt][0] == row[tgt][1]):
            problems.append(f"{where}: second reference identical to the first")
    return problems


def build(pattern: str, tgt: str, out_name: str) -> None:
    rows, problems = [], []
    files = sorted(ROOT.glob(f"parts/{pattern}"))
    if not files:
        sys.exit(f"no part files match parts/{pattern}")
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.name}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: invalid JSON ({exc.msg})")
                continue
            problems.extend(check_row(row, where, tgt))
            rows.append(row)
    ids = Counter(r.get("id") for r in rows)
    problems += [f"duplicate id {i}" for i, c in ids.items() if c > 1]
    english = Counter(r["en"][0].lower() for r in rows if r.get("en"))
    problems += [f"duplicate English sentence: {s!r}" for s, c in english.items() if c > 1]
    if problems:
        print("\n".join(problems[:50]))
        sys.exit(f"{len(problems)} problem(s) in {pattern}")
    out = ROOT / out_name
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(payload)
    splits = Counter(r["split"] for r in rows)
    print(f"{out_name}: {len(rows)} pairs {dict(splits)} from {len(files)} file(s)")


def main() -> None:
    build("en-de_*.jsonl", "de", "en-de.jsonl.gz")
    build("en-zh*.jsonl", "zh", "en-zh.jsonl.gz")


if __name__ == "__main__":
    main()
