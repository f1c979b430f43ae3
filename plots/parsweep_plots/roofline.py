"""The roofline of a run: every point's achieved GFLOP/s against its arithmetic intensity
(flops per byte moved), under the machine's limits the run recorded, and below it each
point's share of its limit.

The limits are the run's context.calibration (`parsweep calibrate`: STREAM triad GB/s and
DGEMM GFLOP/s per thread count). At P·T threads the roof is min(DGEMM, intensity × triad),
as the harness judged the point (harness/measure/roofline.cpp, apply_roofline), and limit_at
below reads a thread count between two calibrated ones, or beyond them, as the harness does:
so each point sits under the very roof its roofline_fraction is measured against.

Everything is read from the export: a point's GFLOP/s and GB/s are the kernel's flops and
bytes over the median compute time (derived.gflops, derived.bandwidth_gbs), so their ratio is
the kernel's intensity; derived.roofline_fraction is the harness's figure, never recomputed.
A kernel that counts flops but no bytes (invert, pi: compute-bound) has no finite intensity
and is drawn at the right edge under the DGEMM ceiling; one that counts bytes but no flops
(wordcount) has no GFLOP/s to place, and appears in the lower panel only. A run without a
calibration, or without a point held to it, gets no chart and the report says why.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator

from . import captions, style
from .charts import Drawn, render
from .load import Point, Run, _number

TITLE = "Roofline"
SUBJECT = "every point against the machine's limits"
SECTION = "Roofline: the machine's limits"

GUIDE = 0.8  # the share of the limit that reads as "near the roof" in a workshop
LABEL_GAP = 0.034  # between two point labels, in fractions of the axes' height
EDGE = math.inf  # the intensity of a kernel that counts no bytes
DODGE = 1.12  # sideways between groups that share an intensity (a factor: the x axis is log)


def limit_at(points, field: str, threads: float) -> Optional[float]:
    """The calibrated value of `field` at `threads`: exact at a calibrated count, linear
    between two, the nearest count's below the first, and the top count's beyond the last
    (the machine has no more cores). The harness's limit_at, for the same numbers."""
    rows = []
    for p in points if isinstance(points, list) else []:
        p = p if isinstance(p, dict) else {}
        t, v = _number(p.get("threads")), _number(p.get(field))
        if t is not None and v is not None:
            rows.append((t, v))
    below = None
    for t, v in rows:
        if t == threads:
            return v
        if t > threads:
            if below is None:
                return v
            t0, v0 = below
            return v0 + (v - v0) * (threads - t0) / (t - t0)
        below = (t, v)
    return below[1] if below else None


@dataclass
class Roof:
    """One roof: the limits at one or more thread counts (beyond the calibrated ones several
    counts share the top count's limits, and so one roof)."""

    workers: list  # the P·T it holds, ascending
    triad_gbs: float
    dgemm_gflops: float
    look: dict  # style.series_style: its colour and line style, and its points' colour

    @property
    def ridge(self) -> float:
        """The intensity where the bandwidth slope meets the ceiling (flops/byte)."""
        return self.dgemm_gflops / self.triad_gbs

    def at(self, intensity: float) -> float:
        return min(self.dgemm_gflops, intensity * self.triad_gbs)

    @property
    def label(self) -> str:
        counts = ", ".join(str(w) for w in self.workers)
        return (
            f"P·T = {counts}\ntriad {style.fmt_sig(self.triad_gbs)} GB/s, "
            f"DGEMM {style.fmt_sig(self.dgemm_gflops)} GFLOP/s"
        )


def calibration_of(run: Run) -> dict:
    """context.calibration when it holds both limits, else style.Skip saying what is missing."""
    c = run.context.get("calibration")
    if not isinstance(c, dict):
        raise style.Skip(
            "the run recorded no calibration of the machine's limits (it ran with "
            "--no-calibrate, or before parsweep calibrate existed)"
        )
    if c.get("error"):
        raise style.Skip(f"the machine's calibration failed when the run started: {c['error']}")
    for part, field in (("stream", "triad_gbs"), ("dgemm", "gflops")):
        if limit_at((c.get(part) or {}).get("points"), field, 1) is None:
            raise style.Skip(f"the run's calibration has no {part} {field} per thread count")
    return c


