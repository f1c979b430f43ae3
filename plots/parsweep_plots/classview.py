"""The class view of a class run (`parsweep merge --class`): several learners' runs of one
lesson, each measured on its own machine.

One chart per lesson step (a kernel and its parameters) puts every learner's speedup on the
same settings side by side, each against that learner's own baseline; the table of machines
says why the lines differ (usable cores, CPU, BLAS). Each learner's detailed charts are in
their own run's report, so a class report does not repeat them once per learner.
"""
from __future__ import annotations

import json
from typing import Optional

from . import style
from .charts import Drawn, render
from .load import Group, Run, _label, param_text, setting_order, slug


def lessons(run: Run) -> list:
    """[(label, {learner: group})]: the groups of each kernel + parameters across learners,
    in the order of the first learner's run."""
    out: dict = {}
    for g in run.groups:
        key = (g.run, g.kernel, json.dumps(g.params, sort_keys=True))
        if key not in out:
            out[key] = (_label(g.kernel, g.params, g.axes), {})
        out[key][1][g.learner] = g
    return list(out.values())


def source_of(run: Run, learner: str) -> dict:
    return next((s for s in run.sources if s.get("learner") == learner), {})


def machine(run: Run, learner: str) -> dict:
    """What a learner's run recorded about the machine: host, cores, CPU, BLAS, OpenMP."""
    c = source_of(run, learner).get("context") or {}
    cores = c.get("usable_cores") or {}
    blas = c.get("blas") or {}
    omp = c.get("openmp") or {}
    return {
        "host": str(c.get("host") or "unknown host"),
        "cores": cores.get("count") if isinstance(cores.get("count"), int) else None,
        "cores_reason": str(cores.get("reason") or ""),
        "cpu": str((c.get("topology") or {}).get("cpu_model") or ""),
        "blas": " ".join(str(blas[k]) for k in ("name", "version") if blas.get(k)) or "unknown",
        "openmp": " ".join(str(omp[k]) for k in ("version", "runtime") if omp.get(k)),
    }


def machine_rows(run: Run) -> list:
    """A row per learner: learner, host, usable cores (and why), CPU, BLAS, OpenMP, points."""
    rows = []
    for learner in run.learners:
        m = machine(run, learner)
        mine = [p for p in run.points if p.learner == learner]
        rows.append(
            [
                learner,
                m["host"],
                m["cores_reason"] or (m["cores"] if m["cores"] is not None else "?"),
                m["cpu"],
                m["blas"],
                m["openmp"],
                f"{sum(p.ok for p in mine)} of {len(mine)} verified",
            ]
        )
    return rows


def _baseline_workers(groups: dict) -> int:
    for g in groups.values():
        if g.baseline:
            return g.baseline.workers
    return 1


IDEAL_STYLES = ("--", ":", "-.", (0, (6, 2, 1, 2)))


def _ideal_lines(ax, run: Run, groups: dict, settings: list, base: int) -> list:
    """The ideal speedup of each learner's machine: P·T over the baseline's workers up to its
    usable cores, flat past them (more workers than cores take turns on them, as in the
    speedup chart: curves.py), one line per number of cores among the learners; the settings
    beyond the fewest learner's cores are shaded. Returns the lines' labels."""
    counts = sorted({machine(run, learner)["cores"] for learner in groups}, key=lambda c: c or 0)
    labels = []
    for k, cores in enumerate(counts):
        if cores is None:
            label = "ideal (speedup = P·T; usable cores unknown)"
        else:
            label = f"ideal on {cores} core{'' if cores == 1 else 's'} (P·T, flat past {cores})"
        cap = max(cores, base) if cores else None
        ys = [min(P * T, cap or P * T) / base for P, T in settings]
        ax.plot(range(len(settings)), ys, color=style.GREY, linewidth=1.6, marker="",
                linestyle=IDEAL_STYLES[k % len(IDEAL_STYLES)], label=label)
        labels.append(label)
    fewest = next((c for c in counts if c is not None), None)
    beyond = [x for x, (P, T) in enumerate(settings) if fewest and P * T > fewest]
    if beyond:
        where = f" on {fewest} cores" if len([c for c in counts if c]) > 1 else ""
        ax.axvspan(beyond[0] - 0.5, beyond[-1] + 0.5, color=style.LIGHT_GREY, alpha=0.45,
                   linewidth=0, zorder=0,
                   label=f"{style.OVERSUBSCRIBED_LABEL}{where} (P·T > {fewest})")
    return labels


