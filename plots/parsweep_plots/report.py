"""report.html (one run) and compare.html (two runs): single offline pages with the images
alongside — no network reference of any kind (no CDN, no web font), so they open from a
laptop, a cluster's file system or a USB stick.

A few lines of script check on load that every image decoded (naturalWidth > 0) and write
the count into <body data-images-loaded="n/m">, which the tests read through headless
Chromium; a missing image is also flagged on the page itself.
"""
from __future__ import annotations

import fnmatch
import html
import os
from typing import Callable, Iterable, Optional

from . import classview
from .charts import Chart, Drawn
from .lesson import LESSON_FILE, Lesson
from .load import Run
from .style import METRIC_WORDS, env_line, fmt_count, fmt_ratio, fmt_time

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #1a1a1a; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 2px solid #ddd; }
h3 { margin-top: 1.6em; }
.lead { color: #444; margin-top: 0; }
.warn { background: #fff4e0; border-left: 5px solid #E69F00; padding: 0.6em 1em; }
.bad  { background: #fde8dc; border-left: 5px solid #D55E00; padding: 0.6em 1em; }
.good { background: #e3f4ee; border-left: 5px solid #009E73; padding: 0.6em 1em; }
.verdict h2 { margin-top: 0.2em; border: none; }
.verdict .outcome { font-weight: 600; }
table { border-collapse: collapse; font-size: 0.92em; margin: 0.8em 0; }
th, td { border-bottom: 1px solid #e2e2e2; padding: 0.25em 0.6em; text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fde8dc; } tr.notrun td { color: #888; font-style: italic; }
table.context { width: 100%; }
table.context td:first-child { width: 13em; color: #444; font-weight: 600; }
figure { margin: 1.2em 0 2em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #333; max-width: 60em; margin-top: 0.4em; }
figcaption .files { color: #777; font-size: 0.9em; }
figure.missing::before { content: "image missing: " attr(data-src); color: #D55E00;
                         font-weight: 600; }
.skip { color: #555; font-style: italic; }
nav ul { columns: 2; }
code { background: #f3f3f3; padding: 0 0.25em; }
footer { margin-top: 3em; color: #666; font-size: 0.9em; }
"""

# Counts the images that decoded; the tests read data-images-loaded from the DOM.
SCRIPT = """
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images), ok = 0;
  imgs.forEach(function (img) {
    if (img.complete && img.naturalWidth > 0) { ok += 1; }
    else { img.closest("figure").classList.add("missing"); }
  });
  document.body.setAttribute("data-images-loaded", ok + "/" + imgs.length);
  document.getElementById("image-status").textContent = ok === imgs.length
    ? "all " + ok + " images loaded"
    : (imgs.length - ok) + " of " + imgs.length + " images did not load";
});
"""


def e(value) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f'<body data-images-loaded="pending">\n{body}\n'
        f"<footer>Drawn by parsweep's plots/ from the run's exported files. "
        f'<span id="image-status">images not checked (scripts are off)</span></footer>\n'
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _table(
    header: list,
    rows: Iterable,
    numeric: Iterable[int] = (),
    classes: Optional[list] = None,
    css: str = "",
) -> str:
    numeric = set(numeric)
    head = "".join(
        f'<th class="num">{e(h)}</th>' if i in numeric else f"<th>{e(h)}</th>"
        for i, h in enumerate(header)
    )
    out = [f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>']
    for k, row in enumerate(rows):
        cls = f' class="{classes[k]}"' if classes and classes[k] else ""
        cells = "".join(
            f'<td class="num">{e(c)}</td>' if i in numeric else f"<td>{e(c)}</td>"
            for i, c in enumerate(row)
        )
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _figure(chart: Chart, page_dir: str) -> str:
    """The first PNG or SVG is shown; every format is linked."""
    rel = [os.path.relpath(f, page_dir) for f in chart.files]
    shown = next((r for r in rel if r.endswith((".png", ".svg"))), None)
    links = " · ".join(f'<a href="{e(r)}">{e(r.rsplit(".", 1)[-1].upper())}</a>' for r in rel)
    img = (
        f'<img src="{e(shown)}" alt="{e(chart.kind)} chart: {e(chart.subject)}" loading="eager">'
        if shown
        else ""
    )
    return (
        f'<figure id="{e(chart.name)}" data-src="{e(shown or "")}">{img}'
        f'<figcaption>{e(chart.caption)} <span class="files">{links}</span></figcaption></figure>'
    )


def _skip_note(skip) -> str:
    what = f"{skip.kind} chart" if skip.kind else "charts"
    return f'<p class="skip">No {e(what)} for {e(skip.subject)}: {e(skip.reason)}.</p>'


def _sections(drawn: Drawn, page_dir: str, keep: Callable = lambda name: True) -> str:
    """Charts and skip notes whose names `keep` holds, grouped by section in the order they
    were drawn."""
    body: dict = {s: [] for s in drawn.sections}
    for chart in drawn.charts:
        if keep(chart.name):
            body[chart.section].append(_figure(chart, page_dir))
    for skip in drawn.skipped:
        if keep(skip.name):
            body[skip.section].append(_skip_note(skip))
    order = [s for s in drawn.sections if body[s]]
    out = (
        ["<nav><ul>"]
        + [f'<li><a href="#s{i}">{e(s)}</a></li>' for i, s in enumerate(order)]
        + ["</ul></nav>"]
    )
    for i, s in enumerate(order):
        out.append(f'<h3 id="s{i}">{e(s)}</h3>')
        out.extend(body[s])
    return "\n".join(out)


# --- one run ---------------------------------------------------------------------------


def _words(*parts) -> str:
    """The parts that are there, space-separated."""
    return " ".join(str(p) for p in parts if p not in (None, ""))


def _limits(calibration) -> str:
    """The machine's limits the run recorded (`parsweep calibrate`: context.calibration), from
    the fewest to the most threads calibrated; "" when it recorded none."""
    if not isinstance(calibration, dict):
        return ""

    def span(part: str, field: str, unit: str) -> str:
        points = [
            p
            for p in (calibration.get(part) or {}).get("points") or []
            if isinstance(p.get(field), (int, float)) and isinstance(p.get("threads"), int)
        ]
        if not points:
            return ""
        lo, hi = points[0], points[-1]
        text = f"{lo[field]:.1f} {unit} at {lo['threads']} thread{'s' * (lo['threads'] != 1)}"
        if hi is not lo:
            text += f" … {hi[field]:.1f} at {hi['threads']}"
        return text

    parts = [
        f"STREAM triad {t}" if (t := span("stream", "triad_gbs", "GB/s")) else "",
        f"DGEMM {g}" if (g := span("dgemm", "gflops", "GFLOP/s")) else "",
    ]
    return "; ".join(p for p in parts if p)


def _context_rows(run: Run) -> list:
    """(name, value) of what the run recorded about where it ran; absent fields are left out."""
    c = run.context
    topo, cores = c.get("topology") or {}, c.get("usable_cores") or {}
    build, omp = c.get("build") or {}, c.get("openmp") or {}
    blas, mem = c.get("blas") or {}, c.get("memory") or {}
    total = mem.get("total_bytes")
    rows = [
        ("host", run.host),
        ("CPU", topo.get("cpu_model")),
        (
            "topology",
            ", ".join(f"{topo[k]} {k}" for k in ("packages", "cores", "pus") if k in topo),
        ),
        ("usable cores", cores.get("reason") or cores.get("count")),  # the reason says the count
        ("memory", f"{total / 2 ** 30:.1f} GiB" if isinstance(total, (int, float)) else None),
        ("OS", c.get("os")),
        ("compiler", _words(build.get("compiler"), build.get("build_type"), build.get("flags"))),
        ("OpenMP", _words(omp.get("version"), omp.get("runtime"))),
        ("BLAS", run.blas),
        ("BLAS config", blas.get("config")),
        ("LAPACK from", blas.get("lapack_library")),
        ("machine limits", _limits(c.get("calibration"))),
        ("environment", env_line(run.env) or "nothing set"),
        ("parsweep", _words(build.get("parsweep_version"), build.get("git_commit"))),
        ("date", c.get("date")),
        ("config", run.config.get("source")),
    ]
    return [(k, v) for k, v in rows if v]


def _summary(run: Run) -> str:
    header = [
        "point",
        "P",
        "T",
        "P·T",
        "median",
        "±95%",
        "speedup",
        "efficiency",
        "P·T ÷ cores",
        "invol. ctx sw.",
        "CPU util.",
        "verified",
    ]
    rows, classes = [], []
    for g in run.groups:
        for p in g.points:
            ok = p.ok
            rows.append(
                [
                    g.heading + (" (baseline only)" if p.baseline_only else ""),
                    p.processes,
                    p.threads,
                    p.workers,
                    fmt_time(p.time_s),
                    fmt_time(p.stat(p.time_metric, "ci95")) if ok else "–",
                    fmt_ratio(p.value("speedup")),
                    fmt_ratio(p.value("efficiency")),
                    fmt_ratio(_oversubscription(run, p)),
                    fmt_count(p.ctx_involuntary),
                    fmt_ratio(p.stat("cpu_util")),
                    "yes" if ok else f"✗ NO: {p.error or p.status}",
                ]
            )
            classes.append("" if ok else "failed")
        done = {(p.processes, p.threads) for p in g.points}
        for P, T in g.expected:
            if (P, T) not in done:
                rows.append([g.heading, P, T, P * T, "not run yet"] + [""] * 7)
                classes.append("notrun")
    metrics = sorted({METRIC_WORDS[p.time_metric] for p in run.points}) or [METRIC_WORDS["wall_s"]]
    note = (
        f"Times are medians of the {' or '.join(metrics)} over the verified repetitions; "
        "speedup and efficiency are against each point's baseline. Failed points have no numbers."
    )
    if any(p.weak for p in run.points):
        note += (
            " Points marked (weak) are weak scaling: the work grew with P·T (their parameters "
            "are given per worker), speedup is the scaled speedup P·T × the baseline's time ÷ "
            "the point's, and efficiency the baseline's time ÷ the point's."
        )
    return f"<p>{e(note)}</p>\n" + _table(header, rows, numeric=range(1, 11), classes=classes)


def _oversubscription(run: Run, p) -> Optional[float]:
    """P·T ÷ the usable cores of the machine that measured the point (the harness's own
    figure: in a class run every learner has their own cores)."""
    v = p.derived.get("oversubscription")
    if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
        return float(v)
    return p.workers / run.usable_cores if run.usable_cores else None


def _merged_from(run: Run) -> str:
    """Where a merged run's points come from: a row per run it was made of."""
    if not run.sources:
        return ""
    rows = []
    for s in run.sources:
        part = s.get("part") or {}
        ctx = s.get("context") or {}
        rows.append(
            [
                s.get("dir", ""),
                f"{part.get('index')}/{part.get('count')}" if part else "–",
                ctx.get("host", "?"),
                (ctx.get("usable_cores") or {}).get("count", "?"),
                s.get("status", "?"),
                s.get("points_done", "?"),
            ]
        )
    missing = run.merge.get("missing") or []
    note = (
        f'<p class="warn">{len(missing)} point(s) of the sweep are missing: no run given to '
        f"parsweep merge measured them (listed in sweep.json, merge.missing).</p>"
        if missing
        else ""
    )
    return (
        f"<p>Merged by <code>parsweep merge</code> from {len(run.sources)} runs; speedups "
        f"are computed over the merged points.</p>\n"
        + _table(["run", "part", "host", "usable cores", "status", "points"], rows, numeric=[3, 5])
        + note
    )


def _machines(run: Run) -> str:
    """A class run's table of machines, a row per learner."""
    return (
        "<p>Each learner's run was measured on their own machine; every speedup is against "
        "that learner's own baseline.</p>\n"
        + _table(
            ["learner", "host", "usable cores", "CPU", "BLAS", "OpenMP", "points"],
            classview.machine_rows(run),
            css="machines",
        )
    )


def _status(run: Run) -> str:
    elapsed = f" in {fmt_time(run.elapsed_s)}" if run.elapsed_s is not None else ""
    text = (
        f"{run.points_done} of {run.points_total or '?'} points{elapsed}, "
        f"{run.points_failed} failed · status {run.status}"
    )
    out = f"<p>{e(text)}</p>"
    if run.partial:
        why = f", interrupted by signal {run.interrupted_by}" if run.interrupted_by else ""
        out += (
            f'<p class="warn">This run is partial ({e(run.status)}{why}): {run.points_done} of '
            f"{run.points_total or '?'} points are in. The charts show those; the missing "
            f"settings appear as “not run yet”.</p>"
        )
    if run.points_failed:
        out += (
            f'<p class="bad">{run.points_failed} point(s) failed or did not verify: they are '
            f"drawn as gaps marked ✗, never as times.</p>"
        )
    return out


def _finding(f) -> str:
    ratio = f" ({f.ratio:.2f}×)" if f.ratio is not None else ""
    detail = f" — {e(f.detail)}" if f.detail else ""
    return f'<li>{e(f.claim)}{e(ratio)}: <span class="outcome">{e(f.words)}</span>{detail}</li>'


def _verdict(lesson: Lesson) -> str:
    """What the lesson's check said: correct or not (with the problems), then each finding
    with its outcome in words, then the other notes."""
    head = (
        f"Lesson {lesson.name}: correct, every result verified"
        if lesson.correct
        else f"Lesson {lesson.name}: NOT correct"
    )
    out = [f'<section id="verdict" class="verdict {"good" if lesson.correct else "bad"}">',
           f"<h2>{e(head)}</h2>"]
    if lesson.problems:
        out += ["<ul>"] + [f"<li>{e(p)}</li>" for p in lesson.problems] + ["</ul>"]
    if lesson.findings:
        out += ["<p>What the measurements show:</p>", "<ul>"]
        out += [_finding(f) for f in lesson.findings] + ["</ul>"]
    if lesson.other_notes:
        out += ["<p>Notes:</p>", "<ul>"]
        out += [f"<li>{e(n)}</li>" for n in lesson.other_notes] + ["</ul>"]
    return "\n".join(out + ["</section>"])


def _lesson_rank(lesson: Lesson) -> Callable:
    """A chart name's place among the lesson's patterns (the first it matches), or None."""

    def rank(name: str) -> Optional[int]:
        return next(
            (i for i, g in enumerate(lesson.charts) if name and fnmatch.fnmatchcase(name, g)),
            None,
        )

    return rank


def _lesson_charts(lesson: Lesson, drawn: Drawn, page_dir: str) -> str:
    """The charts the lesson asks about, in the order of its patterns, with the reasons of
    those that had nothing to show."""
    rank = _lesson_rank(lesson)
    charts = sorted(
        (c for c in drawn.charts if rank(c.name) is not None), key=lambda c: rank(c.name)
    )
    out = ["<h2>The lesson's charts</h2>"] + [_figure(c, page_dir) for c in charts]
    out += [_skip_note(s) for s in drawn.skipped if rank(s.name) is not None]
    if len(out) == 1:
        out.append('<p class="skip">No chart of this run matches the lesson\'s '
                   f"({e(', '.join(lesson.charts))}).</p>")
    return "\n".join(out)


def write_run_report(run: Run, drawn: Drawn, path: str, lesson: Optional[Lesson] = None) -> str:
    """report.html. A lesson's run (lesson.json, with the charts it asks about) opens with the
    lesson's verdict and those charts; the run's machine, table and other charts follow."""
    page_dir = os.path.dirname(os.path.abspath(path))
    lessons = bool(lesson and lesson.charts)
    rank = _lesson_rank(lesson) if lessons else (lambda name: None)
    files = [
        f
        for f in ("sweep.json", "points.csv", "reps.csv", "checkpoint.jsonl")
        if os.path.exists(os.path.join(run.dir, f))
    ]
    links = " · ".join(
        f'<a href="{e(os.path.relpath(os.path.join(run.dir, f), page_dir))}">{e(f)}</a>'
        for f in files
    )
    others = [c for c in drawn.charts if rank(c.name) is None]
    body = "\n".join(
        [
            f"<h1>parsweep run: {e(run.name)}</h1>",
            _verdict(lesson) if lesson else "",
            _lesson_charts(lesson, drawn, page_dir) if lessons else "",
            f'<p class="lead">{e(run.description)}</p>' if run.description else "",
            _status(run),
            *(
                [f"<h2>The class: {len(run.learners)} learners' machines</h2>", _machines(run)]
                if run.learners
                else [
                    "<h2>Where it ran</h2>",
                    _table(["", ""], _context_rows(run), css="context"),
                    _merged_from(run),
                ]
            ),
            f"<p>Data: {links}</p>" if links else "",
            "<h2>Summary</h2>",
            _summary(run),
            _other_charts(run, drawn, page_dir, rank, others) if lessons else "",
            "" if lessons else "<h2>Charts</h2>",
            "" if lessons else _sections(drawn, page_dir),
        ]
    )
    _write(path, _page(f"parsweep: {run.name}", body))
    return path


def _other_charts(run: Run, drawn: Drawn, page_dir: str, rank: Callable, others: list) -> str:
    """Below a lesson's report: the run's other charts (--all-charts), or how to draw them."""
    if drawn.passed_over:
        return (
            f"<p>Only the charts the lesson asks about ({LESSON_FILE}) were drawn: "
            f"<code>parsweep plot {e(run.dir)} --all-charts</code> draws "
            f"up to {len(drawn.passed_over)} more.</p>"
        )
    if not others:
        return ""
    return "<h2>The run's other charts</h2>\n" + _sections(
        drawn, page_dir, lambda name: rank(name) is None
    )


# --- two runs --------------------------------------------------------------------------


def _differences(a: Run, b: Run) -> list:
    """Where the two runs ran, side by side, with what differs flagged: what the comparison
    is about (another node, another BLAS, another environment)."""
    ra, rb = dict(_context_rows(a)), dict(_context_rows(b))
    keys = list(ra) + [k for k in rb if k not in ra]
    return [
        (k, ra.get(k, "–"), rb.get(k, "–"), "differs" if ra.get(k) != rb.get(k) else "")
        for k in keys
        if k not in ("date", "config")
    ]


def _time_cell(p) -> str:
    if p is None:
        return "not run"
    return fmt_time(p.time_s) if p.ok else "✗ failed"


def write_compare_report(a: Run, b: Run, drawn: Drawn, rows: list, out_dir: str) -> str:
    path = os.path.join(out_dir, "compare.html")
    table_rows, classes = [], []
    for r in rows:
        table_rows.append(
            [
                r.label,
                r.processes,
                r.threads,
                _time_cell(r.a),
                _time_cell(r.b),
                f"{r.ratio:.2f}×" if r.ratio is not None else "–",
            ]
        )
        classes.append("" if r.ratio is not None else "failed")
    body = "\n".join(
        [
            f"<h1>parsweep: {e(a.dir_name)} vs {e(b.dir_name)}</h1>",
            '<p class="lead">A is the reference; ratios are the time in B ÷ the time in A, '
            "below 1 where B is faster.</p>",
            "<h2>What differs</h2>",
            _table(["", "A", "B", ""], _differences(a, b), css="context"),
            "<h2>Point by point</h2>",
            _table(
                ["point", "P", "T", "A median", "B median", "B ÷ A"],
                table_rows,
                numeric=range(1, 6),
                classes=classes,
            ),
            '<p>The same numbers: <a href="compare.csv">compare.csv</a>.</p>',
            "<h2>Charts</h2>",
            _sections(drawn, os.path.abspath(out_dir)),
        ]
    )
    _write(path, _page(f"parsweep: {a.dir_name} vs {b.dir_name}", body))
    return path


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)  # a reader never sees half a page
