"""Baseline negotiators for ``rlnlp/Negotiate-v0`` and the matches that score them.

Rule agents read the structured observation (``logic.decode_observation``; in text mode the
``"observation"`` entry) and return a structured action ``[decision, keep_0, ..., keep_{n-1}]``;
``TextSpeaker`` turns any of them into a text-mode agent with the env's NLG.

- ``RandomNegotiator``: a uniformly random legal decision and split.
- ``GreedyNegotiator``: demands every item it values; accepts only an offer worth at least
  ``accept_at`` to it (or anything worth something on the last turn).
- ``FairNegotiator``: believes the other side's values are their posterior mean given its own
  values and the pool (the generator's uniform prior over valid value pairs), proposes the
  split that maximises the smaller of the two believed scores, and accepts an offer worth at
  least that fair share minus ``tolerance``.
- ``PPONegotiator``: a masked MLP policy over the observation, trained with PPO by self-play on
  both seats, mixed with games against the rule agents (``train`` extra: torch).

``play_match`` runs seeded episodes of two agents through the real AEC env, swapping seats
every episode, and reports mean points and the agreement rate of each side; ``match_summary``
(the ``rlnlp baseline`` score) plays an agent against each rule agent and against itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rl_nlp_envs._imports import require
from rl_nlp_envs.agents.base import Agent
from rl_nlp_envs.agents.progress import Progress
from rl_nlp_envs.envs.negotiate.logic import (
    ACCEPT,
    END,
    PROPOSE,
    GameConfig,
    Move,
    Negotiation,
    PlayerView,
    all_takes,
    decode_observation,
    encode_observation,
    observation_high,
    observation_size,
    rest,
    sample_scenario,
    valid_value_pairs,
)

ENV_ID = "rlnlp/Negotiate-v0"


def _config_of(env: Any) -> GameConfig:
    config = getattr(getattr(env, "unwrapped", env), "config", None)
    return config if isinstance(config, GameConfig) else GameConfig()


def _vector(observation: Any) -> np.ndarray:
    if isinstance(observation, dict):
        observation = observation["observation"]
    return np.asarray(observation, dtype=np.float32)


def _worth(values: Sequence[int], items: Sequence[int]) -> int:
    return int(sum(v * k for v, k in zip(values, items, strict=True)))


class NegotiationAgent(Agent):
    """Shared set-up of the negotiators: the game config (from ``env``) and a random generator."""

    name = "negotiator"

    def __init__(self, env: Any = None, seed: int | None = None, **kwargs: Any) -> None:
        kwargs.pop("env_kwargs", None)  # the registry passes the env settings to learners
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unknown arguments {sorted(kwargs)}")
        self.game_config = _config_of(env)
        self.rng = np.random.default_rng(seed)

    def view(self, observation: Any) -> PlayerView:
        """The decoded observation."""
        return decode_observation(_vector(observation), self.game_config.num_items)

    def action(self, kind: int, take: Sequence[int] | None = None) -> np.ndarray:
        """A structured action array."""
        keep = list(take) if take is not None else [0] * self.game_config.num_items
        return np.array([kind, *keep], dtype=np.int64)

    def decide(self, view: PlayerView) -> np.ndarray:
        """The action for a decoded observation (rule agents implement this)."""
        raise NotImplementedError

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """Choose an action for the structured observation (or a text-mode observation dict)."""
        return self.decide(self.view(observation))


class RandomNegotiator(NegotiationAgent):
    """Uniform over the legal decisions, then uniform over the legal counts of each item."""

    name = "random"

    def decide(self, view: PlayerView) -> np.ndarray:
        """Draw a legal action."""
        decisions = [PROPOSE, END] + ([ACCEPT] if view.offer_from_other else [])
        kind = int(self.rng.choice(decisions))
        take = [int(self.rng.integers(c + 1)) for c in view.counts]
        return self.action(kind, take if kind == PROPOSE else None)


class GreedyNegotiator(NegotiationAgent):
    """Keeps every item it values; accepts only offers worth ``accept_at`` or more."""

    name = "greedy"

    def __init__(
        self, env: Any = None, seed: int | None = None, accept_at: int = 6, **kwargs: Any
    ) -> None:
        super().__init__(env, seed, **kwargs)
        self.accept_at = accept_at

    def decide(self, view: PlayerView) -> np.ndarray:
        """Demand the valued items, or take a good (or a last-chance) offer."""
        if view.offer_from_other and view.offered is not None:
            worth = _worth(view.values, view.offered)
            if worth >= self.accept_at or (view.turns_left <= 1 and worth > 0):
                return self.action(ACCEPT)
        demand = [c if v > 0 else 0 for c, v in zip(view.counts, view.values, strict=True)]
        return self.action(PROPOSE, demand)

    def config(self) -> dict[str, Any]:
        """Settings."""
        return {"accept_at": self.accept_at}


@lru_cache(maxsize=4096)
def believed_values(
    counts: tuple[int, ...], own: tuple[int, ...], total_value: int
) -> tuple[float, ...]:
    """Posterior mean of the other side's values given ``own`` (uniform prior over valid pairs)."""
    others = [b for a, b in valid_value_pairs(counts, total_value) if a == own]
    if not others:
        return tuple(total_value / sum(counts) for _ in counts)
    return tuple(float(x) for x in np.mean(np.array(others, dtype=np.float64), axis=0))


