"""Which charts a run gets, and the entry points of plot_run.py and compare_runs.py."""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Callable

from . import captions, classview, curves, methods, overhead, oversub, roofline, scaling
from .charts import Drawn, Skipped, render
from .compare import default_out_dir, draw_compare
from .lesson import LESSON_FILE, read_lesson
from .load import Run, RunError, load_run
from .report import write_compare_report, write_run_report


@dataclass
class Spec:
    """A kind of chart drawn once per group: how to draw it and how to read it."""

    kind: str
    draw: Callable  # (run, group) → (figure, facts); raises style.Skip
    caption: Callable  # (run, group, facts) → str


# The per-group charts of a run, in the order the report shows them.
SPECS = (
    Spec("speedup", curves.draw_speedup, captions.speedup),
    Spec("efficiency", curves.draw_efficiency, captions.efficiency),
    Spec("oversubscription", oversub.draw_heatmap, captions.heatmap),
    Spec("oversubscription-bars", oversub.draw_bars, captions.bars),
    Spec("overhead", overhead.draw_overhead, captions.overhead),
)


def draw_groups(run: Run, out_dir: str, formats: list, drawn: Drawn) -> None:
    """Every per-group chart; a group none of whose points verified gets one note instead."""
    for group in run.groups:
        if not any(p.ok for p in group.points):
            names = [f"{spec.kind}-{group.slug}" for spec in SPECS]
            wanted = [n for n in names if drawn.wants(n)]
            if not wanted:
                drawn.passed_over.extend(names)
                continue
            errors = sorted({p.error for p in group.points if p.error})
            why = f"none of its {len(group.points)} points verified"
            drawn.add(
                Skipped(
                    "",
                    group.heading,
                    why + (f" ({errors[0]})" if errors else ""),
                    group.heading,
                    wanted[0],
                )
            )
            continue
        for spec in SPECS:
            render(
                drawn,
                out_dir,
                formats,
                spec.kind,
                f"{spec.kind}-{group.slug}",
                group.heading,
                group.heading,
                lambda: spec.draw(run, group),
                lambda facts: spec.caption(run, group, facts),
            )


def draw_run(run: Run, out_dir: str, formats: list, only=None) -> Drawn:
    """Every chart of the run, or only those whose names match a glob of `only`."""
    drawn = Drawn(only=only)
    if run.learners:
        # A class run: every learner side by side; each one's own charts are in their run.
        classview.draw_all(run, out_dir, formats, drawn)
        return drawn
    draw_groups(run, out_dir, formats, drawn)
    methods.draw_all(run, out_dir, formats, drawn)
    scaling.draw_all(run, out_dir, formats, drawn)
    roofline.draw_all(run, out_dir, formats, drawn)
    return drawn


# --- command lines ---------------------------------------------------------------------


def _formats(text: str) -> list:
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad or not formats:
        raise argparse.ArgumentTypeError(f"formats are png, svg and pdf (got {text!r})")
    return formats


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _load_or_exit(path: str) -> Run:
    try:
        return load_run(path)
    except RunError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


def plot_run_main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="plot_run.py",
        description="Draw a parsweep run's charts into RUN_DIR/plots/ and write "
        "RUN_DIR/report.html.",
    )
    ap.add_argument("run_dir", metavar="RUN_DIR", help="a directory written by `parsweep run`")
    ap.add_argument(
        "--out",
        metavar="DIR",
        help="where the images and report.html go "
        "(default: RUN_DIR/plots/ and RUN_DIR/report.html)",
    )
    ap.add_argument(
        "--formats",
        type=_formats,
        default=["png", "svg"],
        help="comma-separated: png, svg, pdf (default png,svg; the report shows the first)",
    )
    ap.add_argument("--no-report", action="store_true", help="images only")
    ap.add_argument(
        "--all-charts",
        action="store_true",
        help=f"every chart, also when RUN_DIR/{LESSON_FILE} names the charts of its lesson",
    )
    args = ap.parse_args(argv)
    run = _load_or_exit(args.run_dir)
    lesson = _lesson_or_none(args.run_dir)
    out_dir = args.out or os.path.join(args.run_dir, "plots")
    only = lesson.charts if lesson and lesson.charts and not args.all_charts else None
    drawn = draw_run(run, out_dir, args.formats, only)
    _say_drawn(drawn, args.formats, out_dir)
    if not args.no_report:
        # Beside the run's files, or with the images when they were sent elsewhere.
        page = (
            os.path.join(args.out, "report.html")
            if args.out
            else os.path.join(args.run_dir, "report.html")
        )
        print(f"report: {write_run_report(run, drawn, page, lesson)}")
    return 0


def _lesson_or_none(run_dir: str):
    """The run's lesson.json, or None; one that cannot be read is named, and then every
    chart is drawn and the report has no verdict."""
    try:
        return read_lesson(run_dir)
    except RunError as e:
        print(f"warning: {e}: every chart is drawn, and the report has no verdict", file=sys.stderr)
        return None


def _say_drawn(drawn: Drawn, formats: list, out_dir: str) -> None:
    """One line: how many charts, and for a lesson how many more --all-charts would draw."""
    line = f"plots: {_count(drawn.charts, 'chart')} ({', '.join(formats)}) in {out_dir}"
    if drawn.only is not None:
        more = len(drawn.passed_over)
        line += f": the lesson's ({LESSON_FILE}); --all-charts draws up to {more} more"
    print(line)
    for pattern in drawn.unmatched():
        print(f"plots: {LESSON_FILE} asks for {pattern!r}, which names no chart of this run")


def compare_main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="compare_runs.py",
        description="Draw two parsweep runs side by side, with the time ratio B ÷ A per point.",
    )
    ap.add_argument("a", metavar="A", help="the first run directory (the reference)")
    ap.add_argument("b", metavar="B", help="the second run directory")
    ap.add_argument(
        "--out",
        metavar="DIR",
        help="default: compare-<A>-vs-<B>/ beside B (results/ for runs in results/)",
    )
    ap.add_argument("--formats", type=_formats, default=["png", "svg"])
    args = ap.parse_args(argv)
    a, b = _load_or_exit(args.a), _load_or_exit(args.b)
    out_dir = args.out or default_out_dir(a, b)
    drawn, rows = draw_compare(a, b, out_dir, args.formats)
    path = write_compare_report(a, b, drawn, rows, out_dir)
    print(
        f"compare: {_count(drawn.charts, 'chart')} and {_count(rows, 'matched point')} in {out_dir}"
    )
    print(f"report: {path}")
    return 0
