"""What drawing produced: the charts written and the charts that had nothing to show (with
the reason, for the report), grouped into report sections."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

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


@dataclass
class Drawn:
    charts: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    sections: list = field(default_factory=list)  # in the order they were first drawn into

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
    nothing to show."""
    try:
        fig, facts = make()
    except style.Skip as skip:
        drawn.add(Skipped(kind, subject, str(skip), section))
        return
    files = style.save(fig, out_dir, name, formats)
    drawn.add(Chart(kind, name, subject, files, caption(facts), section))