def intensity(p: Point) -> Optional[float]:
    """Flops per byte, EDGE when the kernel counts no bytes, None when it counts no flops."""
    gflops, gbs = p.value("gflops"), p.value("bandwidth_gbs")
    if not gflops:
        return None
    return gflops / gbs if gbs else EDGE


def _roofs(calibration: dict, workers: list) -> dict:
    """{P·T: Roof}, one Roof per distinct pair of limits, coloured in order of P·T."""
    by_limits: dict = {}
    for w in sorted(set(workers)):
        key = (
            limit_at(calibration["stream"]["points"], "triad_gbs", w),
            limit_at(calibration["dgemm"]["points"], "gflops", w),
        )
        if key not in by_limits:
            by_limits[key] = Roof([], key[0], key[1], style.series_style(len(by_limits)))
        by_limits[key].workers.append(w)
    return {w: roof for roof in by_limits.values() for w in roof.workers}


def _distinct(roofs: dict) -> list:
    """Each Roof of {P·T: Roof} once, in order of P·T."""
    return list({id(r): r for r in roofs.values()}.values())


def _groups_with_limits(run: Run) -> list:
    """The groups some point of which was held to a limit (has a roofline_fraction)."""
    return [g for g in run.groups if any(p.value("roofline_fraction") for p in g.points)]


def _spread(wanted: list) -> Optional[list]:
    """Heights (axes fractions) for labels wanted at these ascending heights: LABEL_GAP apart,
    each run of crowded labels centred on the points it names, all inside the axes; None when
    they cannot fit."""
    if len(wanted) * LABEL_GAP > 0.96:
        return None
    blocks: list = []  # [first index, count, centre]; neighbours merge while they overlap
    for i, y in enumerate(wanted):
        blocks.append([i, 1, y])
        while len(blocks) > 1:
            (i0, n0, c0), (i1, n1, c1) = blocks[-2], blocks[-1]
            if c0 + LABEL_GAP * (n0 - 1) / 2 + LABEL_GAP <= c1 - LABEL_GAP * (n1 - 1) / 2:
                break
            centre = sum(wanted[i0 : i1 + n1]) / (n0 + n1)
            blocks[-2:] = [[i0, n0 + n1, centre]]
    out = [c + LABEL_GAP * (k - (n - 1) / 2) for _, n, c in blocks for k in range(n)]
    low = 0.02 - out[0]
    if low > 0:  # off the bottom: up, and push the rest up where they now meet
        out = [y + low if i == 0 else y for i, y in enumerate(out)]
        for i in range(1, len(out)):
            out[i] = max(out[i], out[i - 1] + LABEL_GAP)
    high = out[-1] - 0.98
    if high > 0:  # off the top: down, likewise
        out[-1] -= high
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - LABEL_GAP)
    return out


def _place_labels(ax, placed: list, frac) -> int:
    """Names each point (its kernel and P×T) beside it; points that stand in one column
    (a kernel at several P×T shares an intensity) get their names spread up and down, with
    a leader line to each. Names go right of the points, or left where they would run off
    the axes. Returns how many points were left unnamed because their names did not fit."""
    marks = sorted((*frac(x, y), x, y, text) for x, y, text in placed)
    columns: list = []
    for m in marks:
        if columns and m[0] - columns[-1][-1][0] < 0.04:
            columns[-1].append(m)
        else:
            columns.append([m])
    unnamed = 0
    for column in columns:
        column.sort(key=lambda m: m[1])
        heights = _spread([m[1] for m in column])
        if heights is None:
            unnamed += len(column)
            continue
        right = max(m[0] for m in column) + 0.025
        longest = max(len(m[4]) for m in column) * 0.008  # 9 pt characters on a 9-inch axes
        left = right + longest > 0.99
        for (fx, fy, x, y, text), ty in zip(column, heights):
            ax.annotate(
                text,
                (x, y),
                xytext=(min(m[0] for m in column) - 0.025 if left else right, ty),
                textcoords="axes fraction",
                ha="right" if left else "left",
                va="center",
                fontsize=9,
                color="#222222",
                bbox=dict(
                    boxstyle="square,pad=0.05", facecolor="white", edgecolor="none", alpha=0.8
                ),
                arrowprops=dict(arrowstyle="-", color=style.GREY, linewidth=0.6, shrinkB=4),
                zorder=6,
            )
    return unnamed


