"""Amdahl's law fitted to measured speedups, without scipy.

S(p) = 1 / (f + (1 − f) / p) for p workers and a serial fraction f. When the baseline is not
one worker (b workers), the measured speedup is against it: S_b(p) = S(p) / S(b).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence


def amdahl_speedup(workers: float, serial_fraction: float, base_workers: float = 1) -> float:
    def s(p: float) -> float:
        return 1.0 / (serial_fraction + (1.0 - serial_fraction) / p)

    return s(workers) / s(base_workers)


def _sse(f: float, workers: Sequence[float], speedups: Sequence[float], base: float) -> float:
    return sum((amdahl_speedup(p, f, base) - s) ** 2 for p, s in zip(workers, speedups))


def fit_amdahl(
    workers: Sequence[float], speedups: Sequence[float], base_workers: float = 1
) -> Optional[float]:
    """The serial fraction f in [0, 1] that minimises the squared speedup error.

    A coarse scan brackets the best f (the error need not be unimodal over all of [0, 1]
    with noisy data), then a golden-section search refines it inside the bracket to ~1e-10.
    None when no point has a worker count other than the baseline's: nothing to fit.
    """
    pairs = [
        (float(p), float(s))
        for p, s in zip(workers, speedups)
        if p > 0 and s is not None and math.isfinite(s)
    ]
    if not any(p != base_workers for p, _ in pairs):
        return None
    ws, ss = [p for p, _ in pairs], [s for _, s in pairs]
    steps = 200
    grid = [i / steps for i in range(steps + 1)]
    best = min(range(len(grid)), key=lambda i: _sse(grid[i], ws, ss, base_workers))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, steps)]
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = _sse(a, ws, ss, base_workers), _sse(b, ws, ss, base_workers)
    while hi - lo > 1e-10:
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = _sse(a, ws, ss, base_workers)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = _sse(b, ws, ss, base_workers)
    return (lo + hi) / 2
