"""The ``rlnlp`` command: list, play, record, baseline, baselines and bench."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from rl_nlp_envs.registration import ENV_IDS, ENV_TABLE, env_spec

#: agents that take ``--model PATH``
MODEL_AGENTS = ("rl_nlp_envs.agents.seq2seq:", "rl_nlp_envs.agents.text_rl:")
#: PettingZoo environments (no Gymnasium ids; ``baseline``/``baselines`` only): their modules
PETTINGZOO_ENVS = {"rlnlp/Negotiate-v0": "rl_nlp_envs.envs.negotiate_v0"}


class UsageError(Exception):
    """A bad command line: printed as one line, exit status 2."""


def _env_id(value: str, pettingzoo: bool = False) -> str:
    if pettingzoo and value in PETTINGZOO_ENVS:
        return value
    if value not in ENV_IDS:
        ids = [*ENV_IDS, *PETTINGZOO_ENVS] if pettingzoo else ENV_IDS
        raise UsageError(f"unknown environment {value!r}; valid ids: {', '.join(ids)}")
    return value


def _env_kwargs(pairs: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are JSON when they parse (numbers, true, null), else text."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--env-arg expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def _make(env_id: str, **kwargs: Any) -> Any:
    if env_id in PETTINGZOO_ENVS:
        import importlib

        try:
            return importlib.import_module(PETTINGZOO_ENVS[env_id]).raw_env(**kwargs)
        except TypeError as exc:
            raise UsageError(f"bad --env-arg for {env_id}: {exc}") from exc
    import gymnasium as gym

    import rl_nlp_envs  # noqa: F401  (registers the ids even with the start-up hook off)

    try:
        return gym.make(env_id, **kwargs)
    except TypeError as exc:
        raise UsageError(f"bad --env-arg for {env_id}: {exc}") from exc


def cmd_list(args: argparse.Namespace) -> int:
    """One line per environment: id, spaces, reward."""
    for spec in ENV_TABLE:
        env = _make(spec.id)
        print(f"{spec.id:24} obs={env.observation_space}  action={env.action_space}  "
              f"reward: {spec.description}")  # fmt: skip
        env.close()
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    """A person plays with the keyboard."""
    from rl_nlp_envs.play import play

    scores = play(_env_id(args.env_id), env_kwargs=_env_kwargs(args.env_arg), seed=args.seed)
    if scores:
        print(f"scores: {scores}")
    return 0


def _baseline_and_agent(args: argparse.Namespace, render_mode: str | None = None) -> Any:
    from rl_nlp_envs.agents.registry import get_baseline, make_agent

    # `record` (the only caller with a render mode) drives Gymnasium envs only
    env_id = _env_id(args.env_id, pettingzoo=render_mode is None)
    try:
        baseline = get_baseline(env_id, args.agent)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    env_kwargs = {**baseline.env_kwargs, **_env_kwargs(args.env_arg)}
    model = getattr(args, "model", None)
    if model and not baseline.factory.startswith(MODEL_AGENTS):
        raise UsageError(
            f"--model works with the seq2seq, ppo and reinforce agents, not {args.agent!r}"
        )
    if model:
        env_kwargs["tokenizer"] = model  # the env speaks the model's vocabulary
    env = _make(env_id, render_mode=render_mode, **env_kwargs)
    extra = {"model": model, "env_kwargs": env_kwargs} if model else {}
    agent = make_agent(baseline, env, seed=args.seed, **extra)
    if getattr(args, "load", None):
        agent.load(args.load)
    return baseline, env, agent


def _train(args: argparse.Namespace, baseline: Any, agent: Any) -> dict[str, Any]:
    if not baseline.learns or getattr(args, "load", None):
        return {}
    steps = args.train_steps if args.train_steps is not None else baseline.train_steps
    minutes = args.max_minutes if args.max_minutes is not None else baseline.max_minutes
    start = time.perf_counter()
    stats = agent.learn(
        steps,
        seed=args.seed,
        progress=not args.quiet,
        tensorboard_dir=getattr(args, "tensorboard", None),
        curve_path=getattr(args, "plot", None),
        max_seconds=None if minutes is None else 60.0 * minutes,
    )
    stats["train_seconds"] = time.perf_counter() - start
    stats["train_steps"] = stats.get("steps", steps)
    return stats


def cmd_baseline(args: argparse.Namespace) -> int:
    """Train (if the agent learns), evaluate and print the score."""
    from rl_nlp_envs.agents.registry import score_agent

    baseline, env, agent = _baseline_and_agent(args)
    stats = _train(args, baseline, agent)
    if args.save:
        agent.save(args.save)
    score = score_agent(baseline, agent, env, args.episodes, args.eval_seed, not args.quiet)
    env.close()
    trained = ""
    if stats:
        trained = f" (trained {stats['train_steps']:,} steps in {stats['train_seconds']:.0f}s)"
    print(f"{baseline.env_id} {baseline.name}: {score.text}{trained}")
    if args.json:
        extra = {k: v for k, v in stats.items() if k != "history"}
        print(json.dumps({"env": baseline.env_id, "agent": baseline.name, "metric": score.metric,
                          "value": score.value, **score.details, **extra}))  # fmt: skip
    return 0


def cmd_baselines(args: argparse.Namespace) -> int:
    """Every cheap baseline on every env: the README's score table."""
    from rl_nlp_envs.agents.registry import (
        BASELINES,
        PETTINGZOO_BASELINES,
        Score,
        make_agent,
        missing_requirement,
        score_agent,
    )

    rows = []
    for baseline in (*BASELINES, *PETTINGZOO_BASELINES):
        if (not baseline.cheap and not args.all) or (args.env and baseline.env_id != args.env):
            continue
        missing = missing_requirement(baseline)
        if missing:
            rows.append((baseline, Score("", float("nan"), f"skipped: {missing}")))
            continue
        env = _make(baseline.env_id, **baseline.env_kwargs)
        agent = make_agent(baseline, env, seed=args.seed)
        if baseline.learns:
            seconds = None if baseline.max_minutes is None else 60.0 * baseline.max_minutes
            agent.learn(baseline.train_steps, seed=args.seed, progress=not args.quiet,
                        max_seconds=seconds)  # fmt: skip
        score = score_agent(baseline, agent, env, args.episodes, args.eval_seed, not args.quiet)
        env.close()
        rows.append((baseline, score))
    print("| env | agent | result | training steps |")
    print("|---|---|---|---|")
    for baseline, score in rows:
        steps = f"{baseline.train_steps:,}" if baseline.learns else "-"
        print(f"| {baseline.env_id} | {baseline.name} | {score.text} | {steps} |")
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    """Render one episode of an agent to a GIF or MP4."""
    from rl_nlp_envs.record import check_output, record_episode, save_animation

    check_output(args.out)
    baseline, env, agent = _baseline_and_agent(args, render_mode="rgb_array")
    _train(args, baseline, agent)
    frames, score = record_episode(env, agent, seed=args.seed, max_steps=args.max_steps)
    out = save_animation(frames, args.out, fps=args.fps or env.metadata.get("render_fps", 10))
    env.close()
    print(f"wrote {out} ({len(frames)} frames, score {score:g})")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Steps per second of the single env and of its native batched version."""
    import gymnasium as gym

    env_id = _env_id(args.env_id)
    kwargs = _env_kwargs(args.env_arg)
    env = _make(env_id, **kwargs)
    env.reset(seed=0)
    env.action_space.seed(0)
    start = time.perf_counter()
    for _ in range(args.steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    single = args.steps / (time.perf_counter() - start)
    print(f"{env_id} single env: {single:,.0f} steps/s")
    if env_spec(env_id).vector_entry_point:
        vec = gym.make_vec(env_id, num_envs=args.num_envs, **kwargs)
        vec.reset(seed=0)
        iterations = max(10, args.steps // args.num_envs)
        actions = [vec.action_space.sample() for _ in range(min(iterations, 64))]
        vec.step(actions[0])
        start = time.perf_counter()
        for t in range(iterations):
            vec.step(actions[t % len(actions)])
        rate = iterations * args.num_envs / (time.perf_counter() - start)
        print(f"{env_id} native vector env, {args.num_envs} envs: {rate:,.0f} steps/s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``rlnlp``."""
    parser = argparse.ArgumentParser(prog="rlnlp", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="list environments").set_defaults(func=cmd_list)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--env-arg", action="append", default=[], metavar="KEY=VALUE",
                       help="environment constructor argument (repeatable)")  # fmt: skip
        p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("play", help="play an environment with the keyboard")
    p.add_argument("env_id")
    common(p)
    p.set_defaults(func=cmd_play)

    def agent_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("env_id")
        p.add_argument("--agent", required=True)
        p.add_argument("--train-steps", type=int, default=None)
        p.add_argument(
            "--max-minutes",
            type=float,
            default=None,
            help="stop training after this wall time (learning agents)",
        )
        p.add_argument("--load", metavar="DIR", help="load a checkpoint instead of training")
        p.add_argument("--model", metavar="PATH",
                       help="local Hugging Face seq2seq or causal LM folder (with its tokenizer) "
                       "for the seq2seq, ppo and reinforce agents")  # fmt: skip
        p.add_argument("--quiet", action="store_true", help="no progress bars")
        common(p)

    p = sub.add_parser("baseline", help="train (if it learns) and evaluate one agent")
    agent_args(p)
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--eval-seed", type=int, default=1000)
    p.add_argument("--save", metavar="DIR", help="save the agent after training")
    p.add_argument("--tensorboard", metavar="DIR", help="write TensorBoard logs")
    p.add_argument("--plot", metavar="PNG", help="write a learning-curve plot")
    p.add_argument("--json", action="store_true", help="also print the result as JSON")
    p.set_defaults(func=cmd_baseline)

    p = sub.add_parser("baselines", help="all cheap baselines on all envs (a markdown table)")
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-seed", type=int, default=1000)
    p.add_argument("--all", action="store_true", help="include the expensive learners too")
    p.add_argument("--env", help="only this environment id")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_baselines)

    p = sub.add_parser("record", help="record an agent's episode to a GIF or MP4")
    agent_args(p)
    p.add_argument("--out", required=True, help="output .gif or .mp4")
    p.add_argument("--max-steps", type=int, default=2000)
    p.add_argument("--fps", type=int, default=None)
    p.set_defaults(func=cmd_record)

    p = sub.add_parser("bench", help="steps per second")
    p.add_argument("env_id")
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--num-envs", type=int, default=1024)
    p.add_argument("--env-arg", action="append", default=[], metavar="KEY=VALUE")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rlnlp`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"rlnlp: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, ImportError, RuntimeError) as exc:
        print(f"rlnlp: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
