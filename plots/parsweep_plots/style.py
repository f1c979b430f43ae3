"""What every chart shares: colours, markers, fonts, titles, axes of workers, time units,
the failed-point mark, and saving.

Colours are Okabe & Ito's palette (distinguishable with every common colour-vision
deficiency); each series also has its own marker, line style or hatch, so the charts still
read printed in grey. Fonts are sized for a slide: the PNGs are 1300–1600 px wide.
"""
from __future__ import annotations

import os
import textwrap
from typing import Iterable, Optional

import matplotlib

matplotlib.use("Agg")  # files only: no display is needed or wanted
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator  # noqa: E402

from . import params as plain  # noqa: E402
from .load import MIXED, PROCESSES, SERIAL, THREADS, Group, Run  # noqa: E402

# Okabe & Ito, "Color Universal Design" (2008), but its yellow: too faint on white.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#7F7F7F"
LIGHT_GREY = "#D9D9D9"

# The ways of spending P·T workers: colour, marker and line style each tell them apart.
WAY_STYLE = {
    PROCESSES: dict(color=BLUE, marker="o", linestyle="-", label="processes only (P×1)"),
    THREADS: dict(color=ORANGE, marker="s", linestyle="--", label="threads only (1×T)"),
    MIXED: dict(color=GREEN, marker="^", linestyle="-.", label="mixed (P×T)"),
    SERIAL: dict(color=BLACK, marker="D", linestyle="", label="1×1 (one process, one thread)"),
}

# Series that are not ways of spending workers (learners, thread counts): the i-th differs by
# colour, marker and line style, so that ten of them survive greyscale printing.
SERIES_COLORS = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY_BLUE)
SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
SERIES_LINESTYLES = ("-", "--", "-.", ":")


def series_style(i: int) -> dict:
    return {
        "color": SERIES_COLORS[i % len(SERIES_COLORS)],
        "marker": SERIES_MARKERS[i % len(SERIES_MARKERS)],
        "linestyle": SERIES_LINESTYLES[(i // len(SERIES_COLORS)) % len(SERIES_LINESTYLES)],
    }


# Hatches pair with colours wherever bars or cells are filled.
FAILED_COLOR = VERMILLION
FAILED_MARK = "✗"
OVERSUBSCRIBED_HATCH = "//"

# The time metrics as words for axis labels.
METRIC_WORDS = {"wall_s": "wall time", "compute_s": "compute time"}

FIG_WIDE = (12, 6.2)
FIG_TALL = (12, 8.5)
DPI = 130

plt.rcParams.update(
    {
        "font.size": 14,
        "axes.titlesize": 15,
        "axes.labelsize": 14,
        "xtick.labelsize": 13,
        "ytick.labelsize": 13,
        "legend.fontsize": 12,
        "figure.titlesize": 13,
        "axes.grid": True,
        "grid.color": "#E5E5E5",
        "grid.linewidth": 0.8,
        "axes.axisbelow": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "lines.linewidth": 2.2,
        "lines.markersize": 8,
        "hatch.linewidth": 0.8,
        "svg.fonttype": "none",  # SVG text stays text: searchable, and small
        "svg.hashsalt": "parsweep",  # the same run draws the same SVG
    }
)


class Skip(Exception):
    """A chart that has nothing to show for this group; the message says why, for the report."""


def figure(size=FIG_WIDE, **subplots):
    """A figure whose layout makes room for titles, labels and outside legends."""
    return plt.subplots(figsize=size, layout="constrained", **subplots)


# --- numbers ---------------------------------------------------------------------------

TIME_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))


def time_unit(seconds: Iterable[Optional[float]]) -> tuple:
    """(divisor, name) that puts the largest of these times between 1 and 1000."""
    top = max((s for s in seconds if s), default=1.0)
    for scale, name in TIME_UNITS:
        if top >= scale:
            return scale, name
    return TIME_UNITS[-1]


