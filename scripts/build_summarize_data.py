"""Assemble the bundled summarisation corpus from the hand-written parts, with checks.

Reads ``rl_nlp_envs/data/summarize/parts/*.jsonl`` and writes ``summaries.jsonl.gz``
(gzip without a timestamp). Run: ``python scripts/build_summarize_data.py``.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "rl_nlp_envs" / "data" / "summarize"


def check(row: dict, where: str) -> list[str]:
    problems = []
    for key in ("id", "genre", "split", "document", "summaries"):
        if key not in row:
            problems.append(f"{where}: missing {key!r}")
    if problems:
        return problems
    words = len(row["document"].split())
    if not 120 <= words <= 400:
        problems.append(f"{where}: document has {words} words (allowed 120..400)")
    expected = 2 if row["split"] == "test" else 1
    summaries = row["summaries"]
    if not isinstance(summaries, list) or len(summaries) != expected:
        problems.append(f"{where}: expected {expected} summaries")
    elif any(not 15 <= len(s.split()) <= 70 for s in summaries):
        problems.append(f"{where}: a summary outside 15..70 words")
    if row["split"] not in ("train", "validation", "test"):
        problems.append(f"{where}: bad split")
    return problems


def main() -> None:
    rows, problems = [], []
    files = sorted((ROOT / "parts").glob("*.jsonl"))
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            row = json.loads(line)
            problems.extend(check(row, f"{path.name}:{number}"))
            rows.append(row)
    ids = Counter(r["id"] for r in rows)
    problems += [f"duplicate id {i}" for i, c in ids.items() if c > 1]
    docs = Counter(r["document"] for r in rows)
    problems += ["duplicate document" for _, c in docs.items() if c > 1]
    if problems:
        print("\n".join(problems[:50]))
        sys.exit(f"{len(problems)} problem(s)")
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    out = ROOT / "summaries.jsonl.gz"
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(payload)
    print(f"{out.name}: {len(rows)} pairs {dict(Counter(r['split'] for r in rows))} "
          f"genres {dict(Counter(r['genre'] for r in rows))}")  # fmt: skip


if __name__ == "__main__":
    main()
