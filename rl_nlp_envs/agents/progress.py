"""A dependency-free progress bar for training and evaluation loops."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    """A one-line progress bar on stderr: ``label [#####.....] 50/100 12.3it/s key=value``.

    Redraws at most every 0.2 s. Set ``RLNLP_NO_PROGRESS=1`` (or ``enabled=False``) to silence.
    """

    def __init__(
        self, total: int, label: str, enabled: bool = True, stream: TextIO | None = None
    ) -> None:
        self.total = max(1, int(total))
        self.label = label
        self.count = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled and not os.environ.get("RLNLP_NO_PROGRESS")
        self._start = time.perf_counter()
        self._last = 0.0
        self._postfix = ""
        self._drawn = -1

    def update(self, n: int = 1, **postfix: float | str) -> None:
        """Advance by ``n`` and optionally show ``key=value`` statistics."""
        self.count += n
        if postfix:
            self._postfix = " ".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in postfix.items()
            )
        now = time.perf_counter()
        if self.enabled and (now - self._last > 0.2 or self.count >= self.total):
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        self._drawn = self.count
        frac = min(1.0, self.count / self.total)
        filled = int(frac * 24)
        rate = self.count / max(now - self._start, 1e-9)
        bar = "#" * filled + "." * (24 - filled)
        line = f"\r{self.label} [{bar}] {self.count}/{self.total} {rate:,.1f}it/s {self._postfix}"
        self.stream.write(line[:200])
        self.stream.flush()

    def close(self) -> None:
        """Finish the line."""
        if self.enabled:
            if self._drawn != self.count:
                self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
