"""A small encoder-decoder transformer for the text envs: model, supervised training, decoding.

``build_small_model`` defines a T5-style seq2seq transformer with ``transformers`` (a few
million parameters, tied embeddings over the bundled 6000-token vocabulary) that trains from
scratch on a CPU. ``TextPolicy`` wraps it, or any local Hugging Face seq2seq or causal LM
checkpoint, as a token policy over a text env's observations (prompt ids and masks, response so
far) with an optional value head. ``train_supervised`` fits it with teacher forcing on a split,
``decode_split`` answers every example of a split greedily or by sampling and scores the answers
by replaying them through the env, and ``Seq2SeqAgent`` is the supervised baseline. Needs the
``train`` and ``text`` extras (torch, transformers).
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs._imports import require
from rl_nlp_envs.agents.base import Agent
from rl_nlp_envs.agents.evaluate import SplitResult
from rl_nlp_envs.agents.logging import TrainingLog
from rl_nlp_envs.agents.progress import Progress

NEG_INF = -1e9


def _torch() -> Any:
    return require("torch", "train", "the seq2seq agent")


def _transformers() -> Any:
    return require("transformers", "text", "the seq2seq agent")


@dataclass
class SmallModelConfig:
    """Size of the small from-scratch transformer (``d_model`` wide, ``layers`` + ``layers``)."""

    d_model: int = 128
    layers: int = 2
    heads: int = 4
    ffn: int = 512
    dropout: float = 0.1


def build_small_model(tokenizer: Any, config: SmallModelConfig | None = None) -> Any:
    """A randomly initialised T5-style encoder-decoder over ``tokenizer``'s vocabulary.

    T5's pre-norm layers and relative position buckets train from scratch on a few thousand
    pairs where a post-norm (BART-style) model of this size learned to ignore its encoder.
    Embeddings are shared between encoder, decoder and output layer; the decoder starts from
    the tokenizer's start-of-sequence token (end-of-sequence if it has none).
    """
    cfg = config or SmallModelConfig()
    transformers = _transformers()
    if cfg.d_model % cfg.heads:
        raise ValueError(f"d_model ({cfg.d_model}) must be a multiple of heads ({cfg.heads})")
    start = tokenizer.bos_id if tokenizer.bos_id is not None else tokenizer.eos_id
    t5 = transformers.T5Config(
        vocab_size=tokenizer.vocab_size, d_model=cfg.d_model, d_kv=cfg.d_model // cfg.heads,
        d_ff=cfg.ffn, num_layers=cfg.layers, num_decoder_layers=cfg.layers, num_heads=cfg.heads,
        dropout_rate=cfg.dropout, feed_forward_proj="relu", pad_token_id=tokenizer.pad_id,
        eos_token_id=tokenizer.eos_id, bos_token_id=start, decoder_start_token_id=start,
        tie_word_embeddings=True,
    )  # fmt: skip
    return transformers.T5ForConditionalGeneration(t5)


def load_pretrained(path: str | Path) -> Any:
    """A local Hugging Face seq2seq or causal LM checkpoint (offline; nothing is downloaded)."""
    transformers = _transformers()
    folder = Path(path)
    if not (folder / "config.json").exists():
        raise FileNotFoundError(
            f"--model {path}: no config.json there; pass a folder written by save_pretrained "
            "(a seq2seq or causal LM with its tokenizer)"
        )
    config = transformers.AutoConfig.from_pretrained(str(folder), local_files_only=True)
    auto = (
        transformers.AutoModelForSeq2SeqLM
        if getattr(config, "is_encoder_decoder", False)
        else transformers.AutoModelForCausalLM
    )
    try:
        return auto.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ValueError(f"could not load a model from {str(path)!r}: {exc}") from exc


class TextPolicy:
    """A Hugging Face language model as a token policy over a text env's observations.

    Works with encoder-decoder models (the prompt goes to the encoder, the response to the
    decoder) and decoder-only models (the prompt, left-padded, then the response). Logits are
    cut to the env's ``n_actions`` and tokens the env never allows (padding and other special
    tokens except end-of-sequence) are masked out, so the policy samples exactly the env's
    legal actions. ``value_head`` adds a linear critic on the last hidden state.

    Args:
        model: a ``transformers`` seq2seq or causal LM.
        tokenizer: the env's ``rl_nlp_envs.core.tokenizer.Tokenizer``.
        value_head: add a critic (for PPO / REINFORCE with baseline).
    """

    def __init__(self, model: Any, tokenizer: Any, value_head: bool = False) -> None:
        torch = _torch()
        self.model = model
        self.tokenizer = tokenizer
        self.is_encoder_decoder = bool(getattr(model.config, "is_encoder_decoder", False))
        self.n_actions = int(tokenizer.vocab_size)
        vocab = int(model.get_output_embeddings().weight.shape[0])
        if vocab < self.n_actions:
            raise ValueError(
                f"the model's vocabulary ({vocab}) is smaller than the tokenizer's "
                f"({self.n_actions}); pass the tokenizer the model was trained with"
            )
        legal = torch.ones(self.n_actions, dtype=torch.bool)
        legal[list(tokenizer.never_legal)] = False
        self.legal = legal
        start = getattr(model.config, "decoder_start_token_id", None)
        if start is None:
            start = tokenizer.bos_id if tokenizer.bos_id is not None else tokenizer.eos_id
        self.start_id = int(start)
        self.pad_id = int(tokenizer.pad_id)
        self.value_head: Any = None
        if value_head:
            hidden = int(model.get_output_embeddings().weight.shape[1])
            self.value_head = torch.nn.Linear(hidden, 1)
            torch.nn.init.zeros_(self.value_head.weight)
            torch.nn.init.zeros_(self.value_head.bias)
        self._fast, self._scale = False, 1.0
        self._check_fast_path()

    # -- bookkeeping ---------------------------------------------------------------------------
    def parameters(self) -> list[Any]:
        """Trainable parameters of the model and the value head."""
        params = list(self.model.parameters())
        if self.value_head is not None:
            params += list(self.value_head.parameters())
        return params

    def train(self, mode: bool = True) -> None:
        """Dropout on (``True``) or off."""
        self.model.train(mode)

    def frozen_copy(self) -> TextPolicy:
        """A copy without value head and without gradients (the KL reference)."""
        ref = TextPolicy(copy.deepcopy(self.model), self.tokenizer)
        ref.model.eval()
        for p in ref.model.parameters():
            p.requires_grad_(False)
        return ref

    def state(self) -> dict[str, np.ndarray]:
        """Weights as numpy arrays (``model.*`` and ``value_head.*``)."""
        out = {f"model.{k}": v.detach().cpu().numpy().copy()
               for k, v in self.model.state_dict().items()}  # fmt: skip
        if self.value_head is not None:
            out.update({f"value_head.{k}": v.detach().cpu().numpy().copy()
                        for k, v in self.value_head.state_dict().items()})  # fmt: skip
        return out

    def load_state(self, tensors: dict[str, np.ndarray]) -> None:
        """Restore weights written by ``state`` (a missing value head is left as it is)."""
        torch = _torch()
        model = {k[6:]: torch.from_numpy(v) for k, v in tensors.items() if k.startswith("model.")}
        missing, unexpected = self.model.load_state_dict(model, strict=False)
        missing = [k for k in missing if k not in _tied_keys(self.model)]
        if missing or unexpected:
            raise ValueError(
                f"checkpoint does not fit the model: missing {missing[:5]}, unexpected "
                f"{unexpected[:5]}"
            )
        head = {k[11:]: torch.from_numpy(v)
                for k, v in tensors.items() if k.startswith("value_head.")}  # fmt: skip
        if head and self.value_head is not None:
            self.value_head.load_state_dict(head)

    # -- forward passes ------------------------------------------------------------------------
    def encode(self, prompt_ids: Any, prompt_mask: Any) -> Any:
        """Encoder states of the prompts (encoder-decoder models only)."""
        out = self.model.get_encoder()(input_ids=prompt_ids, attention_mask=prompt_mask)
        return out.last_hidden_state

    def _mask_logits(self, logits: Any) -> Any:
        logits = logits[..., : self.n_actions]
        return logits.masked_fill(~self.legal, NEG_INF)

    def forward(
        self,
        prompt_ids: Any,
        prompt_mask: Any,
        response_ids: Any,
        response_mask: Any,
        encoder_states: Any = None,
        values: bool = False,
    ) -> tuple[Any, Any]:
        """Masked logits (and values) for every response position ``t``, i.e. of the action
        taken after the first ``t`` response tokens: shapes ``(B, T, n_actions)`` and ``(B, T)``.

        ``response_ids[:, t]`` is the action at position ``t``; position 0 is predicted from
        the prompt alone. Positions where ``response_mask`` is 0 are padding.
        """
        if not self._fast:
            logits, hidden = self._model_logits(prompt_ids, prompt_mask, response_ids,
                                                response_mask, encoder_states)  # fmt: skip
            return self._mask_logits(logits.float()), self._values(hidden, values)
        hidden = self.hidden_states(prompt_ids, prompt_mask, response_ids, response_mask,
                                    encoder_states)  # fmt: skip
        return self.project(hidden), self._values(hidden, values)

    def _values(self, hidden: Any, values: bool) -> Any:
        if not values or self.value_head is None:
            return None
        return self.value_head(hidden).squeeze(-1)

    def _decoder_inputs(self, response_ids: Any, response_mask: Any) -> tuple[Any, Any]:
        """``[start, r_0, ..., r_{T-2}]`` and its mask (teacher forcing)."""
        torch = _torch()
        start = torch.full((response_ids.shape[0], 1), self.start_id, dtype=torch.long)
        mask = torch.cat([torch.ones_like(start), response_mask[:, :-1].long()], dim=1)
        ids = torch.cat([start, response_ids[:, :-1]], dim=1).masked_fill(mask == 0, self.pad_id)
        return ids, mask

    def hidden_states(
        self,
        prompt_ids: Any,
        prompt_mask: Any,
        response_ids: Any,
        response_mask: Any,
        encoder_states: Any = None,
    ) -> Any:
        """Last hidden states at every response position, ``(B, T, hidden)`` (no logits are
        computed: projecting only the positions needed saves most of the work)."""
        steps = response_ids.shape[1]
        if self.is_encoder_decoder:
            dec_ids, dec_mask = self._decoder_inputs(response_ids, response_mask)
            if encoder_states is None:
                encoder_states = self.encode(prompt_ids, prompt_mask)
            out = self.model.get_decoder()(
                input_ids=dec_ids, attention_mask=dec_mask, encoder_hidden_states=encoder_states,
                encoder_attention_mask=prompt_mask, use_cache=False,
            )  # fmt: skip
            return out.last_hidden_state
        ids, mask, first = _causal_inputs(prompt_ids, prompt_mask, response_ids, response_mask,
                                          self.pad_id)  # fmt: skip
        positions = (mask.cumsum(1) - 1).clamp(min=0)
        out = self.model.base_model(input_ids=ids, attention_mask=mask, position_ids=positions,
                                    use_cache=False)  # fmt: skip
        return out.last_hidden_state[:, first - 1 : first - 1 + steps]

    def project(self, hidden: Any) -> Any:
        """Masked logits of hidden states (the model's output layer)."""
        logits = self.model.get_output_embeddings()(hidden * self._scale)
        bias = getattr(self.model, "final_logits_bias", None)
        if bias is not None:
            logits = logits + bias
        return self._mask_logits(logits.float())

    def _model_logits(
        self, prompt_ids: Any, prompt_mask: Any, response_ids: Any, response_mask: Any,
        encoder_states: Any = None,
    ) -> tuple[Any, Any]:  # fmt: skip
        """Logits and hidden states through the model's own forward (the reference path)."""
        steps = response_ids.shape[1]
        if self.is_encoder_decoder:
            dec_ids, dec_mask = self._decoder_inputs(response_ids, response_mask)
            kwargs: dict[str, Any] = {"attention_mask": prompt_mask,
                                      "decoder_input_ids": dec_ids,
                                      "decoder_attention_mask": dec_mask}  # fmt: skip
            if encoder_states is None:
                kwargs["input_ids"] = prompt_ids
            else:
                outputs = _transformers().modeling_outputs
                kwargs["encoder_outputs"] = outputs.BaseModelOutput(
                    last_hidden_state=encoder_states
                )
            out = self.model(**kwargs, output_hidden_states=True, use_cache=False)
            return out.logits, out.decoder_hidden_states[-1]
        ids, mask, first = _causal_inputs(prompt_ids, prompt_mask, response_ids, response_mask,
                                          self.pad_id)  # fmt: skip
        positions = (mask.cumsum(1) - 1).clamp(min=0)
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions,
                         output_hidden_states=True, use_cache=False)  # fmt: skip
        window = slice(first - 1, first - 1 + steps)
        return out.logits[:, window], out.hidden_states[-1][:, window]

    def _check_fast_path(self) -> None:
        """Use ``hidden_states`` + ``project`` only if they reproduce the model's logits (some
        architectures rescale before the output layer: T5 by ``d_model ** -0.5``)."""
        torch = _torch()
        self._fast, self._scale = False, 1.0
        ids = torch.tensor([[4, 5, 6, 7]])
        resp = torch.tensor([[8, 9, 10]])
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                reference, _ = self._model_logits(ids, torch.ones_like(ids), resp,
                                                  torch.ones_like(resp))  # fmt: skip
                reference = self._mask_logits(reference.float())
                hidden = self.hidden_states(ids, torch.ones_like(ids), resp, torch.ones_like(resp))
                d_model = getattr(self.model.config, "d_model", None)
                for scale in (1.0, float(d_model) ** -0.5 if d_model else 1.0):
                    self._scale = scale
                    if torch.allclose(self.project(hidden), reference, atol=1e-4, rtol=1e-4):
                        self._fast = True
                        return
                self._scale = 1.0
        except (TypeError, ValueError, AttributeError):
            self._scale = 1.0
        finally:
            self.model.train(was_training)

    def next_logits(
        self, obs: dict[str, np.ndarray], encoder_states: Any = None, values: bool = False
    ) -> tuple[Any, Any]:
        """Logits (and value) of the next action of each observation in a batch (token mode
        observations: ``prompt_ids``, ``prompt_mask``, ``response_ids``, ``response_mask``)."""
        torch = _torch()
        prompt_ids, prompt_mask = _trim_prompt(obs["prompt_ids"], obs["prompt_mask"])
        lengths = obs["response_mask"].sum(1).astype(np.int64)
        width = int(lengths.max()) + 1
        resp = np.full((len(lengths), width), self.pad_id, dtype=np.int64)
        rmask = np.zeros((len(lengths), width), dtype=np.int64)
        w = min(width, obs["response_ids"].shape[1])
        resp[:, :w] = obs["response_ids"][:, :w]
        rmask[:, :w] = obs["response_mask"][:, :w]
        rmask[np.arange(len(lengths)), lengths] = 1  # the slot being predicted
        if encoder_states is not None:
            encoder_states = encoder_states[:, : prompt_ids.shape[1]]
        args = (torch.from_numpy(prompt_ids), torch.from_numpy(prompt_mask),
                torch.from_numpy(resp), torch.from_numpy(rmask), encoder_states)  # fmt: skip
        index = torch.from_numpy(lengths)
        rows = torch.arange(len(lengths))
        if not self._fast:
            logits, value = self.forward(*args, values=values)
            return logits[rows, index], (value[rows, index] if value is not None else None)
        hidden = self.hidden_states(*args)[rows, index]
        return self.project(hidden), self._values(hidden, values)


