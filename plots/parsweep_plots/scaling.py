"""Time against problem size (n, chunk_bytes, count: any numeric parameter a run swept), one
line per processes × threads setting — and per value of each parameter the run swept in words
(square's mode: serial and omp), so that the lines to compare cross on one chart. A chart per
combination of the other numeric parameters. A run that swept no numeric parameter has no
such chart, and the report says so.
"""
from __future__ import annotations

import math

from matplotlib.ticker import FixedLocator, NullLocator

from . import captions, style
from .charts import Drawn, Skipped, render
from .load import (SERIAL, Run, families, family_chart, groups_by_run, param_text,
                   setting_order, slug, way_of)
from .params import size_bytes

MARKERS = ("o", "s", "^", "v", "D", "P", "X", "*", "<", ">", "h")


def _numeric(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _size_axes(groups: list) -> list:
    axes = groups[0].axes
    return [
        a
        for a in axes
        if all(_numeric(g.params.get(a)) for g in groups)
        and len({g.params.get(a) for g in groups}) > 1
    ]


def fmt_axis_value(axis: str, v: float) -> str:
    if axis.endswith("_bytes"):
        return size_bytes(v)
    return style.fmt_count(v) if v >= 1000 else f"{v:g}"


def _word_axes(groups: list) -> list:
    """The swept parameters whose values are words (square's mode): a line per value."""
    return [a for a in groups[0].axes if any(isinstance(g.params.get(a), str) for g in groups)]


def _lines(groups: list, words: list) -> list:
    """[(label, style, {size group: point})]: one line per value of the word axes and
    processes × threads setting. Colour and line style say the way of spending workers (as in
    the speedup chart), the marker tells the settings of one way apart; with word axes,
    colour says the value instead."""
    values = []
    for g in groups:
        v = tuple(g.params.get(a) for a in words)
        if v not in values:
            values.append(v)
    settings = sorted(
        {(p.processes, p.threads) for g in groups for p in g.points}, key=setting_order
    )
    out, lines_of_way = [], {}
    for i, v in enumerate(values):
        for P, T in settings:
            way = way_of(P, T)
            st = style.WAY_STYLE[way]
            k = lines_of_way[(v, way)] = lines_of_way.get((v, way), -1) + 1
            look = {
                "color": style.series_style(i)["color"] if words else st["color"],
                # the 1×1 is a marker alone elsewhere, a line here
                "linestyle": st["linestyle"] or "-",
                "marker": st["marker"] if way == SERIAL else MARKERS[k % len(MARKERS)],
            }
            look["markerfacecolor"] = "white" if way == SERIAL else look["color"]
            points = {}
            for g in groups:
                if tuple(g.params.get(a) for a in words) == v:
                    p = next((p for p in g.points if (p.processes, p.threads) == (P, T)), None)
                    if p is not None:
                        points[id(g)] = p
            if points:
                label = " ".join([param_text(x) for x in v] + [f"{P}×{T}"])
                out.append((label, look, points))
    return out


def _scale_for(values: list) -> str:
    """Log when the values span a decade or more: sizes are usually swept by factors."""
    return (
        "log"
        if len(values) > 1 and min(values) > 0 and max(values) / min(values) >= 10
        else "linear"
    )


def interval_95(p) -> tuple:
    """How far the 95% confidence interval of the point's mean time (stats.<metric>.ci95)
    reaches below and above the median drawn: 0, 0 for a point without one. A time is never
    below 0: where the interval reaches there (2 or 3 noisy repetitions), it stops at the
    fastest repetition instead."""
    mean, ci95 = p.stat(p.time_metric, "mean"), p.stat(p.time_metric, "ci95")
    if not p.ok or mean is None or ci95 is None:
        return 0.0, 0.0
    low = mean - ci95 if mean - ci95 > 0 else (p.stat(p.time_metric, "min") or p.time_s)
    return max(p.time_s - low, 0.0), max(mean + ci95 - p.time_s, 0.0)


def _draw_family(run: Run, axis: str, groups: list, words: tuple = ()):
    """Time against `axis`, a line per setting and value of the `words` axes."""
    words = list(words)
    groups = sorted(groups, key=lambda g: g.params[axis])
    xs_all = sorted({g.params[axis] for g in groups})
    lines = _lines(groups, words)
    times = [p.time_s for g in groups for p in g.points if p.time_s]
    if not times:
        raise style.Skip("no point of it has a verified time")
    fig, ax = style.figure()
    scale, unit = style.time_unit(times)
    failed_x = set()
    for label, look, points in lines:
        xs, ys, lo, hi = [], [], [], []
        for g in groups:
            p, x = points.get(id(g)), g.params[axis]
            if p is None:
                continue
            xs.append(x)
            ys.append(p.time_s / scale if p.ok else math.nan)
            below, above = interval_95(p)
            lo.append(below / scale)
            hi.append(above / scale)
            if not p.ok:
                failed_x.add(x)
        ax.errorbar(xs, ys, yerr=[lo, hi], capsize=4, elinewidth=1.3, label=label, **look)
    ax.set_xscale(_scale_for(xs_all))
    ax.set_yscale(_scale_for(times))
    if ax.get_yscale() == "log":
        style.label_ticks(ax.yaxis)
    ax.xaxis.set_major_locator(FixedLocator(xs_all))
    ax.xaxis.set_minor_locator(NullLocator())
    style.label_ticks(ax.xaxis, lambda v: fmt_axis_value(axis, v))
    style.mark_failed(ax, sorted(failed_x))
    metric = groups[0].time_metric
    ax.set_xlabel(axis)
    ax.set_ylabel(f"median {style.METRIC_WORDS[metric]} ({unit})\nbars: 95% interval of the mean")
    style.legend_outside(
        ax,
        title=", ".join(words + ["processes × threads"]),
        ncols=2 if len(lines) > 10 else 1,
    )
    fixed = {k: v for k, v in groups[0].params.items() if k != axis and k not in words}
    style.title(
        fig,
        "Scaling",
        f"{groups[0].kernel}: time against {axis}",
        style.details(run, fixed, groups[0].env, groups[0].kernel),
    )
    return fig, {"metric": metric, "words": words}


def draw_all(run: Run, out_dir: str, formats: list, drawn: Drawn) -> None:
    for _, groups, suffix in groups_by_run(run):
        kernel = groups[0].kernel
        axes = _size_axes(groups)
        if not axes:
            if not drawn.wants(f"scaling-{slug(kernel)}"):
                continue
            fixed = " ".join(
                f"{k}={param_text(v)}" for k, v in groups[0].params.items() if _numeric(v)
            )
            drawn.add(
                Skipped(
                    "scaling",
                    kernel,
                    f"this run of {kernel} swept no numeric parameter (fixed: {fixed or 'none'}), "
                    f"so there is no time-against-size chart",
                    groups[0].heading,
                    f"scaling-{slug(kernel)}",
                )
            )
            continue
        words = _word_axes(groups)
        for axis in axes:
            others = [a for a in groups[0].axes if a != axis and a not in words]
            for family in families(groups, others):
                name, subject = family_chart("scaling", kernel, axis, others, family, suffix,
                                             f"time against {axis}")
                render(
                    drawn,
                    out_dir,
                    formats,
                    "scaling",
                    name,
                    subject,
                    subject,
                    lambda: _draw_family(run, axis, family, words),
                    lambda facts: captions.scaling(run, axis, facts["metric"], facts),
                )