@lru_cache(maxsize=4096)
def fair_split(counts: tuple[int, ...], own: tuple[int, ...], total_value: int) -> tuple[int, ...]:
    """The split (what we keep) maximising the smaller of our and the believed other score."""
    other = believed_values(counts, own, total_value)

    def key(take: tuple[int, ...]) -> tuple[float, float, float]:
        mine = float(_worth(own, take))
        theirs = float(np.dot(other, rest(counts, take)))
        return (min(mine, theirs), mine + theirs, mine)

    return max(all_takes(counts), key=key)


class FairNegotiator(NegotiationAgent):
    """Proposes the split it believes is fair; accepts offers within ``tolerance`` of it."""

    name = "fair"

    def __init__(
        self, env: Any = None, seed: int | None = None, tolerance: int = 1, **kwargs: Any
    ) -> None:
        super().__init__(env, seed, **kwargs)
        self.tolerance = tolerance

    def decide(self, view: PlayerView) -> np.ndarray:
        """Accept a fair-enough offer, else propose the fair split."""
        total = self.game_config.total_value
        take = fair_split(view.counts, view.values, total)
        share = _worth(view.values, take)
        if view.offer_from_other and view.offered is not None:
            worth = _worth(view.values, view.offered)
            if worth >= share - self.tolerance or (view.turns_left <= 1 and worth > 0):
                return self.action(ACCEPT)
        return self.action(PROPOSE, take)

    def config(self) -> dict[str, Any]:
        """Settings."""
        return {"tolerance": self.tolerance}


class TextSpeaker(Agent):
    """Wraps a structured negotiator for ``action_mode="text"``: its moves said with the NLG."""

    def __init__(self, agent: NegotiationAgent, seed: int | None = None) -> None:
        self.agent = agent
        self.name = agent.name
        self.rng = np.random.default_rng(seed)

    def act(self, observation: Any, info: dict[str, Any]) -> str:
        """The wrapped agent's move as an English message."""
        from rl_nlp_envs.envs.negotiate.language import realize

        action = self.agent.act(observation, info)
        view = self.agent.view(observation)
        kind = int(action[0])
        move = Move(kind, tuple(int(k) for k in action[1:]) if kind == PROPOSE else None)
        return realize(move, view.counts, self.agent.game_config.items, self.rng)


# --- the learner -------------------------------------------------------------------------------


def _torch() -> Any:
    return require("torch", "train", "the PPO negotiator")


