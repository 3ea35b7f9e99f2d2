"""A compiled (numba) kernel for BLEU's clipped n-gram matches, used by ``BLEU(backend="numba")``.

Imported only when that backend is used (it needs the ``fast`` extra). Tokens arrive as integer
ids (equal tokens, equal ids), so that the kernel compares machine integers instead of hashing
n-gram tuples. Per hypothesis position it keeps the reference positions where its n-gram occurs
and shortens that list by one comparison per candidate and order, so the work after the first
order is proportional to the number of matches, not to the sentence lengths.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, boundscheck=False)
def clipped_matches(  # pragma: no cover - compiled
    hyp_bytes: bytes, refs_bytes: bytes, bounds: Any
) -> tuple[int, int, int, int]:
    """sacreBLEU's clipped n-gram matches of orders 1..4: for every distinct hypothesis n-gram,
    ``min(count in the hypothesis, largest count in one reference)``, summed.

    ``hyp_bytes``: the hypothesis token ids as int64 bytes; ``refs_bytes``: the ids of all
    references, concatenated; reference ``k`` is tokens ``bounds[k]:bounds[k + 1]`` of it
    (``bounds``: an int64 buffer). Once an order has no match, the longer ones are 0 and are not
    computed.
    """
    hyp = np.frombuffer(hyp_bytes, np.int64)
    refs = np.frombuffer(refs_bytes, np.int64)
    lh = len(hyp)
    lr = len(refs)
    nref = len(bounds) - 1
    out = np.zeros(4, np.int64)
    if lh == 0 or lr == 0:
        return 0, 0, 0, 0
    block = np.empty(lr, np.int64)  # the reference each position belongs to
    for k in range(nref):
        for j in range(bounds[k], bounds[k + 1]):
            block[j] = k
    # cand[i, :ncand[i]]: reference positions where the current n-gram at i starts
    cand = np.empty((lh, lr), np.int32)
    ncand = np.zeros(lh, np.int32)
    # group[i]: the first position of hyp[i]'s token if it occurs again in the hypothesis
    # (only such positions can start repeated n-grams, which need clipping), else -1
    group = np.full(lh, -1, np.int32)
    counts = np.zeros(nref, np.int64)
    for i in range(lh):
        token = hyp[i]
        m = 0
        for j in range(lr):
            if refs[j] == token:
                cand[i, m] = j
                m += 1
        ncand[i] = m
        if m and group[i] < 0:
            for p in range(i + 1, lh):
                if hyp[p] == token:
                    group[i] = i
                    group[p] = i
    for n in range(1, 5):
        last = lh - n + 1  # the number of hypothesis n-grams
        if last <= 0:
            break
        s = n - 1
        total = 0
        for i in range(last):
            m = ncand[i]
            if m == 0:
                continue
            if s:  # extend the (n-1)-gram matches by one token, within the same reference
                token = hyp[i + s]
                kept = 0
                for q in range(m):
                    j = cand[i, q]
                    if j + s < lr and refs[j + s] == token and block[j + s] == block[j]:
                        cand[i, kept] = j
                        kept += 1
                ncand[i] = m = kept
                if m == 0:
                    continue
            in_hyp = 1
            g = group[i]
            if g >= 0:  # count this n-gram's occurrences; only its first one is scored
                first = True
                for p in range(g, last):
                    if p == i or group[p] != g:
                        continue
                    equal = True
                    for o in range(1, n):
                        if hyp[p + o] != hyp[i + o]:
                            equal = False
                            break
                    if equal:
                        if p < i:
                            first = False
                            break
                        in_hyp += 1
                if not first:
                    continue
            if nref == 1:
                most = m
            else:
                for k in range(nref):
                    counts[k] = 0
                for q in range(m):
                    counts[block[cand[i, q]]] += 1
                most = 0
                for k in range(nref):
                    if counts[k] > most:
                        most = counts[k]
            total += in_hyp if in_hyp < most else most
        out[n - 1] = total
        if total == 0:
            break
    return out[0], out[1], out[2], out[3]