def fmt_time(seconds: Optional[float]) -> str:
    """Three significant digits in the unit that suits this value: 1.43 ms, 397 ms, 12.1 s."""
    if seconds is None:
        return "–"
    scale, name = time_unit([seconds])
    return f"{fmt_sig(seconds / scale)} {name}"


def fmt_sig(x: Optional[float], digits: int = 3) -> str:
    if x is None:
        return "–"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:  # 1.23e+04 → 12300: learners read plain numbers
        text = f"{x:,.0f}" if abs(x) >= 1 else f"{x:.2e}"
    return text


def fmt_ratio(x: Optional[float]) -> str:
    """Speedups and efficiencies: two decimals, and a significant digit when that shows 0.00."""
    if x is None:
        return "–"
    return f"{x:.2f}" if abs(x) >= 0.095 or x == 0 else f"{x:.1g}"


def fmt_count(x: Optional[float]) -> str:
    return "–" if x is None else f"{x:,.0f}"


# --- titles ----------------------------------------------------------------------------


def params_line(params: dict, kernel: str = "", per_worker: Iterable = ()) -> str:
    """Each parameter that has a value in plain words (params.py: "cubes (p = 3)", not p=3);
    an empty one, such as the command kernel's unused argv or check, says nothing."""
    return plain.line(params, kernel, per_worker)


def context_line(run: Run) -> str:
    cores = run.usable_cores
    parts = [
        f"host {run.host}",
        f"{cores} usable cores" if cores else "usable cores unknown",
        run.blas,
    ]
    # In a Slurm job of several nodes, MPI ranks may use the others' cores too.
    nodes = (run.context.get("allocation") or {}).get("nodes") or []
    if len(nodes) > 1:
        cpus = sum(n.get("cpus", 0) for n in nodes if isinstance(n, dict))
        parts.insert(2, f"Slurm job: {cpus} CPUs on {len(nodes)} nodes")
    if run.partial:
        parts.append(
            f"PARTIAL RUN: {run.points_done} of {run.points_total or '?'} points " f"({run.status})"
        )
    return " · ".join(parts)


def env_line(env: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(env.items()))


def title(fig, chart: str, subject: str, details: list) -> None:
    """The chart's name and subject in bold, then its details (parameters, host, cores,
    BLAS) below, wrapped so that a long parameter list never runs off the figure."""
    width = int(fig.get_figwidth() * 9)
    lines = []
    for d in details:
        if d:
            lines.extend(textwrap.wrap(d, width) or [""])
    sup = fig.suptitle("\n".join(lines), fontsize=12, color="#333333")
    # The bold line sits just above the details, anchored to their box (the layout engine
    # moves the suptitle when it draws). It lies outside the layout; save() hands it to
    # bbox_inches="tight" so the image takes it in.
    bold = Annotation(
        f"{chart} — {subject}",
        xy=(0.5, 1.0),
        xycoords=sup,
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=17,
        fontweight="bold",
    )
    fig.add_artist(bold)
    bold.set_in_layout(False)
    fig._parsweep_header = bold


def details(run: Run, params: dict, env: dict, kernel: str = "", per_worker=()) -> list:
    """The lines under a chart's name: its fixed parameters (of `kernel`, in plain words),
    the environment the run set, and the host, usable cores and BLAS."""
    return (
        [params_line(params, kernel, per_worker)]
        + (["env: " + env_line(env)] if env else [])
        + [context_line(run)]
    )


def group_title(fig, chart: str, run: Run, group: Group) -> None:
    # The work size of a weak curve is given per worker; each point ran it × P·T.
    per_worker = group.points[0].per_worker if group.weak else {}
    title(fig, chart, group.label, details(run, group.fixed_params, group.env, group.kernel,
                                           per_worker))


# --- axes ------------------------------------------------------------------------------


def workers_axis(ax, counts: Iterable[int], label: str = "workers P·T (processes × threads)"):
    """A log2 x axis of worker counts, ticked at the counts the run measured."""
    counts = sorted(set(int(c) for c in counts)) or [1]
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(counts))
    ax.xaxis.set_minor_locator(NullLocator())
    label_ticks(ax.xaxis, lambda v: f"{v:g}")
    lo, hi = counts[0], counts[-1]
    ax.set_xlim(lo / 1.3, hi * 1.3)
    ax.set_xlabel(label)


