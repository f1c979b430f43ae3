"""Two runs side by side — two nodes, two BLAS builds, OMP_WAIT_POLICY active vs passive —
matched point by point on kernel, parameters, processes and threads, with the ratio of
their times. A is the reference: ratio = time in B ÷ time in A.
"""
from __future__ import annotations

import csv
import re
import json
import math
import os
from dataclasses import dataclass
from typing import Optional

from matplotlib.ticker import FixedLocator, NullLocator

from . import captions, style
from .charts import Drawn, Skipped, render
from .load import Group, Point, Run, setting_order


@dataclass
class Row:
    """One matched setting: what compare.csv and the report's table hold."""

    label: str
    processes: int
    threads: int
    metric: str
    a: Optional[Point]
    b: Optional[Point]

    @property
    def ratio(self) -> Optional[float]:
        ta = self.a.time_s if self.a and self.a.ok else None
        tb = self.b.time_s if self.b and self.b.ok else None
        return tb / ta if ta and tb else None


def _key(g: Group) -> str:
    """Kernel + parameters, with the text (`file`) by its name alone: a config's relative
    files are recorded as absolute paths (taken from the config's directory), so the same
    config run from two checkouts, or on two machines, names its text at two paths."""
    params = {k: os.path.basename(v) if k == "file" and isinstance(v, str) else v
              for k, v in g.params.items()}
    return json.dumps([g.kernel, params], sort_keys=True)


def match_groups(a: Run, b: Run) -> tuple:
    """(pairs, only_a, only_b). Groups pair on kernel + parameters; when one run has the same
    kernel + parameters twice (two env settings, say), they pair in order."""
    pending: dict = {}
    for g in b.groups:
        pending.setdefault(_key(g), []).append(g)
    pairs, only_a = [], []
    for g in a.groups:
        same = pending.get(_key(g))
        if same:
            pairs.append((g, same.pop(0)))
        else:
            only_a.append(g)
    only_b = [g for gs in pending.values() for g in gs]
    return pairs, only_a, only_b


def _rows(ga: Group, gb: Group) -> list:
    at = {(p.processes, p.threads): p for p in ga.points}
    bt = {(p.processes, p.threads): p for p in gb.points}
    keys = sorted(set(at) | set(bt), key=setting_order)
    return [Row(ga.label, P, T, ga.time_metric, at.get((P, T)), bt.get((P, T))) for P, T in keys]


def run_line(tag: str, run: Run) -> str:
    parts = [
        f"{tag}: {run.dir_name}",
        f"host {run.host}",
        f"{run.usable_cores or '?'} usable cores",
        run.blas,
    ]
    if run.env:
        parts.append(style.env_line(run.env))
    if run.partial:
        parts.append(f"partial: {run.points_done} of {run.points_total or '?'} points")
    return " · ".join(parts)


def _range(p: Optional[Point]) -> tuple:
    """(median, below, above) of a point's time, or NaNs for a gap."""
    if not p or not p.ok:
        return math.nan, 0.0, 0.0
    t = p.time_s
    lo, hi = p.stat(p.time_metric, "min"), p.stat(p.time_metric, "max")
    return (
        t,
        max(t - lo, 0.0) if lo is not None else 0.0,
        max(hi - t, 0.0) if hi is not None else 0.0,
    )


