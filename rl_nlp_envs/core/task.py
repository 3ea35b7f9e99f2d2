"""The data a text environment serves: examples grouped in splits."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Example:
    """One item of a task: what the agent is shown, and what a good answer looks like.

    Attributes:
        id: a stable identifier (unique within the task).
        prompt: the text the agent sees (a source sentence, a document, a question ...).
        references: one or more acceptable answers, for the reward.
        meta: anything else a task or agent may use (source text, topic, passage ...).
    """

    id: str
    prompt: str
    references: tuple[str, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.prompt, str):
            raise TypeError(f"example {self.id!r}: prompt must be a str")
        if not self.references or not all(isinstance(r, str) for r in self.references):
            raise ValueError(f"example {self.id!r}: references must be one or more strings")


@dataclass
class Task:
    """Examples per split (``train``, ``validation``, ``test``) plus a task name.

    ``select`` picks an example deterministically by split and index; ``sample`` draws one with
    the environment's generator.

    Examples:
        >>> from rl_nlp_envs.core.task import Example, Task
        >>> task = Task.from_examples("capitals", [
        ...     ("train", Example("c1", "Capital of France?", ("Paris",))),
        ...     ("test", Example("c2", "Capital of Italy?", ("Rome", "Roma"))),
        ... ])
        >>> task.sizes()
        {'train': 1, 'validation': 0, 'test': 1}
        >>> task.select("test", 0).references
        ('Rome', 'Roma')
        >>> task.split("validation")
        Traceback (most recent call last):
        ...
        ValueError: split 'validation' of task 'capitals' is empty; splits with examples: ...
    """

    name: str
    splits: dict[str, list[Example]]
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.splits) - set(SPLITS)
        if unknown:
            raise ValueError(f"unknown split(s) {sorted(unknown)}; allowed: {', '.join(SPLITS)}")
        if not any(self.splits.values()):
            raise ValueError(f"task {self.name!r} has no examples")
        for split in SPLITS:
            self.splits.setdefault(split, [])

    @classmethod
    def from_examples(cls, name: str, examples: Iterable[tuple[str, Example]], **info: Any) -> Task:
        """Build a task from ``(split, example)`` pairs."""
        splits: dict[str, list[Example]] = {s: [] for s in SPLITS}
        for split, example in examples:
            if split not in splits:
                raise ValueError(
                    f"example {example.id!r} has unknown split {split!r}; "
                    f"allowed: {', '.join(SPLITS)}"
                )
            splits[split].append(example)
        return cls(name, splits, dict(info))

    def split(self, name: str) -> list[Example]:
        """The examples of a split (clear error for unknown or empty splits)."""
        if name not in self.splits:
            raise ValueError(f"unknown split {name!r}; allowed: {', '.join(SPLITS)}")
        examples = self.splits[name]
        if not examples:
            available = [s for s in SPLITS if self.splits[s]]
            raise ValueError(
                f"split {name!r} of task {self.name!r} is empty; splits with examples: "
                f"{', '.join(available)}"
            )
        return examples

    def select(self, split: str, index: Any) -> Example:
        """Example ``index`` of ``split``."""
        examples = self.split(split)
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"index must be an int, got {index!r}")
        if not 0 <= int(index) < len(examples):
            raise ValueError(
                f"index {index} is out of range for split {split!r} "
                f"({len(examples)} examples: 0 to {len(examples) - 1})"
            )
        return examples[int(index)]

    def sample(self, rng: np.random.Generator, split: str = "train") -> tuple[int, Example]:
        """A uniformly random example of ``split`` and its index."""
        examples = self.split(split)
        index = int(rng.integers(len(examples)))
        return index, examples[index]

    def sizes(self) -> dict[str, int]:
        """Number of examples per split."""
        return {s: len(self.splits[s]) for s in SPLITS}

    def all_texts(self) -> Sequence[str]:
        """Every prompt and reference (for tokenizer training and charsets)."""
        out: list[str] = []
        for examples in self.splits.values():
            for ex in examples:
                out.append(ex.prompt)
                out.extend(ex.references)
        return out


def task_from_source(
    name: str,
    dataset: Any,
    read: Callable[[Any], Any],
    make_example: Callable[[Any, int], Example],
    **info: Any,
) -> Task:
    """Build a task from user data: one source for all splits, or ``{split: source}``.

    ``read`` turns a source (path or dataset object) into a ``LoadReport``; ``make_example``
    turns its k-th pair into an ``Example``. Rows carrying a ``split`` field keep it; rows of a
    single source without one serve every split; rows of a mapping go to the mapping's split.
    """
    sources = dataset.items() if isinstance(dataset, Mapping) else [(None, dataset)]
    pairs: list[tuple[str, Example]] = []
    skipped: dict[str, int] = {}
    k = 0
    for split, source in sources:
        if split is not None and split not in SPLITS:
            raise ValueError(f"unknown split {split!r} in dataset=; allowed: {', '.join(SPLITS)}")
        report = read(source)
        for reason, n in report.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + n
        for pair in report.pairs:
            example = make_example(pair, k)
            k += 1
            if split is not None:
                targets = [split]
            elif "split" in pair.meta:
                targets = [pair.meta["split"]]
            else:
                targets = list(SPLITS)
            pairs.extend((s, example) for s in targets)
    return Task.from_examples(name, pairs, skipped=skipped, **info)