def _masks(obs: np.ndarray, n: int, max_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Decision masks (B, 3) and keep masks (B, n, max_count + 1) from observation vectors."""
    counts = np.rint(obs[:, :n]).astype(np.int64)
    decision = np.ones((len(obs), 3), dtype=bool)
    decision[:, ACCEPT] = obs[:, 4 * n + 1] > 0.5
    keep = np.arange(max_count + 1)[None, None, :] <= counts[:, :, None]
    return decision, keep


class PPONegotiator(NegotiationAgent):
    """A masked MLP policy (decision head + one head per item) trained with PPO.

    Training plays batches of games with the pure game logic (the same observation encoder
    the env uses): a ``self_play`` share of the games puts the learner on both seats, the rest
    pit it against the rule agents in ``opponents``. Rewards are the final points / 10.

    Args:
        env: a Negotiate-v0 env (its config sets the sizes); None for the defaults.
        seed: seeds torch, the games and the sampling.
        hidden: width of the two hidden layers.
        greedy: act with the most likely action (evaluation) instead of sampling.
    """

    name = "ppo"
    learns = True

    def __init__(
        self,
        env: Any = None,
        seed: int | None = None,
        hidden: int = 128,
        greedy: bool = True,
        lr: float = 3e-4,
        games_per_update: int = 256,
        self_play: float = 0.5,
        opponents: tuple[str, ...] = ("random", "greedy", "fair"),
        **kwargs: Any,
    ) -> None:
        kwargs.pop("env_kwargs", None)
        super().__init__(env, seed, **kwargs)
        torch = _torch()
        if seed is not None:
            torch.manual_seed(seed)
        unknown = set(opponents) - set(RULE_AGENTS)
        if unknown:
            raise ValueError(
                f"unknown opponents {sorted(unknown)}; choose from {sorted(RULE_AGENTS)}"
            )
        self.hidden, self.greedy, self.lr = hidden, greedy, lr
        self.games_per_update, self.self_play, self.opponents = (
            games_per_update,
            self_play,
            opponents,
        )
        self.seed = seed
        cfg = self.game_config
        self.n, self.k = cfg.num_items, cfg.max_count + 1
        self.scale = torch.as_tensor(observation_high(cfg))
        nn = torch.nn
        size = observation_size(self.n)
        self.trunk = nn.Sequential(
            nn.Linear(size, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh()
        )
        self.decision_head = nn.Linear(hidden, 3)
        self.keep_head = nn.Linear(hidden, self.n * self.k)
        self.value_head = nn.Linear(hidden, 1)
        self.modules = nn.ModuleList(
            [self.trunk, self.decision_head, self.keep_head, self.value_head]
        )

    # policy ------------------------------------------------------------------------------------

    def _dists(self, obs: Any, decision_mask: Any, keep_mask: Any) -> tuple[Any, Any, Any]:
        torch = _torch()
        h = self.trunk(obs / self.scale)
        neg = torch.finfo(torch.float32).min
        d_logits = self.decision_head(h).masked_fill(~decision_mask, neg)
        k_logits = self.keep_head(h).view(-1, self.n, self.k).masked_fill(~keep_mask, neg)
        dist = torch.distributions.Categorical
        return dist(logits=d_logits), dist(logits=k_logits), self.value_head(h).squeeze(-1)

    def policy(self, obs: np.ndarray, sample: bool) -> np.ndarray:
        """Actions (B, 1 + n) for a batch of observation vectors."""
        torch = _torch()
        dm, km = _masks(obs, self.n, self.k - 1)
        with torch.no_grad():
            d, k, _ = self._dists(torch.as_tensor(obs), torch.as_tensor(dm), torch.as_tensor(km))
            if sample:
                kinds, keeps = d.sample(), k.sample()
            else:
                kinds, keeps = d.probs.argmax(-1), k.probs.argmax(-1)
        return np.concatenate([kinds.numpy()[:, None], keeps.numpy()], axis=1).astype(np.int64)

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """The policy's action (argmax when ``greedy``, else sampled)."""
        obs = _vector(observation)[None, :]
        return self.policy(obs, sample=not self.greedy)[0]

    # training ----------------------------------------------------------------------------------

    def learn(
        self,
        total_steps: int,
        seed: int | None = None,
        progress: bool = True,
        tensorboard_dir: str | Path | None = None,
        curve_path: str | Path | None = None,
        max_seconds: float | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """PPO for ``total_steps`` learner moves (or ``max_seconds``); returns statistics."""
        from rl_nlp_envs.agents.logging import TrainingLog

        if kwargs:
            raise TypeError(f"learn() got unknown arguments {sorted(kwargs)}")
        torch = _torch()
        rng = np.random.default_rng(self.seed if seed is None else seed)
        rivals = {name: RULE_AGENTS[name](seed=int(rng.integers(2**31))) for name in self.opponents}
        optim = torch.optim.Adam(self.modules.parameters(), lr=self.lr)
        log = TrainingLog(tensorboard_dir, curve_path, f"PPO self-play on {ENV_ID}")
        start, cpu, steps, updates = time.perf_counter(), time.process_time(), 0, 0
        recent_points: list[float] = []
        recent_agree: list[float] = []
        with Progress(total_steps, "ppo negotiate", enabled=progress) as bar:
            while steps < total_steps:
                if max_seconds is not None and time.perf_counter() - start > max_seconds:
                    break
                batch, points, agreed = self._rollout(rng, rivals)
                self._update(torch, optim, batch)
                steps += len(batch["obs"])
                updates += 1
                recent_points = (recent_points + points)[-2000:]
                recent_agree = (recent_agree + agreed)[-2000:]
                score = float(np.mean(recent_points))
                log.log(steps, score, agreement=float(np.mean(recent_agree)))
                bar.update(len(batch["obs"]), points=score, agree=float(np.mean(recent_agree)))
        log.close()
        return {
            "steps": steps,
            "updates": updates,
            "seconds": time.perf_counter() - start,
            "cpu_seconds": time.process_time() - cpu,
            "train_points": float(np.mean(recent_points)) if recent_points else float("nan"),
            "train_agreement": float(np.mean(recent_agree)) if recent_agree else float("nan"),
            "history": log.history,
        }

    def _rollout(
        self, rng: np.random.Generator, rivals: dict[str, NegotiationAgent]
    ) -> tuple[dict[str, np.ndarray], list[float], list[float]]:
        """Play ``games_per_update`` games; returns learner samples and its points / agreements."""
        cfg = self.game_config
        games: list[Negotiation] = []
        learner_seats: list[tuple[bool, bool]] = []
        rival_of: list[NegotiationAgent | None] = []
        for _ in range(self.games_per_update):
            scenario = sample_scenario(rng, cfg)
            games.append(Negotiation(scenario, cfg.max_turns, current=int(rng.integers(2))))
            if rng.random() < self.self_play or not rivals:
                learner_seats.append((True, True))
                rival_of.append(None)
            else:
                seat = int(rng.integers(2))
                learner_seats.append((seat == 0, seat == 1))
                names = list(rivals)
                rival_of.append(rivals[names[int(rng.integers(len(names)))]])
        samples: list[tuple[int, int, np.ndarray, np.ndarray]] = []
        while True:
            live = [g for g in range(len(games)) if not games[g].done]
            if not live:
                break
            mine = [g for g in live if learner_seats[g][games[g].current]]
            if mine:
                obs = np.stack([encode_observation(games[g], games[g].current) for g in mine])
                actions = self.policy(obs, sample=True)
                for g, o, a in zip(mine, obs, actions, strict=True):
                    samples.append((g, games[g].current, o, a))
                    self._apply(games[g], a)
            for g in live:
                if g in mine or games[g].done:
                    continue
                rival = rival_of[g]
                assert rival is not None
                o = encode_observation(games[g], games[g].current)
                self._apply(games[g], rival.act(o, {}))
        obs_list, act_list, ret_list = [], [], []
        for g, player, o, a in samples:
            obs_list.append(o)
            act_list.append(a)
            ret_list.append(games[g].points()[player] / cfg.total_value)
        points, agreed = [], []
        for g, game in enumerate(games):
            for player in (0, 1):
                if learner_seats[g][player]:
                    points.append(float(game.points()[player]))
                    agreed.append(float(game.outcome == "agreement"))
        batch = {
            "obs": np.stack(obs_list).astype(np.float32),
            "act": np.stack(act_list),
            "ret": np.asarray(ret_list, dtype=np.float32),
        }
        return batch, points, agreed

    @staticmethod
    def _apply(game: Negotiation, action: np.ndarray) -> None:
        kind = int(action[0])
        game.play(Move(kind, tuple(int(k) for k in action[1:]) if kind == PROPOSE else None))

    def _update(self, torch: Any, optim: Any, batch: dict[str, np.ndarray]) -> None:
        obs = torch.as_tensor(batch["obs"])
        act = torch.as_tensor(batch["act"])
        ret = torch.as_tensor(batch["ret"])
        dm_np, km_np = _masks(batch["obs"], self.n, self.k - 1)
        dm, km = torch.as_tensor(dm_np), torch.as_tensor(km_np)
        proposes = (act[:, 0] == PROPOSE).float()

        def logp_entropy(idx: Any) -> tuple[Any, Any, Any]:
            d, k, value = self._dists(obs[idx], dm[idx], km[idx])
            # the keep heads only matter (and only learn) when the move is a proposal
            logp = d.log_prob(act[idx, 0]) + proposes[idx] * k.log_prob(act[idx, 1:]).sum(-1)
            entropy = d.entropy() + 0.2 * proposes[idx] * k.entropy().sum(-1)
            return logp, entropy, value

        everything = torch.arange(len(obs))
        with torch.no_grad():
            old_logp, _, value = logp_entropy(everything)
            adv = ret - value
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        for _ in range(4):
            order = torch.randperm(len(obs))
            for lo in range(0, len(obs), 512):
                idx = order[lo : lo + 512]
                logp, entropy, value = logp_entropy(idx)
                ratio = torch.exp(logp - old_logp[idx])
                a = adv[idx]
                pg = -torch.min(ratio * a, torch.clamp(ratio, 0.8, 1.2) * a).mean()
                vf = ((value - ret[idx]) ** 2).mean()
                loss = pg + 0.5 * vf - 0.01 * entropy.mean()
                optim.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.modules.parameters(), 0.5)
                optim.step()

    # checkpoints -------------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """Settings needed to rebuild the network."""
        return {"hidden": self.hidden, "num_items": self.n, "max_count": self.k - 1}

    def tensors(self) -> dict[str, np.ndarray]:
        """The network's weights."""
        return {k: v.detach().numpy().copy() for k, v in self.modules.state_dict().items()}

    def load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        """Restore weights saved by ``tensors``."""
        torch = _torch()
        mine = self.modules.state_dict()
        if set(tensors) != set(mine):
            raise ValueError(
                f"checkpoint tensors {sorted(tensors)} do not match this network {sorted(mine)}"
            )
        for name, value in tensors.items():
            if tuple(value.shape) != tuple(mine[name].shape):
                raise ValueError(
                    f"checkpoint tensor {name!r} has shape {value.shape}, expected "
                    f"{tuple(mine[name].shape)} (hidden={self.hidden})"
                )
        self.modules.load_state_dict({k: torch.as_tensor(v) for k, v in tensors.items()})


RULE_AGENTS: dict[str, Callable[..., NegotiationAgent]] = {
    "random": RandomNegotiator,
    "greedy": GreedyNegotiator,
    "fair": FairNegotiator,
}


# --- evaluation --------------------------------------------------------------------------------


@dataclass
class MatchResult:
    """Episodes of agent A against agent B: per-episode points of each and the outcomes."""

    points_a: list[float] = field(default_factory=list)
    points_b: list[float] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)

    @property
    def mean_a(self) -> float:
        """Mean points of A."""
        return float(np.mean(self.points_a)) if self.points_a else float("nan")

    @property
    def mean_b(self) -> float:
        """Mean points of B."""
        return float(np.mean(self.points_b)) if self.points_b else float("nan")

    @property
    def agreement(self) -> float:
        """Share of episodes that ended in agreement."""
        if not self.outcomes:
            return float("nan")
        return float(np.mean([o == "agreement" for o in self.outcomes]))


