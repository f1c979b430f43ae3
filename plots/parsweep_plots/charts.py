"""What drawing produced: the charts written and the charts that had nothing to show (with
the reason, for the report), grouped into report sections; and which charts to draw at all
(a lesson's, by name)."""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Callable, Optional

from . import style


@dataclass
class Chart:
    kind: str  # speedup, efficiency, oversubscription, …: the first part of the file name
    name: str  # the file name without its extension
    subject: str  # what it shows: a group's label, or a kernel and an axis
    files: list  # the paths written, one per format
    caption: str  # one sentence on how to read it
    section: str = ""  # the report section it belongs to


@dataclass
class Skipped:
    kind: str  # "" when no chart at all could be drawn for the subject
    subject: str
    reason: str
    section: str = ""
    name: str = ""  # the chart's file name had it been drawn ("" when no one chart's)


@dataclass
class Drawn:
    charts: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    sections: list = field(default_factory=list)  # in the order they were first drawn into
    # Glob patterns over chart names (a lesson's, from lesson.json): only the charts that
    # match one are drawn. None draws every chart.
    only: Optional[list] = None
    passed_over: list = field(default_factory=list)  # the names `only` left out, undrawn

    def wants(self, name: str) -> bool:
        """Whether the chart called `name` is to be drawn: decided before it is rendered, so
        that a lesson's few charts take the time of a few."""
        return self.only is None or any(fnmatch.fnmatchcase(name, g) for g in self.only)

    def unmatched(self) -> list:
        """The patterns of `only` that no chart drawn or skipped matched."""
        names = [c.name for c in self.charts] + [s.name for s in self.skipped if s.name]
        return [g for g in self.only or [] if not any(fnmatch.fnmatchcase(n, g) for n in names)]

    def add(self, item) -> None:
        (self.charts if isinstance(item, Chart) else self.skipped).append(item)
        if item.section not in self.sections:
            self.sections.append(item.section)


def render(
    drawn: Drawn,
    out_dir: str,
    formats: list,
    kind: str,
    name: str,
    subject: str,
    section: str,
    make: Callable,
    caption: Callable,
) -> None:
    """Draws one chart (make() → figure, facts for its caption), or records why it has
    nothing to show; a chart that drawn.only leaves out is neither drawn nor recorded."""
    if not drawn.wants(name):
        drawn.passed_over.append(name)
        return
    try:
        fig, facts = make()
    except style.Skip as skip:
        drawn.add(Skipped(kind, subject, str(skip), section, name))
        return
    files = style.save(fig, out_dir, name, formats)
    drawn.add(Chart(kind, name, subject, files, caption(facts), section))