def _dodges(on_chart: list) -> dict:
    """{id(group): factor}: groups that share an intensity (one kernel at two sizes) stand a
    little apart, so that no marker hides another's."""
    columns: dict = {}
    for g, _, ai in on_chart:
        key = ai if ai == EDGE else round(math.log(ai), 6)
        if all(h is not g for h in columns.setdefault(key, [])):
            columns[key].append(g)
    return {
        id(g): DODGE ** (k - (len(gs) - 1) / 2) for gs in columns.values() for k, g in enumerate(gs)
    }


def _draw_roofline(ax, run: Run, roofs: dict, groups: list) -> dict:
    """The upper panel; returns facts for the caption."""
    on_chart = [(g, p, intensity(p)) for g in groups for p in g.points if intensity(p) is not None]
    finite = [ai for _, _, ai in on_chart if ai != EDGE]
    distinct = _distinct(roofs)
    ridges = [r.ridge for r in distinct]
    xlo = min(finite + ridges) / 4
    # The right end of the intensities drawn to scale, with room past the bend for its name.
    xdata = max([ai * 4 for ai in finite] + [r * 8 for r in ridges])
    at_edge = any(ai == EDGE for _, _, ai in on_chart)
    # Kernels that count no bytes stand in a strip at the right, with room for their names.
    separator = xdata * 1.25 if at_edge else xdata
    x_edge = xdata * 2.4
    xhi = xdata * 12 if at_edge else xdata
    values = [p.value("gflops") for _, p, _ in on_chart]
    ylo = min(values + [r.at(xlo) for r in distinct]) / 3
    yhi = max(values + [r.dgemm_gflops for r in distinct]) * 3
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)

    for roof in distinct:
        xs = [xlo, roof.ridge, xhi]
        ax.plot(
            xs,
            [roof.at(x) for x in xs],
            color=roof.look["color"],
            linestyle=roof.look["linestyle"],
            linewidth=2.4,
            marker="",
            label=roof.label,
            zorder=2,
        )
    # Which side of the bend is which, above the highest roof: along the slope just short of
    # the bend (the points and their names crowd its foot), and over the ceiling past it.
    # y = triad × x has slope 1 on log-log axes: the direction (1, triad) in data units.
    top = max(distinct, key=lambda r: r.dgemm_gflops)
    along = top.ridge / 2.5
    ax.text(
        along,
        top.at(along) * 1.3,
        "memory bound",
        rotation=math.degrees(math.atan(top.triad_gbs)),
        rotation_mode="anchor",
        transform_rotates_text=True,
        ha="center",
        va="bottom",
        fontsize=10,
        color=style.GREY,
    )
    ax.text(
        top.ridge * 1.15,
        top.dgemm_gflops * 1.25,
        "compute bound: DGEMM",
        ha="left",
        va="bottom",
        fontsize=10,
        color=style.GREY,
    )
    if at_edge:
        ax.axvline(separator, color=style.LIGHT_GREY, linestyle=":", linewidth=1.6, zorder=1)
        ax.text(
            math.sqrt(separator * xhi),
            ylo * 1.15,
            "no bytes counted",
            ha="center",
            va="bottom",
            fontsize=10,
            color=style.GREY,
        )

    # Points: the colour of their roof (their P·T), the marker of their kernel and
    # parameters; the fewest workers on top, so that the 1×1 reference is never hidden.
    markers = {
        id(g): style.SERIES_MARKERS[i % len(style.SERIES_MARKERS)] for i, g in enumerate(groups)
    }
    dodge = _dodges(on_chart)
    # A point's name: its kernel, and its parameters where the kernel ran with several.
    kernels = [g.kernel for g in groups]
    names = {id(g): g.label if kernels.count(g.kernel) > 1 else g.kernel for g in groups}
    placed = []
    for g, p, ai in on_chart:
        x = (x_edge if ai == EDGE else ai) * dodge[id(g)]
        y = p.value("gflops")
        ax.plot(
            [x],
            [y],
            marker=markers[id(g)],
            markersize=10,
            color=roofs[p.workers].look["color"],
            markeredgecolor=style.BLACK,
            markeredgewidth=0.8,
            linestyle="",
            zorder=5 + 1 / p.workers,
        )
        placed.append((x, y, f"{names[id(g)]} {p.setting}"))
    lx, ly = math.log(xlo), math.log(ylo)
    wx, wy = math.log(xhi) - lx, math.log(yhi) - ly
    unnamed = _place_labels(
        ax, placed, lambda x, y: ((math.log(x) - lx) / wx, (math.log(y) - ly) / wy)
    )

    handles, labels = ax.get_legend_handles_labels()
    for g in groups:
        if any(h is g for h, _, _ in on_chart):
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=markers[id(g)],
                    color=style.LIGHT_GREY,
                    markeredgecolor=style.BLACK,
                    linestyle="",
                    markersize=9,
                )
            )
            labels.append(g.heading)
    ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0,
        frameon=False,
        fontsize=11,
        title="roof at P·T threads (colour),\nkernel and parameters (marker)",
        title_fontsize=11,
    )
    ax.set_xlabel("arithmetic intensity (flops per byte moved, as the kernel counts them)")
    ax.set_ylabel("achieved GFLOP/s\n(median compute time)")
    # Ticks left of the strip only: a point in the strip is not at a tick's intensity.
    decades = range(math.floor(math.log10(xlo)), math.floor(math.log10(separator)) + 1)
    ticks = [m * 10.0**k for k in decades for m in range(1, 10)]
    ax.xaxis.set_major_locator(FixedLocator([t for t in ticks[::9] if xlo <= t <= separator]))
    ax.xaxis.set_minor_locator(FixedLocator([t for t in ticks if xlo <= t <= separator]))
    style.label_ticks(ax.xaxis)
    style.label_ticks(ax.yaxis)
    return {
        "roofline": True,
        "at_edge": sorted({g.kernel for g, _, ai in on_chart if ai == EDGE}),
        "no_flops": sorted(
            {g.kernel for g in groups for p in g.points if p.ok and intensity(p) is None}
        ),
        "unnamed": unnamed,
    }