def play_match(
    agent_a: Agent,
    agent_b: Agent,
    episodes: int,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = False,
    label: str = "match",
) -> MatchResult:
    """Play ``episodes`` games (seeds ``seed, seed + 1, ...``) in the AEC env; A takes seat 0 in
    even episodes and seat 1 in odd ones."""
    from rl_nlp_envs.envs import negotiate_v0

    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    env = negotiate_v0.env(**(env_kwargs or {}))
    result = MatchResult()
    with Progress(episodes, label, enabled=progress) as bar:
        for e in range(episodes):
            seats = {env.possible_agents[e % 2]: agent_a, env.possible_agents[1 - e % 2]: agent_b}
            agent_a.reset()
            agent_b.reset()
            env.reset(seed=seed + e)
            final: dict[str, Any] = {}
            for name in env.agent_iter():
                obs, _, terminated, truncated, info = env.last()
                if terminated or truncated:
                    final = info
                    env.step(None)
                    continue
                env.step(seats[name].act(obs, info))
            points = final["points"]
            result.points_a.append(float(points[e % 2]))
            result.points_b.append(float(points[1 - e % 2]))
            result.outcomes.append(str(final["outcome"]))
            bar.update(1, points=result.mean_a, agree=result.agreement)
    env.close()
    return result


