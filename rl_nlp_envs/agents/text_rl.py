"""RL fine-tuning of a text policy through a vectorized text env's token mode.

``RolloutCollector`` plays a ``TextPolicy`` in any Gymnasium ``VectorEnv`` (the native batched
env or ``vectorization_mode="sync"``; next-step autoreset) and returns finished episodes.
``ppo_update`` is PPO with a per-token KL penalty to a frozen reference policy whose coefficient
adapts to a target KL (``AdaptiveKLController``, Ziegler et al. 2019, as in RL4LMs), a value
head, GAE, ratio and value clipping and an entropy bonus; ``reinforce_update`` is REINFORCE with
the value head as baseline. ``gae_advantages`` and ``AdaptiveKLController`` are generic (torch
tensors of shape ``(batch, time)``). ``PPOAgent`` / ``ReinforceAgent`` train the supervised
start (``Seq2SeqAgent``) or load it, then fine-tune it, logging reward, KL and the validation
metric every few updates (progress bar, TensorBoard, learning-curve PNG). Needs the ``train``
and ``text`` extras.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs._imports import require
from rl_nlp_envs.agents.base import read_checkpoint_config
from rl_nlp_envs.agents.logging import TrainingLog
from rl_nlp_envs.agents.progress import Progress
from rl_nlp_envs.agents.seq2seq import (
    Seq2SeqAgent,
    TextPolicy,
    _trim_prompt,
    decode_split,
    generate,
    primary_metric,
    replay,
)

ALGORITHMS = ("ppo", "reinforce")
BASELINES = ("value", "greedy")
PERCENT_METRICS = ("bleu", "chrf")
SUPERVISED_SHARE = 0.6


def _torch() -> Any:
    return require("torch", "train", "RL fine-tuning of text policies")


# -- generic pieces ----------------------------------------------------------------------------
class AdaptiveKLController:
    """The KL coefficient of Ziegler et al. (2019): it grows when the measured KL exceeds
    ``target`` and shrinks below it, by at most 20% per ``horizon`` steps. ``target=None``
    keeps it fixed."""

    def __init__(self, init: float, target: float | None, horizon: int) -> None:
        if init < 0:
            raise ValueError(f"the KL coefficient must be >= 0, got {init}")
        self.value, self.target, self.horizon = float(init), target, max(1, int(horizon))

    def update(self, current_kl: float, n_steps: int) -> float:
        """Adapt to the mean per-episode KL of the last batch of ``n_steps`` episodes."""
        if self.target is not None and self.target > 0:
            error = float(np.clip(current_kl / self.target - 1.0, -0.2, 0.2))
            self.value *= 1.0 + error * n_steps / self.horizon
        return self.value


def gae_advantages(
    rewards: Any, values: Any, mask: Any, gamma: float = 1.0, lam: float = 0.95
) -> tuple[Any, Any]:
    """Generalised advantage estimates and returns for right-padded episodes.

    ``rewards``, ``values``, ``mask``: ``(batch, time)`` tensors; ``mask`` is 1 on real steps.
    Each episode ends (terminally) at its last real step. Returns ``(advantages, returns)``,
    zero on padding.
    """
    torch = _torch()
    batch, steps = rewards.shape
    advantages = torch.zeros_like(rewards)
    last = torch.zeros(batch, dtype=rewards.dtype)
    mask = mask.to(rewards.dtype)
    for t in reversed(range(steps)):
        nxt = mask[:, t + 1] if t + 1 < steps else torch.zeros(batch, dtype=rewards.dtype)
        next_value = values[:, t + 1] * nxt if t + 1 < steps else torch.zeros_like(last)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        last = (delta + gamma * lam * nxt * last) * mask[:, t]
        advantages[:, t] = last
    return advantages, (advantages + values) * mask


def _whiten(x: Any, mask: Any) -> Any:
    valid = x[mask.bool()]
    if valid.numel() < 2:
        return x * mask
    return (x - valid.mean()) / (valid.std() + 1e-8) * mask


# -- rollouts ----------------------------------------------------------------------------------
@dataclass
class Episode:
    """One finished episode: the prompt, the sampled tokens with their log-probabilities under
    the behaviour policy, the env rewards and the final score."""

    prompt_ids: np.ndarray
    actions: list[int] = field(default_factory=list)
    logps: list[float] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    score: float = 0.0
    split: str = ""
    index: int = -1


class RolloutCollector:
    """Plays a policy in a Gymnasium ``VectorEnv`` in token mode and returns finished episodes.

    Uses only the ``VectorEnv`` API: dict observations of arrays and next-step autoreset (the
    step after an episode ends resets that env and ignores its action, so that step is not a
    transition). Encoder states are computed once per episode; unfinished episodes carry over
    to the next ``collect`` with their behaviour log-probabilities.
    """

    def __init__(
        self, envs: gym.vector.VectorEnv, policy: TextPolicy, seed: int = 0,
        temperature: float = 1.0,
    ) -> None:  # fmt: skip
        torch = _torch()
        mode = envs.metadata.get("autoreset_mode")
        if mode is not None and getattr(mode, "value", mode) != "NextStep":
            raise ValueError(f"the collector needs next-step autoreset; the env uses {mode}")
        self.envs, self.policy, self.temperature = envs, policy, float(temperature)
        self.num_envs = envs.num_envs
        self.obs, _ = envs.reset(seed=seed)
        self.autoreset = np.zeros(self.num_envs, dtype=bool)
        self.partial: list[Episode | None] = [None] * self.num_envs
        self.states: Any = None
        self.generator = torch.Generator().manual_seed(seed)
        self.steps = 0

    def collect(self, episodes: int) -> list[Episode]:
        """Step all envs until ``episodes`` episodes have finished."""
        torch = _torch()
        done: list[Episode] = []
        while len(done) < episodes:
            obs = self.obs
            rows = np.flatnonzero(~self.autoreset)
            actions = np.zeros(self.num_envs, dtype=np.int64)
            if len(rows):
                sub = {k: np.asarray(obs[k])[rows] for k in
                       ("prompt_ids", "prompt_mask", "response_ids", "response_mask")}  # fmt: skip
                fresh = rows[sub["response_mask"].sum(1) == 0]
                with torch.no_grad():
                    states = self._encoder_states(obs, fresh, rows)
                    logits, _ = self.policy.next_logits(sub, states)
                    logp_all = torch.log_softmax(logits / self.temperature, -1)
                    chosen = torch.multinomial(logp_all.exp(), 1, generator=self.generator)
                    chosen = chosen.squeeze(-1)
                    logps = logp_all.gather(-1, chosen[:, None]).squeeze(-1).numpy()
                actions[rows] = chosen.numpy()
                for k, i in enumerate(rows):
                    if self.partial[i] is None:
                        length = int(sub["prompt_mask"][k].sum())
                        self.partial[i] = Episode(sub["prompt_ids"][k, :length].copy())
            self.obs, rewards, terminated, truncated, info = self.envs.step(actions)
            self.steps += len(rows)
            ended = np.asarray(terminated) | np.asarray(truncated)
            for k, i in enumerate(rows):
                episode = self.partial[i]
                assert episode is not None
                episode.actions.append(int(actions[i]))
                episode.logps.append(float(logps[k]))
                episode.rewards.append(float(rewards[i]))
                if ended[i]:
                    episode.score = float(info["score"][i])
                    episode.split, episode.index = str(info["split"][i]), int(info["index"][i])
                    done.append(episode)
                    self.partial[i] = None
            self.autoreset = ended
        return done

    def _encoder_states(self, obs: dict[str, Any], fresh: np.ndarray, rows: np.ndarray) -> Any:
        """Encoder states of the live envs (recomputed for envs that start an episode)."""
        if not self.policy.is_encoder_decoder:
            return None
        torch = _torch()
        if self.states is None:
            fresh = np.arange(self.num_envs)
        if len(fresh):
            ids, mask = _trim_prompt(np.asarray(obs["prompt_ids"])[fresh],
                                     np.asarray(obs["prompt_mask"])[fresh])  # fmt: skip
            states = self.policy.encode(torch.from_numpy(ids), torch.from_numpy(mask))
            if self.states is None:
                width = np.asarray(obs["prompt_ids"]).shape[1]
                self.states = torch.zeros(self.num_envs, width, states.shape[-1])
            self.states[fresh] = 0.0
            self.states[fresh, : states.shape[1]] = states
        return self.states[rows]


# -- updates -----------------------------------------------------------------------------------
@dataclass
class RLConfig:
    """Settings of RL fine-tuning (PPO or REINFORCE with baseline).

    ``baseline="value"`` estimates advantages with the value head (GAE for PPO, return minus
    value for REINFORCE). ``baseline="greedy"`` is the self-critical baseline (Rennie et al.
    2017; ReMax, Li et al. 2023): each episode's advantage is its return minus the env return
    of the policy's own greedy answer to the same example, so only samples that beat greedy
    decoding are reinforced; the value head is then not used.
    """

    algorithm: str = "ppo"
    num_envs: int = 16
    episodes_per_update: int = 64
    updates: int = 40
    learning_rate: float = 1e-4
    epochs: int = 4
    minibatch_size: int = 16
    clip_range: float = 0.2
    value_clip: float = 0.2
    vf_coef: float = 0.5
    ent_coef: float = 0.0
    gamma: float = 1.0
    gae_lambda: float = 0.95
    kl_coef: float = 0.01
    target_kl: float | None = 2.0
    kl_horizon: int = 1_000
    reward_scale: float = 1.0
    max_grad_norm: float = 1.0
    temperature: float = 1.0
    eval_every: int = 5
    eval_examples: int = 100
    keep_best: bool = True
    baseline: str = "value"

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"unknown algorithm {self.algorithm!r}; choose one of: {', '.join(ALGORITHMS)}"
            )
        if self.baseline not in BASELINES:
            raise ValueError(
                f"unknown baseline {self.baseline!r}; choose one of: {', '.join(BASELINES)}"
            )
        for name in ("num_envs", "episodes_per_update", "epochs", "minibatch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass
class EpisodeBatch:
    """Episodes padded into ``(batch, time)`` tensors."""

    prompt_ids: Any
    prompt_mask: Any
    actions: Any
    mask: Any
    old_logp: Any
    env_rewards: Any


def _pad_prompts(episodes: list[Episode], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The episodes' prompts, right-padded, and their mask."""
    width = max(len(e.prompt_ids) for e in episodes)
    prompt = np.full((len(episodes), width), pad_id, dtype=np.int64)
    pmask = np.zeros((len(episodes), width), dtype=np.int64)
    for i, e in enumerate(episodes):
        prompt[i, : len(e.prompt_ids)], pmask[i, : len(e.prompt_ids)] = e.prompt_ids, 1
    return prompt, pmask


