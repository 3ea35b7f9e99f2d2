"""Supervised start vs RL fine-tuning on a text env, over seeds, next to the heuristic baselines.

For each seed: train the small seq2seq transformer with teacher forcing (the supervised start),
score it on the test split (greedy decoding, corpus metrics), fine-tune it with PPO (or
REINFORCE) through the vectorized env, score it again. Prints a markdown table (heuristics, then
supervised and RL as mean ± std over seeds, then the RL gain) with wall times, and writes every
number to ``OUT/results.json`` (checkpoints, TensorBoard logs and learning curves go to OUT too).

    OMP_NUM_THREADS=1 nice -n 10 python scripts/run_text_rl.py --env rlnlp/Translate-v0 \
        --algorithm ppo --seeds 0 1 2 --out runs/translate_ppo
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import rl_nlp_envs  # noqa: F401  (registers the ids)

#: per-env settings: env arguments, supervised and RL overrides, the metrics of the table
SETTINGS: dict[str, dict[str, Any]] = {
    "rlnlp/Translate-v0": {
        "env_kwargs": {},
        "supervised": {},
        "rl": {"updates": 40, "eval_examples": 200, "learning_rate": 3e-5, "temperature": 0.6},
        "metrics": ("bleu", "chrf"),
    },
    "rlnlp/Summarize-v0": {
        "env_kwargs": {"max_prompt_tokens": 384},
        "supervised": {"epochs": 30, "batch_size": 16, "eval_examples": 40},
        "rl": {"num_envs": 8, "episodes_per_update": 32, "minibatch_size": 8, "updates": 20,
               "eval_examples": 40},
        "metrics": ("rouge1", "rouge2", "rougeL"),
    },
    "rlnlp/QA-v0": {
        "env_kwargs": {"max_prompt_tokens": 256},
        "supervised": {"epochs": 30},
        "rl": {"updates": 30},
        "metrics": ("f1", "exact_match"),
    },
}  # fmt: skip


def _agent_class(algorithm: str) -> Any:
    from rl_nlp_envs.agents.text_rl import PPOAgent, ReinforceAgent

    classes = {"ppo": PPOAgent, "reinforce": ReinforceAgent}
    if algorithm not in classes:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of: {', '.join(classes)}")
    return classes[algorithm]


def run_seed(
    env_id: str,
    algorithm: str,
    seed: int,
    out: str | Path | None = None,
    supervised: dict[str, Any] | None = None,
    rl: dict[str, Any] | None = None,
    progress: bool = False,
    shared_start: str | Path | None = None,
    supervised_minutes: float | None = 18.0,
) -> dict[str, Any]:
    """Supervised start then RL on one seed; test-split corpus metrics of both, wall times."""
    import torch

    from rl_nlp_envs.agents.seq2seq import Seq2SeqAgent, decode_split

    torch.set_num_threads(1)
    settings = SETTINGS[env_id]
    env_kwargs = dict(settings["env_kwargs"])
    env = gym.make(env_id, **env_kwargs)
    folder = Path(out or f"runs/{env_id.split('/')[-1]}_{algorithm}") / f"seed{seed}"
    start = time.perf_counter()
    sup = Seq2SeqAgent(env, seed=seed, env_kwargs=env_kwargs,
                       supervised={**settings["supervised"], **(supervised or {})})  # fmt: skip
    if shared_start is None:
        budget = None if supervised_minutes is None else 60.0 * supervised_minutes
        sup_stats = sup.learn(0, progress=progress, curve_path=folder / "supervised.png",
                              max_seconds=budget)  # fmt: skip
        sup_validation: float | None = sup_stats["best_validation"]
        sup_seconds: float | None = time.perf_counter() - start
    else:  # one supervised start shared by the seeds: only RL differs between them
        sup.load(shared_start)
        sup_validation = sup_seconds = None
    sup.save(folder / "supervised")
    sup_test = decode_split(sup.policy, env, "test", progress=progress, label="test supervised")
    start = time.perf_counter()
    agent = _agent_class(algorithm)(
        env, seed=seed, start=folder / "supervised", env_kwargs=env_kwargs,
        rl={**settings["rl"], **(rl or {})},
    )  # fmt: skip
    rl_stats = agent.learn(0, progress=progress, tensorboard_dir=folder / "tb",
                           curve_path=folder / f"{algorithm}.png")  # fmt: skip
    agent.save(folder / algorithm)
    rl_seconds = time.perf_counter() - start
    rl_test = decode_split(agent.policy, env, "test", progress=progress, label=f"test {algorithm}")
    env.close()
    return {
        "seed": seed, "supervised": sup_test.corpus, "rl": rl_test.corpus,
        "supervised_seconds": sup_seconds, "rl_seconds": rl_seconds,
        "supervised_validation": sup_validation,
        "rl_history": rl_stats["rl"]["history"], "rl_updates": rl_stats["rl"]["updates"],
        "rl_env_steps": rl_stats["rl"]["steps"],
        "examples": [{"reference": r[0], "supervised": s, "rl": h} for r, s, h in
                     zip(rl_test.references[:5], sup_test.hypotheses[:5], rl_test.hypotheses[:5],
                         strict=True)],
    }  # fmt: skip


def heuristic_rows(env_id: str) -> list[tuple[str, dict[str, float]]]:
    """Test-split corpus metrics of the env's non-learning baselines."""
    from rl_nlp_envs.agents.evaluate import evaluate_split
    from rl_nlp_envs.agents.registry import baselines_for, make_agent

    rows = []
    for baseline in baselines_for(env_id).values():
        if baseline.learns or not baseline.cheap:
            continue
        env = gym.make(env_id, **baseline.env_kwargs)
        agent = make_agent(baseline, env, seed=0)
        result = evaluate_split(agent, env, "test", progress=False)
        rows.append((baseline.name, result.corpus))
        env.close()
    return rows


