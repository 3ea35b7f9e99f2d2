"""Assemble the bundled QA set (SQuAD v2.0 layout) from the hand-written parts, with checks.

Reads ``rl_nlp_envs/data/qa/parts/part*.json``, checks every answer offset and the counts,
and writes ``qa.json.gz`` (gzip without a timestamp). Run: ``python scripts/build_qa_data.py``.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "rl_nlp_envs" / "data" / "qa"


def main() -> None:
    articles, problems, ids = [], [], Counter()
    for path in sorted((ROOT / "parts").glob("part*.json")):
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            articles.append(article)
            for para in article["paragraphs"]:
                context = para["context"]
                for qa in para["qas"]:
                    ids[qa["id"]] += 1
                    for ans in qa["answers"]:
                        start, text = ans["answer_start"], ans["text"]
                        if context[start : start + len(text)] != text:
                            problems.append(f"{path.name} {qa['id']}: offset of {text!r} is wrong")
                    if not qa["answers"] and not qa.get("is_impossible"):
                        problems.append(f"{path.name} {qa['id']}: no answers")
    problems += [f"duplicate question id {i}" for i, c in ids.items() if c > 1]
    titles = Counter(a["title"] for a in articles)
    problems += [f"duplicate title {t!r}" for t, c in titles.items() if c > 1]
    if problems:
        print("\n".join(problems[:50]))
        sys.exit(f"{len(problems)} problem(s)")
    out = ROOT / "qa.json.gz"
    payload = json.dumps({"version": "rlnlp-qa-1.0", "data": articles}, ensure_ascii=False)
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(payload.encode("utf-8"))
    questions = [qa for a in articles for p in a["paragraphs"] for qa in p["qas"]]
    impossible = sum(bool(qa.get("is_impossible")) for qa in questions)
    print(f"{out.name}: {len(articles)} passages {dict(Counter(a['split'] for a in articles))}, "
          f"{len(questions)} questions ({impossible} unanswerable)")  # fmt: skip


if __name__ == "__main__":
    main()
