"""Methods side by side: the runs of one kernel that vary a string parameter — lesson 02's
`method` of adding up (race, critical, atomic, reduction, padded), square's `mode` (serial,
omp) — each value's median time at each processes × threads setting, as a group of bars per
setting with the 95% confidence interval of the mean.

A failed point has no bar: its slot says "✗ failed" from the axis up, in the failure colour,
so that it can never read as a fast time.

Charts are named methods-<kernel>-<parameter>[-<other swept parameter><value>…][-run<r>]:
one per combination of the run's other swept parameters.
"""
from __future__ import annotations

from matplotlib.patches import Patch

from . import captions, style
from .charts import Drawn, render
from .load import Run, families, family_chart, groups_by_run, param_text, setting_order
from .scaling import interval_95

# Greyscale-safe: each value's bars have a hatch of their own as well as a colour.
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")
FAILED_TEXT = "✗ failed"


def _text_axes(groups: list) -> list:
    """The swept parameters whose values are words (not numbers), with at least two values."""
    return [
        a
        for a in groups[0].axes
        if all(isinstance(g.params.get(a), str) for g in groups)
        and len({g.params.get(a) for g in groups}) > 1
    ]


def _by_value(axis: str, family: list) -> dict:
    """{value: {(P, T): point}}, the values in the order the run measured them."""
    out: dict = {}
    for g in family:
        points = out.setdefault(g.params[axis], {})
        for p in g.points:
            points.setdefault((p.processes, p.threads), p)
    return out


def setting_label(P: int, T: int, only_threads: bool) -> str:
    if only_threads:
        return f"{T} thread{'' if T == 1 else 's'}"
    return f"{P}×{T}"


def _slot(ax, x: float, width: float, p, i: int, scale: float) -> float:
    """One value's bar at one setting, or its ✗; returns the top of what was drawn."""
    if not p.ok:
        ax.text(
            x,
            0.02,
            FAILED_TEXT,
            transform=ax.get_xaxis_transform(),
            rotation=90,
            ha="center",
            va="bottom",
            fontsize=12,
            fontweight="bold",
            color=style.FAILED_COLOR,
            zorder=4,
        )
        return 0.0
    below, above = interval_95(p)
    y = p.time_s / scale
    ax.bar(
        x,
        y,
        width,
        color=style.series_style(i)["color"],
        hatch=HATCHES[i % len(HATCHES)],
        edgecolor="white",
        linewidth=0.6,
        zorder=2,
    )
    ax.errorbar(
        x, y, yerr=[[below / scale], [above / scale]], color=style.BLACK, capsize=3, zorder=3,
        elinewidth=1.2, linestyle="",
    )
    top = y + above / scale
    ax.annotate(
        style.fmt_sig(y),
        (x, top),
        xytext=(0, 2),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=9,
        color="#333333",
    )
    return top


def draw_methods(run: Run, axis: str, family: list):
    values = _by_value(axis, family)
    points = [p for pts in values.values() for p in pts.values()]
    times = [p.time_s for p in points if p.ok]
    if not times:
        raise style.Skip("none of its points has a verified time")
    settings = sorted({pt for pts in values.values() for pt in pts}, key=setting_order)
    only_threads = all(P == 1 for P, _ in settings)
    cores = family[0].usable_cores(run)
    scale, unit = style.time_unit(times)
    fig, ax = style.figure()
    width = 0.8 / len(values)
    tops, failed = [0.0], []
    for j, (P, T) in enumerate(settings):
        if cores and P * T > cores:
            ax.axvspan(j - 0.5, j + 0.5, color=style.LIGHT_GREY, alpha=0.45, linewidth=0,
                       zorder=0, label=f"{style.OVERSUBSCRIBED_LABEL} (P·T > {cores})")
        for i, (value, pts) in enumerate(values.items()):
            p = pts.get((P, T))
            if p is None:
                continue
            x = j + (i - (len(values) - 1) / 2) * width
            tops.append(_slot(ax, x, width, p, i, scale))
            if not p.ok:
                failed.append(f"{param_text(value)} at {setting_label(P, T, only_threads)}")
    handles = [
        Patch(facecolor=style.series_style(i)["color"], hatch=HATCHES[i % len(HATCHES)],
              edgecolor="white", label=param_text(v))
        for i, v in enumerate(values)
    ]
    if failed:
        handles.append(Patch(facecolor="white", edgecolor=style.FAILED_COLOR,
                             label=f"{FAILED_TEXT}: not verified, no time"))
    handles += [h for h, lab in zip(*ax.get_legend_handles_labels())
                if lab.startswith(style.OVERSUBSCRIBED_LABEL)][:1]
    ax.legend(handles=handles, title=axis, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0, frameon=False)
    ax.set_xticks(range(len(settings)))
    ax.set_xticklabels([setting_label(P, T, only_threads) for P, T in settings])
    ax.set_xlim(-0.6, len(settings) - 0.4)
    ax.grid(axis="x", visible=False)
    ax.set_ylim(0, max(tops) * 1.15)
    metric = family[0].time_metric
    ax.set_xlabel("threads" if only_threads else "processes × threads")
    ax.set_ylabel(f"median {style.METRIC_WORDS[metric]} ({unit})\n"
                  "whiskers: 95% interval of the mean")
    fixed = {k: v for k, v in family[0].params.items() if k != axis}
    style.title(fig, "Methods", f"{family[0].kernel}: each {axis} side by side",
                style.details(run, fixed, family[0].env, family[0].kernel))
    fastest = _fastest(values, settings[-1])
    return fig, {"axis": axis, "metric": metric, "failed": failed, "fastest": fastest,
                 "setting": setting_label(*settings[-1], only_threads)}


def _fastest(values: dict, setting: tuple):
    """(value, time_s) of the fastest verified value at `setting`, or None."""
    timed = [(p.time_s, v) for v, pts in values.items() if (p := pts.get(setting)) and p.ok]
    return (min(timed)[1], min(timed)[0]) if timed else None


def draw_all(run: Run, out_dir: str, formats: list, drawn: Drawn) -> None:
    for _, groups, suffix in groups_by_run(run):
        kernel = groups[0].kernel
        for axis in _text_axes(groups):
            others = [a for a in groups[0].axes if a != axis]
            for family in families(groups, others):
                if len({g.params[axis] for g in family}) < 2:
                    continue
                name, subject = family_chart("methods", kernel, axis, others, family, suffix,
                                             f"each {axis} side by side")
                render(
                    drawn,
                    out_dir,
                    formats,
                    "methods",
                    name,
                    subject,
                    subject,
                    lambda: draw_methods(run, axis, family),
                    lambda facts: captions.methods(facts),
                )