def batch_episodes(episodes: list[Episode], pad_id: int) -> EpisodeBatch:
    """Pad episodes (prompts and actions right-padded)."""
    torch = _torch()
    n = len(episodes)
    steps = max(len(e.actions) for e in episodes)
    prompt, pmask = _pad_prompts(episodes, pad_id)
    actions = np.full((n, steps), pad_id, dtype=np.int64)
    mask = np.zeros((n, steps), dtype=np.int64)
    logp = np.zeros((n, steps), dtype=np.float32)
    rewards = np.zeros((n, steps), dtype=np.float32)
    for i, e in enumerate(episodes):
        k = len(e.actions)
        actions[i, :k], mask[i, :k], logp[i, :k], rewards[i, :k] = e.actions, 1, e.logps, e.rewards
    t = torch.from_numpy
    return EpisodeBatch(t(prompt), t(pmask), t(actions), t(mask), t(logp), t(rewards))


def _logp_entropy(logits: Any, actions: Any) -> tuple[Any, Any]:
    torch = _torch()
    logp_all = torch.log_softmax(logits, -1)
    logp = logp_all.gather(-1, actions[..., None]).squeeze(-1)
    entropy = -(logp_all.exp() * logp_all).sum(-1)
    return logp, entropy


def rl_update(
    policy: TextPolicy,
    reference: TextPolicy,
    episodes: list[Episode],
    optimizer: Any,
    kl_ctl: AdaptiveKLController,
    config: RLConfig,
    rng: np.random.Generator,
    baseline_returns: np.ndarray | None = None,
) -> dict[str, float]:
    """One PPO or REINFORCE update on a batch of episodes; returns its statistics.

    With ``config.baseline == "greedy"``, ``baseline_returns`` holds each episode's greedy
    return (env reward units, see ``greedy_returns``)."""
    torch = _torch()
    b = batch_episodes(episodes, policy.pad_id)
    mask = b.mask.float()
    with torch.no_grad():
        _, values = policy.forward(b.prompt_ids, b.prompt_mask, b.actions, b.mask, values=True)
        ref_logits, _ = reference.forward(b.prompt_ids, b.prompt_mask, b.actions, b.mask)
        # the sampling policy is the tempered one: score and train that distribution
        ref_logp, _ = _logp_entropy(ref_logits / config.temperature, b.actions)
        kl = (b.old_logp - ref_logp) * mask
        rewards = b.env_rewards * config.reward_scale - kl_ctl.value * kl
        self_critical = config.baseline == "greedy"
        if self_critical:
            if baseline_returns is None or len(baseline_returns) != len(episodes):
                raise ValueError("baseline='greedy' needs one greedy return per episode")
            returns = _discounted(rewards, mask, config.gamma)
            greedy = torch.as_tensor(baseline_returns, dtype=returns.dtype) * config.reward_scale
            advantages = (returns - greedy[:, None]) * mask
            # scaled, not centred: an answer equal to the greedy one must keep advantage 0
            advantages = advantages / (advantages[mask.bool()].std() + 1e-8)
        elif config.algorithm == "ppo":
            advantages, returns = gae_advantages(rewards, values, mask, config.gamma,
                                                 config.gae_lambda)  # fmt: skip
            advantages = _whiten(advantages, mask)
        else:
            returns = _discounted(rewards, mask, config.gamma)
            advantages = _whiten((returns - values) * mask, mask)
    epochs = config.epochs if config.algorithm == "ppo" else 1
    stats: dict[str, list[float]] = {"pg_loss": [], "vf_loss": [], "entropy": [], "clipfrac": []}
    n = len(episodes)
    for _ in range(epochs):
        order = rng.permutation(n)
        for lo in range(0, n, config.minibatch_size):
            idx = torch.from_numpy(order[lo : lo + config.minibatch_size])
            m = mask[idx]
            tokens = m.sum().clamp(min=1.0)
            logits, new_values = policy.forward(
                b.prompt_ids[idx], b.prompt_mask[idx], b.actions[idx], b.mask[idx], values=True
            )
            logp, entropy = _logp_entropy(logits / config.temperature, b.actions[idx])
            adv = advantages[idx]
            if config.algorithm == "ppo":
                ratio = torch.exp(logp - b.old_logp[idx])
                clipped = torch.clamp(ratio, 1 - config.clip_range, 1 + config.clip_range)
                pg = torch.maximum(-adv * ratio, -adv * clipped)
                clipfrac = (((ratio - 1).abs() > config.clip_range).float() * m).sum() / tokens
                v_old = values[idx]
                v_clip = v_old + torch.clamp(new_values - v_old, -config.value_clip,
                                             config.value_clip)  # fmt: skip
                vf = torch.maximum((new_values - returns[idx]) ** 2,
                                   (v_clip - returns[idx]) ** 2)  # fmt: skip
            else:
                pg = -adv * logp
                clipfrac = torch.zeros(())
                vf = (new_values - returns[idx]) ** 2
            if self_critical:
                vf = torch.zeros_like(vf)
            pg_loss = (pg * m).sum() / tokens
            vf_loss = 0.5 * (vf * m).sum() / tokens
            ent = (entropy * m).sum() / tokens
            loss = pg_loss + config.vf_coef * vf_loss - config.ent_coef * ent
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), config.max_grad_norm)
            optimizer.step()
            stats["pg_loss"].append(float(pg_loss.item()))
            stats["vf_loss"].append(float(vf_loss.item()))
            stats["entropy"].append(float(ent.item()))
            stats["clipfrac"].append(float(clipfrac.item()))
    episode_kl = float(kl.sum(1).mean())
    beta = kl_ctl.value
    kl_ctl.update(episode_kl, n)
    out = {k: float(np.mean(v)) for k, v in stats.items()}
    out.update(kl=episode_kl, kl_coef=beta, length=float(mask.sum(1).mean()),
               reward=float(np.mean([e.score for e in episodes])))  # fmt: skip
    if baseline_returns is not None and self_critical:
        out["greedy_return"] = float(np.mean(baseline_returns))
    return out