def draw_speedup(run: Run, label: str, groups: dict) -> tuple:
    """Speedup against each setting P×T, a line per learner, under the ideal of each
    learner's machine (_ideal_lines). A failed point is a gap marked ✗, never a value."""
    settings = sorted(
        {(p.processes, p.threads) for g in groups.values() for p in g.points}, key=setting_order
    )
    if not any(p.value("speedup") is not None for g in groups.values() for p in g.points):
        raise style.Skip("no learner has a verified point with its baseline")
    fig, ax = style.figure()
    xs = list(range(len(settings)))
    base = _baseline_workers(groups)
    ideals = _ideal_lines(ax, run, groups, settings, base)
    best: Optional[tuple] = None
    for i, (learner, g) in enumerate(groups.items()):
        by_setting = {(p.processes, p.threads): p for p in g.points}
        ys, failed_xs = [], []
        for x, pt in enumerate(settings):
            p = by_setting.get(pt)
            v = p.value("speedup") if p else None
            if p is not None and v is None and not p.ok:
                failed_xs.append(x)
            ys.append(v if v is not None else float("nan"))
            if v is not None and (best is None or v > best[2]):
                best = (learner, f"{pt[0]}×{pt[1]}", v)
        m = machine(run, learner)
        n = m["cores"]
        cores = "cores unknown" if n is None else f"{n} core{'' if n == 1 else 's'}"
        look = style.series_style(i)
        ax.plot(xs, ys, label=f"{learner} ({m['host']}, {cores})", **look)
        if failed_xs:  # a gap with the learner's ✗ on the x axis, one row per learner
            ax.scatter(
                failed_xs,
                [0.04 + 0.04 * (i % 8)] * len(failed_xs),
                transform=ax.get_xaxis_transform(),
                marker="X",
                s=140,
                color=look["color"],
                edgecolor=style.FAILED_COLOR,
                linewidth=1.2,
                zorder=5,
                clip_on=False,
                label=f"{learner}: failed / unverified, no value",
            )
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{P}×{T}" for P, T in settings])
    ax.set_xlim(-0.5, len(xs) - 0.5)
    ax.set_xlabel("setting: processes × threads")
    ax.set_ylabel("speedup against the learner's own baseline")
    ax.set_ylim(bottom=0)
    style.legend_outside(ax, first=ideals)
    any_group: Group = next(iter(groups.values()))
    style.title(
        fig,
        "class speedup",
        label,
        [
            style.params_line(any_group.fixed_params, any_group.kernel),
            f"{len(groups)} learners' machines, each against its own "
            f"{any_group.baseline.setting if any_group.baseline else '1×1'}",
        ],
    )
    return fig, {"learners": len(groups), "best": best}


def caption(facts: dict) -> str:
    text = (
        f"Each line is one of the {facts['learners']} learners' machines: the speedup of each "
        "setting (processes × threads) against that machine's own baseline; the grey line is "
        "ideal, flat past the machine's usable cores (shaded: more workers than cores take "
        "turns on them). Lines part where machines differ — fewer usable cores, another CPU or "
        "BLAS (see the table of machines); ✗ marks a setting that failed or did not verify"
    )
    best = facts.get("best")
    if best:
        text += f". The fastest: {best[0]}'s {best[1]} at {best[2]:.2f}×"
    return text + "."


def draw_all(run: Run, out_dir: str, formats: list, drawn: Drawn) -> None:
    names: set = set()
    for label, groups in lessons(run):
        g = next(iter(groups.values()))
        words = [g.kernel] + [f"{a}{param_text(g.params.get(a))}" for a in g.axes]
        name = "class-speedup-" + slug("-".join(words))  # as the other charts name a group
        if name in names:  # two runs of a config with the same kernel and parameters
            name += f"-run{g.run}"
        names.add(name)
        render(
            drawn,
            out_dir,
            formats,
            "class-speedup",
            name,
            label,
            f"Class: {label}",
            lambda: draw_speedup(run, label, groups),
            caption,
        )
