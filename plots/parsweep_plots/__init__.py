"""Charts and an HTML report drawn from a parsweep run directory.

Like hyperfine's scripts, this package lives outside the binary and reads only what a run
exported (sweep.json); it never links to or imports the C++ side.

    load.py         a run directory → Run / Group / Point (plain dataclasses)
    fit.py          the Amdahl (strong) and Gustafson (weak scaling) fits: serial fraction
    style.py        palette, markers, hatches, titles, number formats, saving
    params.py       kernel parameters in plain words, for the lines under a chart's name
    lesson.py       a lesson's verdict beside its run (lesson.json): its charts, its report
    charts.py       the record of what was drawn, and why a chart was not
    curves.py       speedup and efficiency against P·T (scaled speedup for weak scaling)
    oversub.py      processes × threads heatmaps, matched vs oversubscribed bars
    methods.py      the values of a parameter swept in words (method, mode) side by side
    overhead.py     where the wall time went: spawn, compute, imbalance, gather
    scaling.py      time against problem size
    roofline.py     every point under the machine's limits, and its share of them
    compare.py      two runs side by side
    captions.py     one sentence per chart on how to read it
    report.py       report.html / compare.html
    draw.py         which charts a run gets; the entry points of the two scripts
"""

SUPPORTED_SCHEMA_VERSION = 1


def run_cli(entry: str) -> int:
    """Runs draw.<entry> (the scripts' main), or says how to get matplotlib when this Python
    lacks it: imported here, before anything loads matplotlib."""
    import sys

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            f"error: {sys.executable} has no matplotlib; install it with "
            "`apt-get install python3-matplotlib` (or scripts/install-deps.sh)",
            file=sys.stderr,
        )
        return 3
    from . import draw

    return getattr(draw, entry)()