def greedy_returns(
    policy: TextPolicy, env: gym.Env[Any, Any], episodes: list[Episode]
) -> np.ndarray:
    """The env return of the policy's greedy answer to each episode's example (the
    self-critical baseline): answers decoded in one batch, each replayed through ``env`` (a
    single env made with the same settings as the rollout envs)."""
    prompt_ids, prompt_mask = _pad_prompts(episodes, policy.pad_id)
    max_tokens = int(env.unwrapped.max_response_tokens)  # type: ignore[attr-defined]
    answers = generate(policy, prompt_ids, prompt_mask, max_tokens, greedy=True)
    return np.array([replay(env, e.split, e.index, tokens)["return"]
                     for e, tokens in zip(episodes, answers, strict=True)])  # fmt: skip


def _discounted(rewards: Any, mask: Any, gamma: float) -> Any:
    torch = _torch()
    out = torch.zeros_like(rewards)
    running = torch.zeros(rewards.shape[0])
    for t in reversed(range(rewards.shape[1])):
        running = (rewards[:, t] + gamma * running) * mask[:, t]
        out[:, t] = running
    return out


def fine_tune(
    policy: TextPolicy,
    envs: gym.vector.VectorEnv,
    eval_env: gym.Env[Any, Any],
    config: RLConfig,
    seed: int = 0,
    max_env_steps: int | None = None,
    max_seconds: float | None = None,
    progress: bool = True,
    log: TrainingLog | None = None,
) -> dict[str, Any]:
    """Fine-tune ``policy`` (which needs a value head) with ``config.algorithm`` on rollouts of
    ``envs``; the frozen copy of ``policy`` at the start is the KL reference. Every
    ``eval_every`` updates the greedy corpus metric on ``eval_examples`` validation examples is
    logged, and with ``keep_best`` the best weights seen (the start included) are restored."""
    torch = _torch()
    if policy.value_head is None:
        raise ValueError("RL fine-tuning needs a TextPolicy with value_head=True")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    policy.train(False)  # no dropout: log-probabilities must match between sampling and update
    reference = policy.frozen_copy()
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.learning_rate, eps=1e-5)
    kl_ctl = AdaptiveKLController(config.kl_coef, config.target_kl, config.kl_horizon)
    collector = RolloutCollector(envs, policy, seed=seed, temperature=config.temperature)
    metric = primary_metric(eval_env)

    def validate() -> float:
        result = decode_split(policy, eval_env, "validation", limit=config.eval_examples,
                              progress=False)  # fmt: skip
        return float(result.corpus.get(metric, result.mean))

    best = validate()
    best_state = _snapshot(policy)
    history: list[dict[str, float]] = [{"update": 0, "steps": 0, f"val_{metric}": best}]
    start = time.perf_counter()
    stats: dict[str, float] = {}
    label = f"{config.algorithm} {metric}"
    with Progress(config.updates, label, enabled=progress) as bar:
        for update in range(1, config.updates + 1):
            episodes = collector.collect(config.episodes_per_update)
            baseline = None
            if config.baseline == "greedy":
                baseline = greedy_returns(policy, eval_env, episodes)
            stats = rl_update(policy, reference, episodes, optimizer, kl_ctl, config, rng,
                              baseline)  # fmt: skip
            row: dict[str, float] = {"update": update, "steps": collector.steps, **stats}
            if config.eval_every > 0 and (update % config.eval_every == 0
                                          or update == config.updates):  # fmt: skip
                value = validate()
                row[f"val_{metric}"] = value
                if value > best:
                    best, best_state = value, _snapshot(policy)
            history.append(row)
            if log is not None:
                extra = {k: v for k, v in row.items() if k not in ("update", "steps", "reward")}
                log.log(collector.steps, stats["reward"], **extra)
            bar.update(1, reward=stats["reward"], kl=stats["kl"], val=best)
            out_of_time = max_seconds is not None and time.perf_counter() - start > max_seconds
            out_of_steps = max_env_steps is not None and collector.steps >= max_env_steps
            if out_of_time or out_of_steps:
                break
    if config.keep_best:
        policy.model.load_state_dict(best_state["model"])
        if policy.value_head is not None:
            policy.value_head.load_state_dict(best_state["value_head"])
    return {"updates": len(history) - 1, "steps": collector.steps, "history": history,
            "best_validation": best, "metric": metric, "last": stats,
            "seconds": time.perf_counter() - start}  # fmt: skip