def _draw_fractions(ax, roofs: dict, groups: list) -> dict:
    """The lower panel: a bar per point, its roofline_fraction, grouped by kernel and
    parameters, with the guide line at GUIDE and the limit at 1."""
    x, ticks, tick_labels, failed, fractions = 0.0, [], [], [], []
    bars = sum(len(g.points) for g in groups)
    many = bars > 16
    for g in groups:
        start = x
        bounds = set()
        for p in g.points:
            v = p.value("roofline_fraction")
            if v is not None:
                bar = ax.bar(
                    x,
                    v,
                    width=0.75,
                    color=roofs[p.workers].look["color"],
                    edgecolor="white",
                    zorder=3,
                )
                ax.bar_label(
                    bar,
                    [f"{v * 100:.0f}%" if v >= 0.095 else f"{v * 100:.1g}%"],
                    padding=3,
                    fontsize=9,
                    rotation=90 if many else 0,
                )
                fractions.append((v, g, p))
                bounds.add(p.derived.get("roofline_bound"))
            elif not p.ok:
                failed.append(x)
            ticks.append(x)
            tick_labels.append(p.setting)
            x += 1
        limit = " and ".join(
            {"memory": "triad", "compute": "DGEMM"}[b] for b in ("memory", "compute") if b in bounds
        )
        # Kernel, parameters and limit on lines of their own: narrow groups sit side by side.
        name = g.heading.replace(" ", "\n", 1)
        ax.annotate(
            f"{name}\nvs {limit}" if limit else name,
            ((start + x - 1) / 2, 0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -(20 + 7 * max(len(t) for t in tick_labels)) if many else -30),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=10,
        )
        x += 0.8  # a gap between groups
    top = max([v for v, _, _ in fractions] + [1.0])
    ax.set_ylim(0, top * 1.18)
    ax.set_xlim(-0.8, x - 0.8)
    ax.axhline(1.0, color=style.BLACK, linewidth=1.2, zorder=2, label="the limit (1.0)")
    ax.axhline(
        GUIDE,
        color=style.VERMILLION,
        linestyle="--",
        linewidth=1.8,
        zorder=2,
        label=f"{GUIDE:g} of the limit",
    )
    ax.set_xticks(ticks, tick_labels, fontsize=10, rotation=90 if many else 0)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("share of the limit\n(roofline_fraction)")
    style.mark_failed(ax, failed)
    style.legend_outside(ax)
    best = max(fractions, key=lambda f: f[0])
    return {
        "best": (best[1].heading, best[2].setting, best[0]),
        "near": sum(v >= GUIDE for v, _, _ in fractions),
        "held": len(fractions),
        "above_one": sum(v > 1 for v, _, _ in fractions),
    }