def label_ticks(axis, fmt=None) -> None:
    """Major ticks labelled by fmt(value) (plain numbers by default: 0.25, 1, 4 rather than
    2⁻², 2⁰, 2²); minor ticks unlabelled."""
    fmt = fmt or (lambda v: fmt_sig(v, 3))
    axis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
    axis.set_minor_formatter(NullFormatter())


def mark_cores(ax, cores: Optional[int]) -> None:
    """A dotted vertical line at the usable cores, when the x range reaches them."""
    lo, hi = ax.get_xlim()
    if not cores or not lo <= cores <= hi:  # off the chart: no legend entry for a hidden line
        return
    ax.axvline(
        cores, color=GREY, linestyle=":", linewidth=2, zorder=1, label=f"{cores} usable cores"
    )


OVERSUBSCRIBED_LABEL = "more threads than cores"


def shade_oversubscribed(ax, cores: Optional[int]) -> None:
    """Shades the workers axis past the usable cores, where workers take turns on the cores,
    when the x range goes beyond them."""
    lo, hi = ax.get_xlim()
    if not cores or cores >= hi:
        return
    ax.axvspan(
        max(cores, lo),
        hi,
        color=LIGHT_GREY,
        alpha=0.45,
        linewidth=0,
        zorder=0,
        label=f"{OVERSUBSCRIBED_LABEL} (P·T > {cores}):\nworkers share the cores",
    )
    ax.set_xlim(lo, hi)  # axvspan must not widen the axis
    mid = (max(cores, lo) * hi) ** 0.5 if ax.get_xscale() == "log" else (max(cores, lo) + hi) / 2
    ax.text(
        mid,
        0.98,
        OVERSUBSCRIBED_LABEL,
        transform=ax.get_xaxis_transform(),
        ha="center",
        va="top",
        fontsize=12,
        color=GREY,
        zorder=1,
    )


def mark_failed(ax, xs: list, label: str = "failed / unverified: no value") -> None:
    """A ✗ on the x axis where a point has no value: a gap, never a number."""
    if not xs:
        return
    trans = ax.get_xaxis_transform()  # x in data, y in axes fraction
    ax.scatter(
        xs,
        [0.04] * len(xs),
        transform=trans,
        marker="X",
        s=140,
        color=FAILED_COLOR,
        edgecolor="white",
        linewidth=0.8,
        zorder=5,
        clip_on=False,
        label=label,
    )


def note(ax, text: str) -> None:
    """A message inside an axes that has nothing to draw."""
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=14,
        color=GREY,
        wrap=True,
    )


def legend_outside(ax, first: Iterable[str] = (), **kw):
    """Legends sit to the right of the data, never on it; labels in `first` lead (matplotlib
    lists error-bar series last otherwise)."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    lead = [label for label in first if label in labels]
    order = lead + [label for label in labels if label not in lead]
    by_label = dict(zip(labels, handles))
    return ax.legend(
        [by_label[k] for k in order],
        order,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0,
        frameon=False,
        **kw,
    )


# --- files -----------------------------------------------------------------------------


def save(fig, out_dir: str, name: str, formats: Iterable[str]) -> list:
    """Writes out_dir/name.<format> for each format; returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    header = getattr(fig, "_parsweep_header", None)
    extra = fig.get_default_bbox_extra_artists() + ([header] if header else [])
    paths = []
    for fmt in formats:
        path = os.path.join(out_dir, f"{name}.{fmt}")
        fig.savefig(
            path,
            dpi=DPI,
            bbox_inches="tight",
            pad_inches=0.2,
            bbox_extra_artists=extra,
            metadata={"Date": None} if fmt == "svg" else None,
        )
        paths.append(path)
    plt.close(fig)
    return paths
