"""The chart of make bench-peers: each peer's median time as a multiple of parsweep's, one
bar per (peer, parameters, workers), on a log axis with 1× (as fast as parsweep) marked.

A peer that was wrong or failed has no bar: a ✗ and its status stand in its row; a peer that
is not installed says so. Colours (Okabe–Ito, parsweep_plots.style) tell the peers apart and
hatches the worker counts, so the chart reads in grey too.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "plots"))

from parsweep_plots import style  # noqa: E402

PEER_COLOR = {
    "wordcount_pool": style.BLUE,
    "ripgrep": style.ORANGE,
    "square_pool": style.GREEN,
    "invert_pool": style.PURPLE,
    "numpy_inv": style.SKY_BLUE,
}
WORKER_HATCH = {1: "", 2: "//", 4: "xx", 8: ".."}


def draw(doc: dict, out_dir: str, formats) -> list:
    rows = doc["rows"]
    height = max(4.0, 0.48 * len(rows) + 1.8)
    fig, ax = style.figure(size=(12, height))
    ratios = [r["ratio"] for r in rows if r["ratio"]]
    lo = min(ratios + [1.0]) / 1.6
    hi = max(ratios + [1.0]) * 1.6
    labels = []
    for i, r in enumerate(rows):
        unit = "thread" if r["peer"] in ("ripgrep", "numpy_inv") else "process"
        plural = "" if r["workers"] == 1 else ("es" if unit == "process" else "s")
        labels.append(f"{r['peer']} · {r['params']} · {r['workers']} {unit}{plural}")
        if r["ratio"]:
            # From 1× outwards: right when parsweep is faster, left when the peer is.
            ax.barh(i, r["ratio"] - 1.0, left=1.0, color=PEER_COLOR.get(r["peer"], style.GREY),
                    hatch=WORKER_HATCH.get(r["workers"], "++"), edgecolor="white", height=0.72)
            ax.text(r["ratio"] * 1.05, i, f"{style.fmt_ratio(r['ratio'])}×", va="center",
                    fontsize=11)
        else:
            mark = "not installed" if r["status"] == "not installed" else f"{style.FAILED_MARK} {r['status']}"
            color = style.GREY if r["status"] == "not installed" else style.FAILED_COLOR
            ax.text(lo * 1.1, i, mark, va="center", fontsize=12, color=color, fontweight="bold")
    ax.set_xscale("log")
    ax.set_xlim(lo, hi * 1.5)
    style.label_ticks(ax.xaxis)
    ax.axvline(1.0, color=style.BLACK, linestyle=":", linewidth=2)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("peer's median time ÷ parsweep's (log scale; > 1: parsweep is faster)")
    style.title(fig, "bench-peers", "the workshop's Python versions against parsweep",
                [f"median of {doc['repetitions']} repetitions each, measured in one run · "
                 f"host {doc['host']} · Python {doc['python']}"
                 + (f" · {doc['ripgrep']}" if doc.get("ripgrep") else "")])
    return style.save(fig, out_dir, "peers", formats)