def _tied_keys(model: Any) -> set[str]:
    keys = getattr(model, "_tied_weights_keys", None) or {}
    if isinstance(keys, dict):
        return set(keys)
    return set(keys)


def _trim_prompt(prompt_ids: np.ndarray, prompt_mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """Drop the padding columns every row has (prompts are left-aligned)."""
    width = max(1, int(prompt_mask.sum(1).max()))
    return (np.ascontiguousarray(prompt_ids[:, :width], dtype=np.int64),
            np.ascontiguousarray(prompt_mask[:, :width], dtype=np.int64))  # fmt: skip


def _causal_inputs(
    prompt_ids: Any, prompt_mask: Any, response_ids: Any, response_mask: Any, pad_id: int
) -> tuple[Any, Any, int]:
    """``[pad.. prompt | response ..pad]``: prompts right-aligned so that every row's response
    starts at the same column ``first``."""
    torch = _torch()
    width = prompt_ids.shape[1]
    lengths = prompt_mask.long().sum(1)
    index = torch.arange(width)[None, :] - (width - lengths)[:, None]
    valid = index >= 0
    left_ids = torch.where(valid, prompt_ids.gather(1, index.clamp(min=0)), pad_id)
    ids = torch.cat([left_ids, response_ids.masked_fill(response_mask == 0, pad_id)], dim=1)
    mask = torch.cat([valid.long(), response_mask.long()], dim=1)
    return ids, mask, width


# -- supervised data ---------------------------------------------------------------------------
@dataclass
class PairBatch:
    """Tokenised (prompt, target) pairs, padded: numpy int64 arrays."""

    prompt_ids: np.ndarray
    prompt_mask: np.ndarray
    target_ids: np.ndarray
    target_mask: np.ndarray


def split_pairs(env: gym.Env[Any, Any], split: str) -> PairBatch:
    """The examples of ``split`` tokenised exactly as the env shows them: the prompt cut to
    ``max_prompt_tokens``, the first reference cut to ``max_response_tokens - 1`` tokens plus
    end-of-sequence."""
    base = env.unwrapped
    tok = base.tokenizer  # type: ignore[attr-defined]
    if tok is None or base.action_mode != "token":  # type: ignore[attr-defined]
        raise ValueError("supervised training needs a text env in token mode")
    max_p, max_r = base.max_prompt_tokens, base.max_response_tokens  # type: ignore[attr-defined]
    examples = base.task.split(split)  # type: ignore[attr-defined]
    prompts = [tok.encode(ex.prompt)[:max_p] for ex in examples]
    targets = [[*tok.encode(ex.references[0])[: max_r - 1], tok.eos_id] for ex in examples]
    return PairBatch(*_pad(prompts, tok.pad_id), *_pad(targets, tok.pad_id))


def _pad(rows: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    width = max(1, max(len(r) for r in rows))
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def _rows(batch: PairBatch, idx: np.ndarray) -> tuple[Any, ...]:
    torch = _torch()
    p_mask = batch.prompt_mask[idx]
    t_mask = batch.target_mask[idx]
    pw, tw = max(1, int(p_mask.sum(1).max())), max(1, int(t_mask.sum(1).max()))
    t = torch.from_numpy
    return (t(batch.prompt_ids[idx, :pw]), t(p_mask[:, :pw]),
            t(batch.target_ids[idx, :tw]), t(t_mask[:, :tw]))  # fmt: skip


def _length_batches(data: PairBatch, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar lengths (less padding): sort within chunks of 20 batches."""
    order = rng.permutation(len(data.prompt_ids))
    lengths = data.prompt_mask.sum(1) + data.target_mask.sum(1)
    batches = []
    chunk = batch_size * 20
    for lo in range(0, len(order), chunk):
        part = order[lo : lo + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


@dataclass
class SupervisedConfig:
    """Teacher-forcing settings."""

    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 1.5e-3
    weight_decay: float = 0.01
    warmup_steps: int = 200
    label_smoothing: float = 0.1
    max_grad_norm: float = 1.0
    eval_every: int = 3
    eval_examples: int = 100


def train_supervised(
    policy: TextPolicy,
    env: gym.Env[Any, Any],
    config: SupervisedConfig,
    seed: int = 0,
    max_updates: int | None = None,
    max_seconds: float | None = None,
    progress: bool = True,
    log: TrainingLog | None = None,
) -> dict[str, Any]:
    """Teacher forcing on the train split (cross-entropy with label smoothing, AdamW, linear
    warm-up then inverse square root decay). Every ``eval_every`` epochs the greedy corpus
    metric on ``eval_examples`` validation examples is measured and the best weights are kept.
    Returns statistics (``updates``, ``loss``, ``best_validation``, ``history``)."""
    torch = _torch()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = split_pairs(env, "train")
    n = len(data.prompt_ids)
    per_epoch = max(1, int(np.ceil(n / config.batch_size)))
    total = config.epochs * per_epoch if max_updates is None else max_updates
    optimizer = torch.optim.AdamW(policy.parameters(), lr=config.learning_rate,
                                  weight_decay=config.weight_decay)  # fmt: skip
    warm = max(1, config.warmup_steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, (warm / (s + 1)) ** 0.5)
    )
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=config.label_smoothing, reduction="sum")
    metric = primary_metric(env)
    history: list[tuple[int, float]] = []
    best_value, best_state = -float("inf"), None
    start = time.perf_counter()
    updates, epoch, loss_value = 0, 0, float("nan")
    with Progress(total, "supervised", enabled=progress) as bar:
        while updates < total:
            policy.train(True)
            for idx in _length_batches(data, config.batch_size, rng):
                p_ids, p_mask, t_ids, t_mask = _rows(data, idx)
                valid = t_mask.bool()
                if policy._fast:  # project only the real target positions, not the padding
                    hidden = policy.hidden_states(p_ids, p_mask, t_ids, t_mask)
                    logits = policy.project(hidden[valid])
                else:
                    logits = policy.forward(p_ids, p_mask, t_ids, t_mask)[0][valid]
                # label smoothing spreads mass over every class: illegal tokens get a large
                # finite logit gap instead of -inf (a constant in the loss, no gradient)
                legal_logits = logits.masked_fill(logits <= NEG_INF, -1e4)
                loss = loss_fn(legal_logits, t_ids[valid]) / valid.sum()
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(policy.parameters(), config.max_grad_norm)
                optimizer.step()
                schedule.step()
                updates += 1
                loss_value = float(loss.item())
                bar.update(1, epoch=epoch, loss=loss_value)
                if updates >= total:
                    break
                if max_seconds is not None and time.perf_counter() - start > max_seconds:
                    total = updates
                    break
            epoch += 1
            last = updates >= total
            if config.eval_every > 0 and (epoch % config.eval_every == 0 or last):
                result = decode_split(policy, env, "validation", limit=config.eval_examples,
                                      progress=False)  # fmt: skip
                value = result.corpus.get(metric, result.mean)
                history.append((updates, value))
                if log is not None:
                    log.log(updates, value, loss=loss_value)
                if value > best_value:
                    best_value = value
                    best_state = copy.deepcopy(policy.model.state_dict())
    if best_state is not None:
        policy.model.load_state_dict(best_state)
    policy.train(False)
    return {"updates": updates, "epochs": epoch, "loss": loss_value,
            "best_validation": best_value, "metric": metric, "history": history,
            "seconds": time.perf_counter() - start}  # fmt: skip


# -- decoding and evaluation -------------------------------------------------------------------
def primary_metric(env: gym.Env[Any, Any]) -> str:
    """The env's reward metric name (``bleu``, ``rougeL``, ``f1``)."""
    return str(getattr(env.unwrapped, "reward_name", "score"))


def split_prompts(env: gym.Env[Any, Any], split: str, limit: int | None = None) -> PairBatch:
    """Prompts of ``split`` as the env encodes them (targets left empty)."""
    pairs = split_pairs(env, split)
    count = len(pairs.prompt_ids) if limit is None else min(limit, len(pairs.prompt_ids))
    return PairBatch(pairs.prompt_ids[:count], pairs.prompt_mask[:count],
                     pairs.target_ids[:count], pairs.target_mask[:count])  # fmt: skip


def generate(
    policy: TextPolicy,
    prompt_ids: np.ndarray,
    prompt_mask: np.ndarray,
    max_tokens: int,
    greedy: bool = True,
    temperature: float = 1.0,
    generator: Any = None,
) -> list[list[int]]:
    """Decode a batch of prompts token by token (the encoder runs once; the decoder is
    recomputed over the short response). Each answer ends with end-of-sequence or at
    ``max_tokens`` tokens; the end-of-sequence token is included when produced."""
    torch = _torch()
    prompt_ids, prompt_mask = _trim_prompt(prompt_ids, prompt_mask)
    batch = len(prompt_ids)
    p_ids, p_mask = torch.from_numpy(prompt_ids), torch.from_numpy(prompt_mask)
    eos = policy.tokenizer.eos_id
    out = np.full((batch, max_tokens), policy.pad_id, dtype=np.int64)
    lengths = np.zeros(batch, dtype=np.int64)
    alive = np.ones(batch, dtype=bool)
    with torch.no_grad():
        states = policy.encode(p_ids, p_mask) if policy.is_encoder_decoder else None
        for t in range(max_tokens):
            rows = np.flatnonzero(alive)
            if len(rows) == 0:
                break
            resp = np.full((len(rows), t + 1), policy.pad_id, dtype=np.int64)
            resp[:, :t] = out[rows, :t]
            mask = np.ones((len(rows), t + 1), dtype=np.int64)
            args = (p_ids[rows], p_mask[rows], torch.from_numpy(resp), torch.from_numpy(mask),
                    None if states is None else states[rows])  # fmt: skip
            if policy._fast:
                last = policy.project(policy.hidden_states(*args)[:, -1])
            else:
                last = policy.forward(*args)[0][:, -1]
            if greedy:
                tokens = last.argmax(-1)
            else:
                probs = torch.softmax(last / max(temperature, 1e-6), -1)
                tokens = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
            tokens_np = tokens.numpy()
            out[rows, t] = tokens_np
            lengths[rows] = t + 1
            alive[rows[tokens_np == eos]] = False
    return [out[i, : lengths[i]].tolist() for i in range(batch)]


def replay(env: gym.Env[Any, Any], split: str, index: int, tokens: list[int]) -> dict[str, Any]:
    """Play ``tokens`` as the answer to example ``index`` of ``split``; the final info, with
    the sum of the env's rewards added as ``"return"``."""
    env.reset(seed=index, options={"split": split, "index": index})
    info: dict[str, Any] = {}
    total = 0.0
    for token in tokens:
        _, reward, terminated, truncated, info = env.step(int(token))
        total += float(reward)
        if terminated or truncated:
            return {**info, "return": total}
    # the answer stopped short of end-of-sequence (cannot happen with generate's output)
    eos = int(env.unwrapped.tokenizer.eos_id)  # type: ignore[attr-defined]
    _, reward, _, _, info = env.step(eos)
    return {**info, "return": total + float(reward)}


def decode_split(
    policy: TextPolicy,
    env: gym.Env[Any, Any],
    split: str = "test",
    limit: int | None = None,
    greedy: bool = True,
    temperature: float = 1.0,
    batch_size: int = 64,
    seed: int = 0,
    progress: bool = True,
    label: str = "decode",
) -> SplitResult:
    """Answer every example of ``split`` (greedy or sampled), replay each answer through the
    env (so hypotheses and sentence scores are the env's own) and compute the env's corpus
    metrics (sacrebleu corpus BLEU / chrF, ROUGE, SQuAD F1 / EM)."""
    torch = _torch()
    was_training = policy.model.training
    policy.train(False)
    prompts = split_prompts(env, split, limit)
    max_tokens = int(env.unwrapped.max_response_tokens)  # type: ignore[attr-defined]
    generator = torch.Generator().manual_seed(seed)
    result = SplitResult(split)
    count = len(prompts.prompt_ids)
    with Progress(count, label, enabled=progress) as bar:
        for lo in range(0, count, batch_size):
            hi = min(count, lo + batch_size)
            answers = generate(policy, prompts.prompt_ids[lo:hi], prompts.prompt_mask[lo:hi],
                               max_tokens, greedy, temperature, generator)  # fmt: skip
            for k, tokens in enumerate(answers):
                info = replay(env, split, lo + k, tokens)
                result.hypotheses.append(info["hypothesis"])
                result.references.append(list(info["references"]))
                result.scores.append(float(info["score"]))
            bar.update(hi - lo, score=result.mean)
    corpus_metrics = getattr(env.unwrapped, "corpus_metrics", None)
    if corpus_metrics is not None:
        result.corpus = corpus_metrics(result.hypotheses, result.references)
    policy.train(was_training)
    return result


# -- the agent ---------------------------------------------------------------------------------
class Seq2SeqAgent(Agent):
    """The supervised baseline: a small transformer (or ``model=PATH``, any local Hugging Face
    seq2seq or causal LM) trained with teacher forcing on the train split; acts greedily.

    Args:
        env: a text env in token mode (its tokenizer must be the model's).
        seed: seed of initialisation and batching.
        model: a local checkpoint folder to start from instead of the small model.
        model_config: size of the small model (``SmallModelConfig`` fields).
        supervised: ``SupervisedConfig`` fields.
        env_kwargs: settings of the env (recorded in the checkpoint).
    """

    name = "seq2seq"
    learns = True

    def __init__(
        self,
        env: gym.Env[Any, Any],
        seed: int | None = None,
        model: str | None = None,
        model_config: dict[str, Any] | None = None,
        supervised: dict[str, Any] | None = None,
        env_kwargs: dict[str, Any] | None = None,
        threads: int | None = 1,
    ) -> None:
        torch = _torch()
        if threads is not None:
            torch.set_num_threads(threads)
        base = env.unwrapped
        if getattr(base, "action_mode", None) != "token":
            raise ValueError(
                f"{self.name} needs a text env in token mode (action_mode='token'); "
                f"got {getattr(base, 'action_mode', type(base).__name__)!r}"
            )
        self.env = env
        self.env_id = env.spec.id if env.spec is not None else None
        self.env_kwargs = dict(env_kwargs or {})
        self.seed = 0 if seed is None else int(seed)
        self.model_path = model
        self.model_config = SmallModelConfig(**(model_config or {}))
        self.supervised = SupervisedConfig(**(supervised or {}))
        torch.manual_seed(self.seed)
        tokenizer = base.tokenizer  # type: ignore[attr-defined]
        hf = load_pretrained(model) if model else build_small_model(tokenizer, self.model_config)
        self.policy = TextPolicy(hf, tokenizer, value_head=self._value_head())
        self.policy.train(False)
        self._states: Any = None
        self._last_len = -1

    def _value_head(self) -> bool:
        return False

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
        """Teacher forcing for ``total_steps`` optimizer updates (0: ``supervised.epochs``)."""
        log = TrainingLog(tensorboard_dir, curve_path, f"supervised {self.env_id}")
        stats = train_supervised(self.policy, self.env, self.supervised,
                                 seed=self.seed if seed is None else seed,
                                 max_updates=total_steps or None, max_seconds=max_seconds,
                                 progress=progress, log=log)  # fmt: skip
        log.close()
        stats["steps"] = stats["updates"]
        return stats

    def reset(self) -> None:
        """Forget the cached encoder states of the previous episode."""
        self._states = None

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """The greedy next token."""
        torch = _torch()
        obs = {k: np.asarray(v)[None] for k, v in observation.items()}
        with torch.no_grad():
            if self.policy.is_encoder_decoder and (
                self._states is None or int(obs["response_mask"].sum()) == 0
            ):
                p_ids, p_mask = _trim_prompt(obs["prompt_ids"], obs["prompt_mask"])
                self._states = self.policy.encode(torch.from_numpy(p_ids),
                                                  torch.from_numpy(p_mask))  # fmt: skip
            logits, _ = self.policy.next_logits(obs, self._states)
        return int(logits[0].argmax())

    def config(self) -> dict[str, Any]:
        """Settings, including the Hugging Face model config so the model can be rebuilt."""
        return {"env_id": self.env_id, "env_kwargs": self.env_kwargs, "seed": self.seed,
                "model_path": self.model_path, "model_config": asdict(self.model_config),
                "hf_config": json.loads(self.policy.model.config.to_json_string()),
                "supervised": asdict(self.supervised)}  # fmt: skip

    def tensors(self) -> dict[str, np.ndarray]:
        """Model (and value head) weights."""
        return self.policy.state()

    def load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        """Restore weights saved by ``tensors``."""
        if not tensors:
            raise ValueError(f"checkpoint has no weights for agent {self.name!r}")
        self.policy.load_state(tensors)
        self.policy.train(False)
