"""Assemble the bundled recommendation catalogue from the hand-written parts, with checks.

Reads ``rl_nlp_envs/data/recommend/parts/items_*.jsonl`` and writes ``items.jsonl.gz`` (gzip
without a timestamp). Run: ``python scripts/build_recommend_data.py``.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1] / "rl_nlp_envs" / "data" / "recommend"
KEYS = ("id", "kind", "title", "description", "topics", "quality", "length_minutes", "clickbait")
KINDS = ("article", "film", "podcast", "product", "recipe", "video")
TOPICS = (
    "art", "business", "cars", "education", "fashion", "film", "finance", "food", "gaming",
    "health", "history", "home", "music", "nature", "parenting", "politics", "science",
    "sports", "technology", "travel",
)  # fmt: skip
MIN_ITEMS = 1000


def check(row: dict[str, Any], where: str) -> list[str]:
    """Problems of one catalogue row (empty when it is well formed)."""
    missing = [k for k in KEYS if k not in row]
    if missing:
        return [f"{where}: missing {missing}"]
    problems = []
    extra = sorted(set(row) - set(KEYS))
    if extra:
        problems.append(f"{where}: unexpected keys {extra}")
    if row["kind"] not in KINDS:
        problems.append(f"{where}: kind {row['kind']!r} not in {KINDS}")
    for key in ("title", "description"):
        if not isinstance(row[key], str) or not row[key].strip():
            problems.append(f"{where}: {key} must be non-empty text")
    title_words = len(str(row["title"]).split())
    if not 2 <= title_words <= 20:
        problems.append(f"{where}: title has {title_words} words (allowed 2..20)")
    desc_words = len(str(row["description"]).split())
    if not 15 <= desc_words <= 80:
        problems.append(f"{where}: description has {desc_words} words (allowed 15..80)")
    topics = row["topics"]
    if not isinstance(topics, list) or not 1 <= len(topics) <= 3 or len(set(topics)) != len(topics):
        problems.append(f"{where}: topics must be 1 to 3 distinct labels")
    elif any(t not in TOPICS for t in topics):
        problems.append(f"{where}: unknown topic in {topics}; allowed: {TOPICS}")
    quality = row["quality"]
    if not isinstance(quality, (int, float)) or not 0.0 <= quality <= 1.0:
        problems.append(f"{where}: quality must be a number in [0, 1]")
    length = row["length_minutes"]
    if not isinstance(length, (int, float)) or not 1 <= length <= 240:
        problems.append(f"{where}: length_minutes must be in [1, 240]")
    if not isinstance(row["clickbait"], bool):
        problems.append(f"{where}: clickbait must be true or false")
    elif row["clickbait"] and isinstance(quality, (int, float)) and quality > 0.3:
        problems.append(f"{where}: a clickbait item must have quality <= 0.3")
    return problems


def main() -> None:
    rows, problems = [], []
    files = sorted((ROOT / "parts").glob("items_*.jsonl"))
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{path.name}:{number}: invalid JSON ({exc.msg})")
                continue
            problems.extend(check(row, f"{path.name}:{number}"))
            rows.append(row)
    ids = Counter(r.get("id") for r in rows)
    problems += [f"duplicate id {i}" for i, c in ids.items() if c > 1]
    titles = Counter(r.get("title") for r in rows)
    problems += [f"duplicate title {t!r}" for t, c in titles.items() if c > 1]
    if len(rows) < MIN_ITEMS:
        problems.append(f"only {len(rows)} items; at least {MIN_ITEMS} are required")
    used = {t for r in rows for t in r.get("topics", [])}
    if used != set(TOPICS):
        problems.append(f"topics never used: {sorted(set(TOPICS) - used)}")
    if problems:
        print("\n".join(problems[:50]))
        sys.exit(f"{len(problems)} problem(s)")
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    out = ROOT / "items.jsonl.gz"
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(payload)
    print(f"{out.name}: {len(rows)} items, kinds {dict(Counter(r['kind'] for r in rows))}, "
          f"clickbait {sum(r['clickbait'] for r in rows)}, topics {len(used)}")  # fmt: skip


if __name__ == "__main__":
    main()