def _draw_pair(a: Run, b: Run, ga: Group, gb: Group, rows: list):
    fig, (ax_t, ax_r) = style.figure(
        style.FIG_TALL, nrows=2, sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    xs = list(range(len(rows)))
    scale, unit = style.time_unit(
        [r.a.time_s for r in rows if r.a] + [r.b.time_s for r in rows if r.b]
    )
    width = 0.38
    sides = (
        ("A", a, lambda r: r.a, style.BLUE, "", -width / 2),
        ("B", b, lambda r: r.b, style.ORANGE, style.OVERSUBSCRIBED_HATCH, width / 2),
    )
    for tag, run, pick, color, hatch, dx in sides:
        meds, lo, hi = zip(*[_range(pick(r)) for r in rows])
        ax_t.bar(
            [x + dx for x in xs],
            [m / scale for m in meds],
            width=width,
            color=color,
            hatch=hatch,
            edgecolor="white",
            yerr=[[v / scale for v in lo], [v / scale for v in hi]],
            capsize=3,
            label=f"{tag}: {run.dir_name}",
        )
        style.mark_failed(
            ax_t,
            [x + dx for x, r in zip(xs, rows) if not (pick(r) and pick(r).ok)],
            label=f"no value in {tag} (failed or not run)",
        )
    metric = style.METRIC_WORDS[ga.time_metric]
    ax_t.set_ylabel(f"median {metric} ({unit})")
    ax_t.grid(axis="x", visible=False)
    ratios = [r.ratio for r in rows]
    have = [(x, q) for x, q in zip(xs, ratios) if q is not None]
    if have:
        ax_r.bar(
            [x for x, _ in have],
            [q - 1 for _, q in have],
            bottom=1,
            width=0.5,
            color=style.GREY,
            edgecolor="white",
        )
        for x, q in have:
            ax_r.annotate(
                f"{q:.2f}×",
                (x, q),
                xytext=(0, 3 if q >= 1 else -3),
                textcoords="offset points",
                ha="center",
                va="bottom" if q >= 1 else "top",
                fontsize=11,
            )
        # Symmetric about 1 on a log2 scale: 2× slower is as far from 1 as 2× faster.
        ax_r.set_yscale("log", base=2)
        top = max(max(abs(math.log2(q)) for _, q in have) * 1.35, 0.5)
        ax_r.set_ylim(2**-top, 2**top)
        ax_r.yaxis.set_major_locator(
            FixedLocator([2.0**k for k in range(-math.ceil(top), math.ceil(top) + 1)])
        )
        ax_r.yaxis.set_minor_locator(NullLocator())
        style.label_ticks(ax_r.yaxis)
    else:
        style.note(ax_r, "no setting has a verified time in both runs")
    ax_r.axhline(1, color=style.BLACK, linewidth=1.2)
    style.mark_failed(ax_r, [x for x, q in zip(xs, ratios) if q is None], label="no ratio")
    ax_r.set_ylabel("time B ÷ time A\n(below 1: B faster)")
    ax_r.grid(axis="x", visible=False)
    ax_r.set_xticks(xs, [f"{r.processes}×{r.threads}" for r in rows])
    ax_r.set_xlabel("processes × threads")
    style.legend_outside(ax_t)
    details = [style.params_line(ga.fixed_params, ga.kernel), run_line("A", a), run_line("B", b)]
    if ga.time_metric != gb.time_metric:
        details.append(f"A times {ga.time_metric}, B times {gb.time_metric}: the ratio mixes them")
    style.title(fig, "Compare", ga.label, details)
    return fig, {}


def default_out_dir(a: Run, b: Run) -> str:
    """Beside B: results/compare-<A>-vs-<B>/ for runs in results/."""
    parent = os.path.dirname(os.path.realpath(b.dir))
    return os.path.join(parent, f"compare-{a.dir_name}-vs-{b.dir_name}")


_NUMBER = re.compile(r"[-+]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?|inf|nan)")


def csv_cell(value):
    """A cell as harness/report/csv_reporter.cpp writes it: text a spreadsheet would run as a
    formula (=, +, -, @, tab or CR first, and not a number) gets a leading ' (OWASP's CSV
    injection guidance), so that a spreadsheet shows it as the text it is."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        if not _NUMBER.fullmatch(value):
            return "'" + value
    return value


class _FormulaSafeWriter:
    """csv.writer whose rows go through csv_cell."""

    def __init__(self, f):
        self._w = csv.writer(f)

    def writerow(self, row: list) -> None:
        self._w.writerow([csv_cell(v) for v in row])


def write_csv(rows: list, path: str) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = _FormulaSafeWriter(f)
        w.writerow(
            [
                "point",
                "processes",
                "threads",
                "time_metric",
                "a_median_s",
                "b_median_s",
                "ratio_b_over_a",
                "a_status",
                "b_status",
            ]
        )
        for r in rows:

            def t(p):
                return "" if not p or not p.ok else f"{p.time_s:.9g}"

            def s(p):
                return "not run" if not p else p.status

            w.writerow(
                [
                    r.label,
                    r.processes,
                    r.threads,
                    r.metric,
                    t(r.a),
                    t(r.b),
                    "" if r.ratio is None else f"{r.ratio:.6g}",
                    s(r.a),
                    s(r.b),
                ]
            )


def draw_compare(a: Run, b: Run, out_dir: str, formats: list) -> tuple:
    drawn = Drawn()
    pairs, only_a, only_b = match_groups(a, b)
    all_rows = []
    for ga, gb in pairs:
        rows = _rows(ga, gb)
        all_rows.extend(rows)
        render(
            drawn,
            out_dir,
            formats,
            "compare",
            f"compare-{ga.slug}",
            ga.heading,
            ga.heading,
            lambda: _draw_pair(a, b, ga, gb, rows),
            lambda facts: captions.compare(a.dir_name, b.dir_name, ga.time_metric),
        )
    for tag, groups in (("A", only_a), ("B", only_b)):
        for g in groups:
            drawn.add(
                Skipped(
                    "compare",
                    g.heading,
                    f"only run {tag} has {g.label} with these parameters",
                    g.heading,
                )
            )
    os.makedirs(out_dir, exist_ok=True)
    write_csv(all_rows, os.path.join(out_dir, "compare.csv"))
    return drawn, all_rows
