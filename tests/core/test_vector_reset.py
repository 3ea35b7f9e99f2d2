"""``check_vector_args`` and ``parse_reset``: the constructor and reset arguments of every
native batched env."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from rl_nlp_envs.core.vector import check_vector_args, parse_reset


def test_seeds_masks_and_options() -> None:
    mask, seeds, base, rest = parse_reset("X", 3, 7, None)
    assert mask.tolist() == [True] * 3 and seeds == [7, 8, 9] and base == 7 and rest == {}
    mask, seeds, base, _ = parse_reset(
        "X", 3, [1, None, 2], {"reset_mask": np.array([0, 1, 0], bool)}
    )
    assert mask.tolist() == [False, True, False] and seeds == [1, None, 2] and base is None
    assert parse_reset("X", 2, None, {"split": "test"}, more_options=True)[3] == {"split": "test"}


@pytest.mark.parametrize(
    ("seed", "options", "more", "message"),
    [
        (None, {"split": "test"}, False, "X vector reset takes only the option 'reset_mask'"),
        (None, {"reset_mask": np.zeros(2, bool)}, False, "with at least one True"),
        (None, {"reset_mask": [1, 0]}, False, r"bool array of shape \(2,\)"),
        (None, {"reset_mask": np.ones(3, bool)}, False, r"bool array of shape \(2,\)"),
        ([1, 2, 3], None, False, "3 seeds for 2 sub-environments"),
        (True, None, False, "seed must be None, an int or a list of 2 ints/None, got bool"),
        ("12", None, False, "got str"),
        (1.5, None, True, "got float"),
    ],
)
def test_bad_arguments_are_named(seed: object, options: object, more: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_reset("X", 2, seed, options, more_options=more)  # type: ignore[arg-type]


def test_constructor_arguments() -> None:
    modes = ["ansi", "rgb_array"]
    assert check_vector_args(4, "next_step", None, modes) is AutoresetMode.NEXT_STEP
    assert check_vector_args(np.int64(2), "SameStep", "ansi", modes) is AutoresetMode.SAME_STEP
    assert check_vector_args(1, AutoresetMode.DISABLED, None, modes) is AutoresetMode.DISABLED
    for bad in (0, -1, True, 2.0, "4"):
        with pytest.raises(ValueError, match="num_envs must be a positive int"):
            check_vector_args(bad, "NextStep", None, modes)
    with pytest.raises(
        ValueError, match="unknown autoreset_mode 'later'; choose one of: NEXT_STEP"
    ):
        check_vector_args(2, "later", None, modes)
    with pytest.raises(ValueError, match="unknown render_mode 'human' for the vector env"):
        check_vector_args(2, "NextStep", "human", modes)
