"""What the Gymnasium start-up hook costs an interpreter that never imports gymnasium.

Run: ``python benchmarks/bench_startup.py``. Compares ``python -c pass`` with the hook enabled
and disabled (``RL_NLP_ENVS_NO_HOOK=1``), interleaved, many times, and prints the medians.
Also times ``import gymnasium`` plus the plugin loading it triggers.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time


def _time(code: str, disable: bool) -> float:
    env = dict(os.environ)
    if disable:
        env["RL_NLP_ENVS_NO_HOOK"] = "1"
    else:
        env.pop("RL_NLP_ENVS_NO_HOOK", None)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - start


def main(runs: int = 60) -> None:
    rows = []
    for label, code in (
        ("python -c pass", "pass"),
        ("import gymnasium + plugins", "import gymnasium"),
    ):
        on, off = [], []
        for _ in range(runs):
            on.append(_time(code, disable=False))
            off.append(_time(code, disable=True))
        rows.append((label, statistics.median(on) * 1e3, statistics.median(off) * 1e3))
    print("| interpreter run | hook on (ms, median) | hook off (ms, median) | difference (ms) |")
    print("|---|---|---|---|")
    for label, on_ms, off_ms in rows:
        print(f"| {label} | {on_ms:.1f} | {off_ms:.1f} | {on_ms - off_ms:+.1f} |")
    # the whole cost of the hook at start-up, hook module included (its .pth always imports it)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "pass"], capture_output=True, text=True
    )
    for line in result.stderr.splitlines():
        if "_rl_nlp_envs_gymnasium_hook" in line:
            micros = int(line.split("|")[1])
            print(f"\n`-X importtime`: the hook module takes {micros} µs to import at start-up.")


if __name__ == "__main__":
    main()
