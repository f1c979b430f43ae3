"""A lesson's verdict beside its run: RUN_DIR/lesson.json, written by the lesson's check.py
(exercises/check_lib.py, Verdict) before the charts are drawn. It names the charts the lesson
asks about (glob patterns over chart names: only those are drawn, unless --all-charts) and
gives what the report opens with: correct or not, the problems, and each finding's outcome.

    {"lesson": "02-square", "correct": false, "problems": ["…"],
     "findings": [{"claim": "…", "outcome": "shown", "ratio": 1.8, "detail": "…",
                   "words": "shows the lesson"}],
     "notes": ["…"], "charts": ["methods-sum_cubes-method", "scaling-square-n"]}

Every field may be missing (it then reads as empty); a field of the wrong type is refused with
a RunError naming the file and the field.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

from .load import RunError, read_json_file

LESSON_FILE = "lesson.json"

# A finding's outcome in words, for a lesson.json that does not give them: check_lib writes
# the words the check printed ("inconclusive: the machine was too busy (noise ±12%, …)"), and
# those are shown. Any other outcome is shown as it is written.
OUTCOME_WORDS = {
    "shown": "shows the lesson",
    "not shown": "does NOT show it",
    "inconclusive": "inconclusive: the difference is within the noise of this machine",
}


@dataclass
class Finding:
    claim: str
    outcome: str
    ratio: Optional[float] = None
    detail: str = ""
    said: str = ""  # the check's own words for the outcome

    @property
    def words(self) -> str:
        return self.said or OUTCOME_WORDS.get(self.outcome, self.outcome)


@dataclass
class Lesson:
    name: str
    correct: bool
    problems: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    charts: list = field(default_factory=list)  # glob patterns over chart names

    @property
    def other_notes(self) -> list:
        """The notes that do not repeat a finding (check_lib writes each finding as a note
        too, starting with its claim)."""
        return [n for n in self.notes if not any(n.startswith(f.claim) for f in self.findings)]


def _strings(doc: dict, key: str, path: str) -> list:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RunError(f"{path}: {key} must be a list of strings")
    return value


def _finding(raw, i: int, path: str) -> Finding:
    if not isinstance(raw, dict):
        raise RunError(f"{path}: findings[{i}] is not an object")
    ratio = raw.get("ratio")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)):
        ratio = None
    return Finding(
        claim=str(raw.get("claim") or ""),
        outcome=str(raw.get("outcome") or ""),
        ratio=ratio,
        detail=str(raw.get("detail") or ""),
        said=str(raw.get("words") or ""),
    )


def read_lesson(run_dir: str) -> Optional[Lesson]:
    """RUN_DIR/lesson.json, or None when the run has none (a run that is not a lesson's)."""
    path = os.path.join(run_dir, LESSON_FILE)
    try:
        doc = read_json_file(path)
    except FileNotFoundError:
        return None
    if not isinstance(doc, dict):
        raise RunError(f"{path}: not a JSON object")
    findings = doc.get("findings", [])
    if not isinstance(findings, list):
        raise RunError(f"{path}: findings must be a list")
    correct = doc.get("correct")
    if not isinstance(correct, bool):
        raise RunError(f"{path}: correct must be true or false")
    return Lesson(
        name=str(doc.get("lesson") or os.path.basename(os.path.abspath(run_dir))),
        correct=correct,
        problems=_strings(doc, "problems", path),
        findings=[_finding(f, i, path) for i, f in enumerate(findings)],
        notes=_strings(doc, "notes", path),
        charts=_strings(doc, "charts", path),
    )
