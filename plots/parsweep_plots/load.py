"""Reads a run directory's sweep.json into plain dataclasses.

sweep.json is the complete record (README "Results"); points.csv and reps.csv are views of
it, so nothing else is read. Only `schema_version`, `points` and each point's kernel,
processes and threads are required: every other field may be missing (older or partial
runs, hand-made files) and then reads as None or empty, never as a crash.
"""
from __future__ import annotations

import json
import math
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Optional

from . import SUPPORTED_SCHEMA_VERSION


class RunError(Exception):
    """A run directory that cannot be read; the message names the file."""


# How a point spends its P·T workers: the lines of the speedup chart.
SERIAL, PROCESSES, THREADS, MIXED = "serial", "processes", "threads", "mixed"
WAYS = (PROCESSES, THREADS, MIXED)


def way_of(processes: int, threads: int) -> str:
    if processes == 1 and threads == 1:
        return SERIAL
    if threads == 1:
        return PROCESSES
    if processes == 1:
        return THREADS
    return MIXED


def setting_order(pt: tuple) -> tuple:
    """How (processes, threads) settings are listed everywhere: by workers P·T, then P."""
    return (pt[0] * pt[1], pt[0])


def _number(v: Any) -> Optional[float]:
    """A finite float, or None for null, missing, text and NaN."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def param_text(value: Any) -> str:
    """A parameter as the CLI prints it: lists space-separated, file and directory paths by
    their name (not a command line such as the command kernel's cmd, which has spaces)."""
    if isinstance(value, list):
        return " ".join(param_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        path = "/" in value and not any(c.isspace() for c in value)
        return os.path.basename(value.rstrip("/")) or value if path else value
    return str(value)


@dataclass
class Point:
    index: int
    run: int
    kernel: str
    params: dict
    axes: list  # the swept kernel parameters of its run (not P and T)
    processes: int
    threads: int
    label: str
    status: str  # "ok" or "failed" (anything but "ok" is drawn as a gap)
    error: str
    baseline_only: bool
    baseline_pt: tuple  # (processes, threads) of the point its speedup is against
    time_metric: str  # "wall_s" or "compute_s"
    env: dict
    stats: dict
    derived: dict
    reps: list  # the recorded repetitions as exported (dicts)
    learner: str = ""  # whose machine measured it, in a class run (parsweep merge --class)
    # "strong" (the same work at every P·T) or "weak" (the work size given per worker, × P·T:
    # `params` hold the real size, `per_worker` the given one; derived.speedup is scaled).
    scaling: str = "strong"
    per_worker: dict = field(default_factory=dict)
    # Launcher "mpi" with a nodes axis: the nodes its ranks were spread over (0: no axis).
    # Each node count is a curve of its own, which starts from the (one-node) baseline.
    nodes: int = 0
    # The cores its efficiency and oversubscription count, when the run recorded them per
    # point (MPI ranks in a Slurm allocation: the job's CPUs on the ranks' nodes).
    usable_cores: Optional[int] = None

    @property
    def weak(self) -> bool:
        return self.scaling == "weak"

    @property
    def given_params(self) -> dict:
        """The parameters as the config gave them: the same for every point of one curve."""
        return {**self.params, **self.per_worker}

    @property
    def workers(self) -> int:
        return self.processes * self.threads

    @property
    def way(self) -> str:
        return way_of(self.processes, self.threads)

    @property
    def setting(self) -> str:
        return f"{self.processes}×{self.threads}"

    @property
    def ok(self) -> bool:
        """Verified and timed: the only points whose numbers may be drawn."""
        return self.status == "ok" and self.time_s is not None

    def stat(self, name: str, key: str = "median") -> Optional[float]:
        return _number(_dict(self.stats.get(name)).get(key)) if self.status == "ok" else None

    @property
    def time_s(self) -> Optional[float]:
        """The median of the point's time metric: what speedup and efficiency compare."""
        return self.stat(self.time_metric)

    def value(self, name: str) -> Optional[float]:
        """A derived metric (speedup, efficiency, …) of a verified point, else None."""
        return _number(self.derived.get(name)) if self.status == "ok" else None

    def rep_values(self, name: str) -> list:
        """One field over the verified repetitions (failed ones carry no usable time)."""
        if self.status != "ok":
            return []
        out = []
        for r in self.reps:
            v = _number(_dict(r).get(name))
            if r.get("verified", True) and v is not None:
                out.append(v)
        return out

    @property
    def ctx_involuntary(self) -> Optional[float]:
        return _number(self.stats.get("ctx_involuntary_median")) if self.ok else None


@dataclass
class Group:
    """The points of one kernel + parameters in one run (of one learner, in a class run):
    one speedup curve's worth."""

    key: tuple
    run: int
    kernel: str
    params: dict
    axes: list
    points: list = field(default_factory=list)
    learner: str = ""
    expected: list = field(default_factory=list)  # (P, T) of its grid, run yet or not
    slug: str = ""  # unique in the run: names its chart files
    heading: str = ""  # unique in the run: its section of the report

    @property
    def label(self) -> str:
        # Not the one-node baseline's, which also starts the curves of more nodes.
        own = [p for p in self.points if p.nodes == self.nodes] or self.points
        return own[0].label if own else self.kernel

    @property
    def nodes(self) -> int:
        return self.points[-1].nodes if self.points else 0

    def usable_cores(self, run: "Run") -> Optional[int]:
        """The cores of its own points' nodes (MPI ranks over several nodes), else the run's."""
        own = [p.usable_cores for p in self.points if p.nodes == self.nodes and p.usable_cores]
        return max(own) if own and self.nodes else run.usable_cores

    @property
    def baseline(self) -> Optional[Point]:
        for p in self.points:
            if (p.processes, p.threads) == p.baseline_pt:
                return p
        return None

    @property
    def fixed_params(self) -> dict:
        return {k: v for k, v in self.params.items() if k not in self.axes}

    @property
    def env(self) -> dict:
        return self.points[0].env if self.points else {}

    @property
    def time_metric(self) -> str:
        return self.points[0].time_metric if self.points else "wall_s"

    @property
    def weak(self) -> bool:
        """Weak scaling: the work grew with P·T, and the speedups are scaled speedups."""
        return bool(self.points) and self.points[0].weak


@dataclass
class Run:
    dir: str
    name: str
    description: str
    status: str
    points_total: Optional[int]
    points_failed: int
    interrupted_by: Optional[int]  # the signal that stopped the run, when one did
    elapsed_s: Optional[float]
    context: dict
    config: dict
    points: list
    groups: list
    merge: dict = field(default_factory=dict)  # how parsweep merge made it; {} for a measured run

    @property
    def learners(self) -> list:
        """The learners of a class run, in the order they were merged; [] for other runs."""
        out: list = []
        for p in self.points:
            if p.learner and p.learner not in out:
                out.append(p.learner)
        return out

    @property
    def sources(self) -> list:
        """The runs a merged run was made from (dir, learner or part, context, …)."""
        return [s for s in (self.merge.get("sources") or []) if isinstance(s, dict)]

    @property
    def points_done(self) -> int:
        return len(self.points)

    @property
    def partial(self) -> bool:
        return self.status != "complete" or (
            self.points_total is not None and self.points_done < self.points_total
        )

    @property
    def usable_cores(self) -> Optional[int]:
        n = _number(_dict(self.context.get("usable_cores")).get("count"))
        if n is None:
            n = _number(_dict(self.config.get("expanded")).get("usable_cores"))
        return int(n) if n else None

    @property
    def host(self) -> str:
        return str(self.context.get("host") or "unknown host")

    @property
    def blas(self) -> str:
        b = _dict(self.context.get("blas"))
        if not b.get("name"):
            return "BLAS unknown"
        text = " ".join(str(b[k]) for k in ("name", "version") if b.get(k))
        detail = ", ".join(str(b[k]) for k in ("core", "threading") if b.get(k))
        return f"{text} ({detail})" if detail else text

    @property
    def env(self) -> dict:
        """What the run set in the workers' environment (the config's env) and what the
        parent already had (OMP_*, OPENBLAS_*, …): what a comparison of two runs wants."""
        out = {str(k): str(v) for k, v in _dict(self.context.get("env")).items()}
        for g in self.groups:
            out.update({str(k): str(v) for k, v in g.env.items()})
        return out

    @property
    def dir_name(self) -> str:
        return os.path.basename(os.path.realpath(self.dir))


def _axes_by_index(config: dict) -> dict:
    out = {}
    for p in _dict(config.get("expanded")).get("points") or []:
        if isinstance(p, dict) and isinstance(p.get("index"), int):
            out[p["index"]] = p
    return out


def _label(kernel: str, params: dict, axes: list, scaling: str = "strong") -> str:
    parts = [kernel] + [f"{a}={param_text(params[a])}" for a in axes if a in params]
    return " ".join(parts) + (" (weak)" if scaling == "weak" else "")


def _point(raw: Any, i: int, planned: dict, path: str) -> Point:
    if not isinstance(raw, dict):
        raise RunError(f"{path}: points[{i}] is not an object")
    for key, kind in (("kernel", str), ("processes", int), ("threads", int)):
        v = raw.get(key)
        if not isinstance(v, kind) or isinstance(v, bool):
            raise RunError(f"{path}: points[{i}].{key} is missing or not a {kind.__name__}")
    if raw["processes"] < 1 or raw["threads"] < 1:
        raise RunError(f"{path}: points[{i}]: processes and threads must be ≥ 1")
    index = raw.get("index") if isinstance(raw.get("index"), int) else i
    params = _dict(raw.get("params"))
    plan = _dict(planned.get(index))
    axes = [a for a in (plan.get("axes") or raw.get("axes") or []) if isinstance(a, str)]
    base = _dict(raw.get("baseline")) or _dict(plan.get("baseline"))
    status = raw.get("status")
    if not isinstance(status, str):
        status = "ok" if raw.get("verified") is True else "failed"
    if raw.get("verified") is False:
        status = "failed"  # whatever the status says, an unverified result is not a time
    metric = (
        raw.get("time_metric") if raw.get("time_metric") in ("wall_s", "compute_s") else "wall_s"
    )
    scaling = "weak" if (raw.get("scaling") or plan.get("scaling")) == "weak" else "strong"
    per_worker = _dict(raw.get("per_worker")) or _dict(plan.get("per_worker"))
    nodes = plan.get("nodes") if isinstance(plan.get("nodes"), int) else 0
    return Point(
        index=index,
        run=raw.get("run") if isinstance(raw.get("run"), int) else int(plan.get("run") or 0),
        kernel=raw["kernel"],
        params=params,
        axes=axes,
        processes=raw["processes"],
        threads=raw["threads"],
        label=raw.get("label")
        if isinstance(raw.get("label"), str)
        else _label(raw["kernel"], {**params, **per_worker}, axes, scaling),
        status=status,
        error=str(raw.get("error") or ""),
        baseline_only=bool(raw.get("baseline_only")),
        baseline_pt=(int(base.get("processes", 1)), int(base.get("threads", 1))),
        time_metric=metric,
        env=_dict(raw.get("env")),
        stats=_dict(raw.get("stats")),
        derived=_dict(raw.get("derived")),
        reps=[r for r in (raw.get("reps") or []) if isinstance(r, dict)],
        learner=str(raw.get("learner") or ""),
        scaling=scaling,
        per_worker=per_worker,
        nodes=nodes,
        usable_cores=raw.get("usable_cores") if isinstance(raw.get("usable_cores"), int) else None,
    )


def _group_key(run: int, kernel: str, params: dict, learner: str = "", nodes: int = 0) -> tuple:
    """`params` as given: a weak curve's points each ran another size, and are one curve.
    With a nodes axis, each node count is a curve."""
    return (learner, run, kernel, json.dumps(params, sort_keys=True), nodes)


def groups_by_run(run: "Run") -> list:
    """[(run index, its groups, suffix)]: the groups of each entry of the config's "runs",
    with "-run<i>" as the suffix of chart names drawn over all of them when another entry has
    the same kernel ("" otherwise)."""
    by_run: dict = {}
    for g in run.groups:
        by_run.setdefault(g.run, []).append(g)
    kernels = [gs[0].kernel for gs in by_run.values()]
    return [
        (r, gs, f"-run{r}" if kernels.count(gs[0].kernel) > 1 else "")
        for r, gs in sorted(by_run.items())
    ]


def families(groups: list, axes: list) -> list:
    """The groups split by their values of `axes`: the groups of one family share them."""
    out: dict = {}
    for g in groups:
        out.setdefault(json.dumps([g.params.get(a) for a in axes]), []).append(g)
    return list(out.values())


def family_chart(kind: str, kernel: str, axis: str, others: list, family: list, suffix: str,
                 what: str) -> tuple:
    """(file name, subject) of a chart of one family against `axis`: the kind, kernel and axis,
    then the family's values of the `others` axes (scaling-square-n-p3), and "kernel: what"
    with those values."""
    fixed = family[0].params
    values = [(a, param_text(fixed.get(a))) for a in others]
    name = slug("-".join([kind, kernel, axis] + [f"{a}{v}" for a, v in values]) + suffix)
    subject = " ".join([f"{kernel}: {what}"] + [f"{a}={v}" for a, v in values])
    return name, subject


def slug(text: str) -> str:
    """A file-name-safe form of a label."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def _infer_axes(groups: list) -> None:
    """Without the expanded config, an axis is a parameter that differs between the groups
    of one run and kernel."""
    by_run: dict = {}
    for g in groups:
        by_run.setdefault((g.run, g.kernel), []).append(g)
    for same in by_run.values():
        names = sorted({k for g in same for k in g.params})
        varying = [k for k in names if len({json.dumps(g.params.get(k)) for g in same}) > 1]
        for g in same:
            if not g.axes:
                g.axes = varying
                for p in g.points:
                    p.axes = varying
                    p.label = _label(p.kernel, p.given_params, varying, p.scaling)


def _make_groups(points: list, planned: dict) -> list:
    groups: dict = {}
    for p in points:
        key = _group_key(p.run, p.kernel, p.given_params, p.learner, p.nodes)
        if key not in groups:
            groups[key] = Group(
                key=key,
                run=p.run,
                kernel=p.kernel,
                params=p.given_params,
                axes=p.axes,
                learner=p.learner,
            )
        groups[key].points.append(p)
    for plan in planned.values():
        key = _group_key(
            int(plan.get("run") or 0),
            str(plan.get("kernel")),
            {**_dict(plan.get("params")), **_dict(plan.get("per_worker"))},
            str(plan.get("learner") or ""),
            plan.get("nodes") if isinstance(plan.get("nodes"), int) else 0,
        )
        if (
            key in groups
            and not plan.get("baseline_only")
            and isinstance(plan.get("processes"), int)
            and isinstance(plan.get("threads"), int)
        ):
            groups[key].expected.append((plan["processes"], plan["threads"]))
    out = list(groups.values())
    # The curves of more nodes start from the baseline, which ran on one node.
    for g in out:
        one_node = groups.get(g.key[:-1] + (1,))
        if g.nodes > 1 and g.baseline is None and one_node and one_node.baseline:
            g.points.insert(0, one_node.baseline)
    if not planned:
        _infer_axes(out)
    # File names and report headings: the kernel and its swept values, and the run (with its
    # environment) only where two runs share them (OMP_WAIT_POLICY active and passive, say).
    seen: dict = {}
    for g in out:
        words = [g.learner] if g.learner else []
        words += [g.kernel] + [f"{a}{param_text(g.params.get(a))}" for a in g.axes]
        words += [f"nodes{g.nodes}"] if g.nodes else []
        base = slug("-".join(words))
        seen.setdefault(base, []).append(g)
    for base, same in seen.items():
        for g in same:
            g.slug, g.heading = base, g.label
            if len(same) > 1:
                env = " ".join(f"{k}={v}" for k, v in sorted(g.env.items()))
                g.slug, g.heading = (
                    f"{base}-run{g.run}",
                    f"{g.label} (run {g.run}{', ' + env if env else ''})",
                )
    for g in out:
        g.points.sort(key=lambda p: setting_order((p.processes, p.threads)))
    return out


# The harness's limits for the JSON it reads (harness/util/json_input.hpp), so that a file
# refused there is refused here with the same words: lists and objects nest at most 64 deep,
# a sweep.json is at most 256 MiB unless PARSWEEP_MAX_JSON_BYTES says otherwise.
MAX_JSON_DEPTH = 64
MAX_RUN_RECORD_BYTES = 256 << 20
_SIZE = re.compile(r"([0-9]+)([kKmMgG]?)")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NUL_ESCAPE = re.compile(r'(?<!\\)(?:\\\\)*\\u0000')


def max_json_bytes() -> int:
    """PARSWEEP_MAX_JSON_BYTES ("268435456", "256M", "1G") when set, else the default."""
    given = os.environ.get("PARSWEEP_MAX_JSON_BYTES", "")
    if not given:
        return MAX_RUN_RECORD_BYTES
    m = _SIZE.fullmatch(given)
    if not m:
        raise RunError(
            f"PARSWEEP_MAX_JSON_BYTES={given}: must be a size in bytes (e.g. 268435456, 256M or 1G)"
        )
    return int(m.group(1)) << {"": 0, "k": 10, "m": 20, "g": 30}[m.group(2).lower()]


def _pointer(path: list) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _path_to(doc: Any, wanted) -> list:
    """The path from `doc` to the value for which `wanted(value)` holds (first found)."""
    todo = [(doc, [])]
    while todo:
        value, path = todo.pop()
        if wanted(value):
            return path
        if isinstance(value, dict):
            todo.extend((v, path + [k]) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            todo.extend((v, path + [i]) for i, v in reversed(list(enumerate(value))))
    return []


def _too_deep(text: str) -> bool:
    """Whether lists and objects nest more than MAX_JSON_DEPTH deep in `text`, without
    recursion (json.loads would raise RecursionError only past a thousand levels or so): the
    brackets outside strings, with the innermost pairs taken away MAX_JSON_DEPTH times."""
    brackets = all_brackets = re.sub(r"[^\[\]{}]+", "", _STRING.sub("", text))
    for _ in range(MAX_JSON_DEPTH):
        if not brackets:
            return False
        brackets = re.sub(r"\[\]|\{\}", "", brackets)
    depth = deepest = 0  # unbalanced (invalid JSON) or too deep: which one
    for c in all_brackets:
        depth += 1 if c in "[{" else -1
        deepest = max(deepest, depth)
    return deepest > MAX_JSON_DEPTH


def read_json_file(path: str) -> Any:
    """`path` parsed as the harness parses a sweep.json (json_input.hpp): refused with a
    RunError naming it when it is not a regular file, larger than max_json_bytes(), not JSON,
    nested more than MAX_JSON_DEPTH deep, has a key twice in one object or a NUL character in a
    string. Every JSON file plots/ reads is read here."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise RunError(f"{path}: cannot read: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a directory" if stat.S_ISDIR(st.st_mode)
            else "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode)
            else "a character device" if stat.S_ISCHR(st.st_mode)
            else "a block device" if stat.S_ISBLK(st.st_mode)
            else "a socket" if stat.S_ISSOCK(st.st_mode)
            else "not a regular file"
        )
        raise RunError(f"{path}: is {kind}, not a regular file")
    limit = max_json_bytes()
    if st.st_size > limit:
        raise RunError(
            f"{path}: is {st.st_size} bytes, more than the {limit} it may be "
            f"(PARSWEEP_MAX_JSON_BYTES={st.st_size} raises the limit)"
        )
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(limit + 1)
    except (OSError, UnicodeDecodeError) as e:
        raise RunError(f"{path}: cannot read: {e}") from None
    if _too_deep(text):
        raise RunError(f"{path}: lists and objects nest more than {MAX_JSON_DEPTH} deep")
    duplicates = []

    def pairs(items: list) -> dict:
        obj = dict(items)
        if len(obj) != len(items):
            seen = set()
            key = next(k for k, _ in items if k in seen or seen.add(k))
            duplicates.append((obj, key))
        return obj

    try:
        doc = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        raise RunError(f"{path}: not valid JSON: {e}") from None
    except RecursionError:
        raise RunError(f"{path}: lists and objects nest more than {MAX_JSON_DEPTH} deep") from None
    if duplicates:
        obj, key = duplicates[0]
        where = _pointer(_path_to(doc, lambda v: v is obj)) or "at the top level"
        raise RunError(f"{path}: {where}: duplicate key {json.dumps(key)}")
    if _NUL_ESCAPE.search(text):
        where = _path_to(
            doc,
            lambda v: (isinstance(v, str) and "\0" in v)
            or (isinstance(v, dict) and any("\0" in k for k in v)),
        )
        raise RunError(f"{path}: {_pointer(where) or 'at the top level'}: NUL character (\\u0000)")
    return doc


def load_run(run_dir: str) -> Run:
    """Reads RUN_DIR/sweep.json; raises RunError naming the file when it cannot."""
    path = os.path.join(run_dir, "sweep.json")
    if not os.path.isdir(run_dir):
        raise RunError(f"{run_dir}: no such run directory")
    try:
        doc = read_json_file(path)
    except FileNotFoundError:
        raise RunError(f"{path}: missing (is {run_dir} a parsweep run directory?)") from None
    if not isinstance(doc, dict):
        raise RunError(f"{path}: not a JSON object")
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise RunError(f"{path}: no schema_version (not a parsweep sweep.json?)")
    if version > SUPPORTED_SCHEMA_VERSION:
        raise RunError(
            f"{path}: schema_version {version} is newer than these plots read "
            f"({SUPPORTED_SCHEMA_VERSION}); update plots/"
        )
    if not isinstance(doc.get("points"), list):
        raise RunError(f"{path}: no points list")
    config = _dict(doc.get("config"))
    planned = _axes_by_index(config)
    points = [_point(raw, i, planned, path) for i, raw in enumerate(doc["points"])]
    total = doc.get("points_total")
    return Run(
        dir=run_dir,
        name=str(doc.get("name") or os.path.basename(os.path.realpath(run_dir))),
        description=str(doc.get("description") or ""),
        status=str(doc.get("status") or "unknown"),
        points_total=total if isinstance(total, int) else (len(planned) or None),
        points_failed=sum(not p.ok for p in points),
        interrupted_by=doc.get("interrupted_by")
        if isinstance(doc.get("interrupted_by"), int)
        else None,
        elapsed_s=_number(doc.get("elapsed_s")),
        context=_dict(doc.get("context")),
        config=config,
        points=points,
        groups=_make_groups(points, planned),
        merge=_dict(doc.get("merge")),
    )
