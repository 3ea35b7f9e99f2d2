"""Check the hand-written Vellmar database and ship it as ``vellmar_db.json.gz``.

Reads ``rl_nlp_envs/data/dialogue/parts/vellmar_db.json``, runs the same checks the
environment runs at load time (required fields, unique ids and names, known areas and price
ranges, boolean flags) plus counts, and writes ``rl_nlp_envs/data/dialogue/vellmar_db.json.gz``
(gzip without a timestamp, so rebuilding gives the same bytes).
Run: ``python scripts/build_dialogue_data.py``.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rl_nlp_envs.envs.dialogue.database import TABLES, check_database, read_database_json  # noqa: E402

DATA = ROOT / "rl_nlp_envs" / "data" / "dialogue"
MINIMUM = {"restaurants": 100, "hotels": 60, "attractions": 40}


def main() -> None:
    source = DATA / "parts" / "vellmar_db.json"
    data = read_database_json(source)
    problems = check_database(data, source.name)
    for table, least in MINIMUM.items():
        if len(data.get(table, [])) < least:
            problems.append(f"{source.name}: only {len(data.get(table, []))} {table}, want {least}")
    if problems:
        print("\n".join(problems[:50]))
        sys.exit(f"{len(problems)} problem(s)")
    out = DATA / "vellmar_db.json.gz"
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(payload.encode("utf-8"))
    counts = {table: len(data[table]) for table in TABLES.values()}
    areas = Counter(row["area"] for table in TABLES.values() for row in data[table])
    print(f"{out.name}: {counts}, areas {dict(areas)}, {out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