def table(env_id: str, algorithm: str, runs: list[dict[str, Any]],
          heuristics: list[tuple[str, dict[str, float]]]) -> str:  # fmt: skip
    """The markdown table of a run."""
    metrics = SETTINGS[env_id]["metrics"]
    n = len(runs)
    head = "| agent | " + " | ".join(f"test {m}" for m in metrics) + " | train wall time |"
    lines = [head, "|---" * (len(metrics) + 2) + "|"]
    for name, corpus in heuristics:
        cells = " | ".join(f"{corpus.get(m, float('nan')):.2f}" for m in metrics)
        lines.append(f"| {name} | {cells} | - |")

    def mean_std(key: str, metric: str) -> str:
        values = [r[key][metric] for r in runs]
        return f"{np.mean(values):.2f} ± {np.std(values):.2f}"

    times = [r["supervised_seconds"] for r in runs if r["supervised_seconds"] is not None]
    sup_time = f"{np.mean(times) / 60:.1f} min" if times else "shared start"
    rl_time = np.mean([r["rl_seconds"] for r in runs]) / 60
    cells = " | ".join(mean_std("supervised", m) for m in metrics)
    lines.append(f"| seq2seq (supervised start, {n} seeds) | {cells} | {sup_time} |")
    cells = " | ".join(mean_std("rl", m) for m in metrics)
    lines.append(f"| seq2seq + {algorithm} ({n} seeds) | {cells} | + {rl_time:.1f} min |")
    gains = " | ".join(
        f"{np.mean([r['rl'][m] - r['supervised'][m] for r in runs]):+.2f}" for m in metrics
    )
    lines.append(f"| gain of {algorithm} | {gains} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the seeds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="rlnlp/Translate-v0", choices=sorted(SETTINGS))
    parser.add_argument("--algorithm", default="ppo", choices=["ppo", "reinforce"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default=None, help="folder for checkpoints, logs, results")
    parser.add_argument("--supervised", default="{}", help="JSON overrides of SupervisedConfig")
    parser.add_argument("--rl", default="{}", help="JSON overrides of RLConfig")
    parser.add_argument(
        "--start",
        default=None,
        help="a Seq2SeqAgent checkpoint shared by all seeds (skips supervised)",
    )
    parser.add_argument(
        "--supervised-minutes",
        type=float,
        default=18.0,
        help="wall-time budget of each supervised start",
    )
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    out = Path(args.out or f"runs/{args.env.split('/')[-1]}_{args.algorithm}")
    out.mkdir(parents=True, exist_ok=True)
    runs = []
    for seed in args.seeds:
        row = run_seed(args.env, args.algorithm, seed, out, json.loads(args.supervised),
                       json.loads(args.rl), args.progress, args.start,
                       args.supervised_minutes)  # fmt: skip
        runs.append(row)
        print(json.dumps({k: v for k, v in row.items() if k not in ("rl_history", "examples")}),
              flush=True)  # fmt: skip
        (out / "results.json").write_text(json.dumps({"runs": runs}, indent=1))
    heuristics = heuristic_rows(args.env)
    text = table(args.env, args.algorithm, runs, heuristics)
    (out / "results.json").write_text(
        json.dumps({"runs": runs, "heuristics": dict(heuristics), "table": text}, indent=1)
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
