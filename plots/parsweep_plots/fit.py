"""Amdahl's and Gustafson's laws fitted to measured speedups, without scipy.

Strong scaling (the same work at every P·T), Amdahl: S(p) = 1 / (f + (1 − f) / p) for p
workers and a serial fraction f.

Weak scaling (the work grows with P·T), Gustafson: the scaled speedup S(p) = p − f·(p − 1),
f the serial fraction of the parallel run's time. The harness's scaled speedup is
p · T_1 / T_p, so the law also says how the time grows: T_p / T_1 = p / S(p).

When the baseline is not one worker (b workers), the measured speedup is against it:
S_b(p) = S(p) / S(b), in both laws.
"""
from __future__ import annotations

import math
from typing import Callable, Optional, Sequence


def amdahl_speedup(workers: float, serial_fraction: float, base_workers: float = 1) -> float:
    def s(p: float) -> float:
        return 1.0 / (serial_fraction + (1.0 - serial_fraction) / p)

    return s(workers) / s(base_workers)


def gustafson_speedup(workers: float, serial_fraction: float, base_workers: float = 1) -> float:
    def s(p: float) -> float:
        return p - serial_fraction * (p - 1.0)

    return s(workers) / s(base_workers)


def _fit(
    law: Callable[[float, float, float], float],
    workers: Sequence[float],
    speedups: Sequence[float],
    base_workers: float,
) -> Optional[float]:
    """The serial fraction f in [0, 1] for which `law` best fits the speedups (least squares).

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

    def sse(f: float) -> float:
        return sum((law(p, f, base_workers) - s) ** 2 for p, s in pairs)

    steps = 200
    grid = [i / steps for i in range(steps + 1)]
    best = min(range(len(grid)), key=lambda i: sse(grid[i]))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, steps)]
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = sse(a), sse(b)
    while hi - lo > 1e-10:
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = sse(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = sse(b)
    return (lo + hi) / 2


def fit_amdahl(
    workers: Sequence[float], speedups: Sequence[float], base_workers: float = 1
) -> Optional[float]:
    """Amdahl's serial fraction f in [0, 1] that minimises the squared speedup error (strong
    scaling); None when there is nothing to fit."""
    return _fit(amdahl_speedup, workers, speedups, base_workers)


def fit_gustafson(
    workers: Sequence[float], scaled_speedups: Sequence[float], base_workers: float = 1
) -> Optional[float]:
    """Gustafson's serial fraction f in [0, 1] that minimises the squared error of the scaled
    speedups (weak scaling); None when there is nothing to fit. With a one-worker baseline
    the law is linear in f and this is the ordinary least-squares f, clamped to [0, 1]."""
    return _fit(gustafson_speedup, workers, scaled_speedups, base_workers)