def draw(run: Run):
    """The figure and its facts, or style.Skip: no calibration, or no point held to it."""
    calibration = calibration_of(run)
    groups = _groups_with_limits(run)
    if not groups:
        raise style.Skip(
            "no point was held to the machine's limits (no roofline_fraction: its kernels "
            "count neither flops nor bytes, or no point verified)"
        )
    roofs = _roofs(calibration, [p.workers for g in groups for p in g.points])
    if any(intensity(p) is not None for g in groups for p in g.points):
        fig, (upper, lower) = style.figure(
            (14, 12.5), nrows=2, gridspec_kw={"height_ratios": [1.45, 1]}
        )
        facts = _draw_roofline(upper, run, roofs, groups)
    else:  # only kernels that count no flops (wordcount): their shares of triad alone
        fig, lower = style.figure()
        facts = {"no_flops": sorted({g.kernel for g in groups}), "roofline": False}
    facts.update(_draw_fractions(lower, roofs, groups))
    facts["sources_differ"] = _sources_differ(run, calibration)
    facts["shared_roofs"] = [r.workers for r in _distinct(roofs) if len(r.workers) > 1]
    facts["guide"] = GUIDE
    quick = " (quick)" if calibration.get("quick") else ""
    measured = calibration.get("measured_at")
    style.title(
        fig,
        TITLE,
        SUBJECT,
        [
            f"limits from parsweep calibrate{quick}"
            + (f", measured {measured}" if measured else ""),
            style.context_line(run),
        ],
    )
    return fig, facts


def _sources_differ(run: Run, calibration: dict) -> bool:
    """A merged run whose parts recorded other limits than its context's (each point's
    fraction is against its own part's; the roofs are the context's)."""
    mine = (calibration.get("stream"), calibration.get("dgemm"))
    for s in run.sources:
        c = (s.get("context") or {}).get("calibration")
        if isinstance(c, dict) and (c.get("stream"), c.get("dgemm")) != mine:
            return True
    return False


def draw_all(run: Run, out_dir: str, formats: list, drawn: Drawn) -> None:
    render(
        drawn,
        out_dir,
        formats,
        "roofline",
        "roofline",
        "this run",
        SECTION,
        lambda: draw(run),
        captions.roofline,
    )