def make_negotiator(name: str, env: Any = None, seed: int | None = None) -> NegotiationAgent:
    """A rule agent by name (``random``, ``greedy``, ``fair``)."""
    if name not in RULE_AGENTS:
        raise ValueError(f"unknown negotiator {name!r}; choose one of: {', '.join(RULE_AGENTS)}")
    return RULE_AGENTS[name](env, seed=seed)


def match_table(
    agent: Agent,
    episodes: int,
    seed: int,
    opponents: Sequence[str] = ("random", "greedy", "fair", "self"),
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = False,
    label: str = "agent",
) -> dict[str, MatchResult]:
    """``agent`` against each rule agent (seeded with ``seed``) and, for ``"self"``, itself on
    both seats."""
    table = {}
    for name in opponents:
        rival = agent if name == "self" else make_negotiator(name, seed=seed)
        table[name] = play_match(agent, rival, episodes, seed, env_kwargs, progress,
                                 f"{label} vs {name}")  # fmt: skip
    return table


def match_summary(
    agent: Agent,
    episodes: int,
    seed: int,
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = False,
    label: str = "agent",
) -> tuple[float, str, dict[str, Any]]:
    """The baseline score: mean points against the three rule agents; a one-line summary
    (points and agreement rate against each of them and against itself) and the numbers."""
    table = match_table(agent, episodes, seed, env_kwargs=env_kwargs, progress=progress,
                        label=label)  # fmt: skip
    mean = float(np.mean([r.mean_a for name, r in table.items() if name != "self"]))
    parts = [f"{r.mean_a:.2f} ({100 * r.agreement:.0f}% agreed) vs {name}"
             for name, r in table.items()]  # fmt: skip
    text = f"points {mean:.2f} vs rule agents: " + ", ".join(parts) + f"; {episodes} games each"
    details = {
        name: {"points": r.mean_a, "opponent_points": r.mean_b, "agreement": r.agreement}
        for name, r in table.items()
    }
    return mean, text, details
