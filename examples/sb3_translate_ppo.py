"""Train Stable-Baselines3 PPO (``MultiInputPolicy``) on ``rlnlp/Translate-v0`` token by token.

    python examples/sb3_translate_ppo.py                      # a short run, under a minute
    python examples/sb3_translate_ppo.py --timesteps 200000 --direction de-en --out tr_ppo

Each step the policy picks one of the tokenizer's tokens (``Discrete(vocab)``) from the ``Dict``
observation of prompt / response ids and masks. With ``reward_mode="dense"`` every token is paid
the change of the sentence BLEU of the response so far, so an episode's rewards sum to its final
BLEU (``info["score"]``). The script prints the mean BLEU of the deterministic policy on the
first ``--eval-examples`` test sentences before and after training.

``--extractor embed`` (default) gives the policy a small token-embedding features extractor
(mean of the prompt embeddings, mean and last of the response embeddings, response length);
``--extractor flat`` uses SB3's default ``CombinedExtractor``, which feeds the raw ids to an MLP
as floats (it runs, but ids are not quantities, so it learns little). A short run is a smoke
test of the pipeline, not a translator: expect BLEU near the ``random`` / ``copy`` baselines of
the README. Needs ``stable-baselines3`` and the ``text`` extra (sacrebleu is not needed).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

ENV_ID = "rlnlp/Translate-v0"


class TokenEmbeddingExtractor(BaseFeaturesExtractor):
    """Embeds the prompt and response ids of Translate-v0's ``Dict`` observation.

    Features: the masked mean of the prompt embeddings, the masked mean of the response
    embeddings, the embedding of the last response token (zeros before the first one) and a
    one-hot of the response length.
    """

    def __init__(self, observation_space: gym.spaces.Dict, embed_dim: int = 32) -> None:
        prompt, response = observation_space["prompt_ids"], observation_space["response_ids"]
        assert isinstance(prompt, gym.spaces.Box) and isinstance(response, gym.spaces.Box)
        vocab_size = int(prompt.high.max()) + 1
        self.max_response = int(response.shape[0])
        super().__init__(observation_space, features_dim=3 * embed_dim + self.max_response + 1)
        self.embed = nn.Embedding(vocab_size, embed_dim)

    @staticmethod
    def _masked_mean(vectors: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        weights = mask.unsqueeze(-1)
        return (vectors * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        """SB3 hands the ids over as floats; they are exact integers below 2**24."""
        prompt = self.embed(observations["prompt_ids"].long())
        response = self.embed(observations["response_ids"].long())
        prompt_mask = observations["prompt_mask"].float()
        response_mask = observations["response_mask"].float()
        length = response_mask.sum(dim=1).long()
        last_index = (length - 1).clamp(min=0)
        last = response[torch.arange(response.shape[0]), last_index]
        last = last * (length > 0).float().unsqueeze(-1)
        position = nn.functional.one_hot(length.clamp(max=self.max_response), self.max_response + 1)
        return torch.cat(
            [
                self._masked_mean(prompt, prompt_mask),
                self._masked_mean(response, response_mask),
                last,
                position.float(),
            ],
            dim=1,
        )


def mean_test_bleu(model: Any, env: gym.Env[Any, Any], examples: int) -> tuple[float, list[str]]:
    """Mean final ``info["score"]`` (sentence BLEU) of the deterministic policy on the first
    ``examples`` test sentences, and its translations."""
    task = env.unwrapped.task  # type: ignore[attr-defined]
    count = min(examples, len(task.split("test")))
    scores, hypotheses = [], []
    for index in range(count):
        obs, info = env.reset(seed=index, options={"split": "test", "index": index})
        while True:
            action, _ = model.predict(obs, deterministic=True)
            obs, _, terminated, truncated, info = env.step(int(action))
            if terminated or truncated:
                break
        scores.append(float(info["score"]))
        hypotheses.append(info["hypothesis"])
    return float(np.mean(scores)), hypotheses


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=20_000, help="training env steps")
    parser.add_argument("--direction", default="en-de", help="en-de, de-en, en-zh or zh-en")
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--out", type=Path, default=Path("sb3_translate_ppo"),
                        help="model file (.zip is added)")  # fmt: skip
    parser.add_argument("--extractor", choices=("embed", "flat"), default="embed")
    parser.add_argument("--n-envs", type=int, default=4, help="parallel training envs")
    # the bundled en-de prompts: median 26 tokens, 95% within 48; references: median 23
    parser.add_argument("--max-prompt-tokens", type=int, default=48)
    parser.add_argument("--max-response-tokens", type=int, default=32)
    parser.add_argument("--eval-examples", type=int, default=50, help="test sentences scored")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> tuple[float, float]:
    """Evaluate, train, evaluate again and save; returns the mean BLEU before and after."""
    args = parse_args(argv)
    env_kwargs = {
        "direction": args.direction,
        "reward_mode": "dense",
        "max_prompt_tokens": args.max_prompt_tokens,
        "max_response_tokens": args.max_response_tokens,
    }
    venv = make_vec_env(ENV_ID, n_envs=args.n_envs, seed=args.seed, env_kwargs=env_kwargs)
    policy_kwargs: dict[str, Any] = {"net_arch": [128, 128]}
    if args.extractor == "embed":
        policy_kwargs["features_extractor_class"] = TokenEmbeddingExtractor
    n_steps = 256 if args.timesteps >= 256 * args.n_envs else max(8, args.timesteps // args.n_envs)
    model = PPO("MultiInputPolicy", venv, n_steps=n_steps,
                batch_size=min(256, n_steps * args.n_envs), n_epochs=4, learning_rate=3e-4,
                ent_coef=0.01, gamma=1.0, policy_kwargs=policy_kwargs, seed=args.seed,
                device="cpu", verbose=0)  # fmt: skip
    env = gym.make(ENV_ID, **env_kwargs)

    before, _ = mean_test_bleu(model, env, args.eval_examples)
    print(f"before training: mean sentence BLEU {before:.2f} on {args.eval_examples} "
          f"{args.direction} test sentences")  # fmt: skip
    start = time.perf_counter()
    model.learn(args.timesteps)
    seconds = time.perf_counter() - start
    episodes = [e["r"] for e in model.ep_info_buffer or []]
    recent = f"{np.mean(episodes):.2f}" if episodes else "n/a"
    print(f"trained PPO (MultiInputPolicy, extractor={args.extractor}) for "
          f"{model.num_timesteps:,} steps in {seconds:.1f} s; "
          f"mean return of the last {len(episodes)} training episodes {recent}")  # fmt: skip
    after, hypotheses = mean_test_bleu(model, env, args.eval_examples)
    print(f"after training:  mean sentence BLEU {after:.2f} on {args.eval_examples} "
          f"{args.direction} test sentences")  # fmt: skip
    print(f"first test translation: {hypotheses[0]!r}")
    env.close()
    venv.close()

    out = args.out if args.out.suffix == ".zip" else args.out.with_name(args.out.name + ".zip")
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    print(f"saved {out} (PPO.load({str(out)!r}))")
    return before, after


if __name__ == "__main__":
    main()