def _snapshot(policy: TextPolicy) -> dict[str, Any]:
    return {"model": copy.deepcopy(policy.model.state_dict()),
            "value_head": copy.deepcopy(policy.value_head.state_dict())}  # fmt: skip


# -- agents ------------------------------------------------------------------------------------
class PPOAgent(Seq2SeqAgent):
    """The supervised start (``Seq2SeqAgent``, or the checkpoint ``start``) fine-tuned with PPO
    and an adaptive per-token KL penalty to itself, on rollouts of the vectorized env.

    Args:
        env: a text env in token mode.
        seed: seed of everything.
        start: a ``Seq2SeqAgent`` checkpoint folder; without it ``learn`` trains the supervised
            start first (``supervised`` settings).
        rl: ``RLConfig`` fields (``reward_scale`` defaults to 0.01 for BLEU / chrF rewards;
            ``temperature`` is the sampling temperature of rollouts, and PPO optimises that
            tempered policy).
        model, model_config, supervised, env_kwargs, threads: as ``Seq2SeqAgent``.
    """

    name = "ppo"
    algorithm = "ppo"

    def __init__(
        self,
        env: gym.Env[Any, Any],
        seed: int | None = None,
        start: str | Path | None = None,
        rl: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if start is not None:
            meta = read_checkpoint_config(Path(start))
            saved = meta["config"]
            kwargs.setdefault("model", saved.get("model_path"))
            kwargs.setdefault("model_config", saved.get("model_config"))
        super().__init__(env, seed=seed, **kwargs)
        settings = {"algorithm": self.algorithm, **(rl or {})}
        if "reward_scale" not in settings and primary_metric(env) in PERCENT_METRICS:
            settings["reward_scale"] = 0.01  # BLEU / chrF are 0-100; keep returns near 0-1
        self.rl = RLConfig(**settings)
        self.start = None if start is None else str(start)
        self.supervised_done = False
        if start is not None:
            Seq2SeqAgent.load(self._as_seq2seq(), start)
            self.supervised_done = True

    def _as_seq2seq(self) -> Seq2SeqAgent:
        """This agent under the supervised agent's name (to load its checkpoint)."""
        view = copy.copy(self)
        view.name = Seq2SeqAgent.name
        return view

    def _value_head(self) -> bool:
        return True

    def learn(
        self,
        total_steps: int,
        seed: int | None = None,
        progress: bool = True,
        tensorboard_dir: str | Path | None = None,
        curve_path: str | Path | None = None,
        max_seconds: float | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Train the supervised start if needed, then fine-tune for ``total_steps`` env steps
        (0: ``rl.updates`` updates)."""
        seed = self.seed if seed is None else seed
        begin = time.perf_counter()
        stats: dict[str, Any] = {}
        if not self.supervised_done:  # the supervised start gets 60% of a time budget
            budget = None if max_seconds is None else SUPERVISED_SHARE * max_seconds
            stats["supervised"] = Seq2SeqAgent.learn(self, 0, seed=seed, progress=progress,
                                                     max_seconds=budget)  # fmt: skip
            self.supervised_done = True
        if self.env_id is None:
            raise ValueError("RL fine-tuning needs an env made by gymnasium.make (with a spec id)")
        left = (
            None if max_seconds is None else max(0.0, max_seconds - (time.perf_counter() - begin))
        )
        envs = gym.make_vec(self.env_id, num_envs=self.rl.num_envs, **self.env_kwargs)
        log = TrainingLog(tensorboard_dir, curve_path, f"{self.algorithm} on {self.env_id}")
        stats["rl"] = fine_tune(self.policy, envs, self.env, self.rl, seed=seed,
                                max_env_steps=total_steps or None, max_seconds=left,
                                progress=progress, log=log)  # fmt: skip
        log.close()
        envs.close()
        self.policy.train(False)
        stats["steps"] = stats["rl"]["steps"]
        return stats

    def config(self) -> dict[str, Any]:
        """Settings of the supervised start and of RL."""
        return {**super().config(), "rl": asdict(self.rl), "start": self.start}


class ReinforceAgent(PPOAgent):
    """As ``PPOAgent`` with REINFORCE (value-head baseline, one pass per batch) instead of PPO."""

    name = "reinforce"
    algorithm = "reinforce"
