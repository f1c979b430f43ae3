"""Time against problem size (n, chunk_bytes, count: any numeric parameter a run swept), one
line per processes × threads setting. A run that swept no numeric parameter has no such
chart, and the report says so.
"""
from __future__ import annotations

import json
import math

from matplotlib.ticker import FixedLocator, NullLocator

from . import captions, style
from .charts import Drawn, Skipped, render
from .load import SERIAL, Run, param_text, setting_order, slug, way_of

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
        for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
            if v >= size:
                return f"{v / size:g} {unit}"
        return f"{v:g} B"
    return style.fmt_count(v) if v >= 1000 else f"{v:g}"


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


def _draw_family(run: Run, axis: str, groups: list):
    groups = sorted(groups, key=lambda g: g.params[axis])
    xs_all = [g.params[axis] for g in groups]
    settings = sorted(
        {(p.processes, p.threads) for g in groups for p in g.points}, key=setting_order
    )
    times = [p.time_s for g in groups for p in g.points if p.time_s]
    if not times:
        raise style.Skip("no point of it has a verified time")
    fig, ax = style.figure()
    scale, unit = style.time_unit(times)
    # Colour and line style say the way of spending workers (as in the speedup chart); the
    # marker tells the settings of one way apart.
    lines_of_way: dict = {}
    failed_x = set()
    for P, T in settings:
        way = way_of(P, T)
        st = style.WAY_STYLE[way]
        k = lines_of_way[way] = lines_of_way.get(way, -1) + 1
        marker = st["marker"] if way == SERIAL else MARKERS[k % len(MARKERS)]
        xs, ys, lo, hi = [], [], [], []
        for g, x in zip(groups, xs_all):
            p = next((p for p in g.points if (p.processes, p.threads) == (P, T)), None)
            if p is None:
                continue
            xs.append(x)
            ys.append(p.time_s / scale if p.ok else math.nan)
            below, above = interval_95(p)
            lo.append(below / scale)
            hi.append(above / scale)
            if not p.ok:
                failed_x.add(x)
        ax.errorbar(
            xs,
            ys,
            yerr=[lo, hi],
            capsize=4,
            elinewidth=1.3,
            color=st["color"],
            linestyle=st["linestyle"] or "-",  # the 1×1 is a marker alone elsewhere, a line here
            marker=marker,
            label=f"{P}×{T}",
            markerfacecolor="white" if way == SERIAL else st["color"],
        )
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
    style.legend_outside(ax, title="processes × threads", ncols=2 if len(settings) > 10 else 1)
    fixed = {k: v for k, v in groups[0].params.items() if k != axis}
    style.title(
        fig,
        "Scaling",
        f"{groups[0].kernel}: time against {axis}",
        style.details(run, fixed, groups[0].env),
    )
    return fig, {"metric": metric}


def draw_all(run: Run, out_dir: str, formats: list, drawn: Drawn) -> None:
    by_run: dict = {}
    for g in run.groups:
        by_run.setdefault(g.run, []).append(g)
    kernels = [gs[0].kernel for gs in by_run.values()]
    for r, groups in sorted(by_run.items()):
        kernel = groups[0].kernel
        axes = _size_axes(groups)
        if not axes:
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
                )
            )
            continue
        for axis in axes:
            others = [a for a in groups[0].axes if a != axis]
            families: dict = {}
            for g in groups:
                families.setdefault(json.dumps([g.params.get(a) for a in others]), []).append(g)
            for family in families.values():
                name = "-".join(
                    ["scaling", kernel, axis]
                    + [f"{a}{param_text(family[0].params.get(a))}" for a in others]
                )
                if kernels.count(kernel) > 1:
                    name += f"-run{r}"
                subject = " ".join(
                    [f"{kernel}: time against {axis}"]
                    + [f"{a}={param_text(family[0].params.get(a))}" for a in others]
                )
                render(
                    drawn,
                    out_dir,
                    formats,
                    "scaling",
                    slug(name),
                    subject,
                    subject,
                    lambda: _draw_family(run, axis, family),
                    lambda facts: captions.scaling(run, axis, facts["metric"], facts),
                )
