"""The claims report: every claim's theory against its simulation, as Markdown, HTML and JSON.

Where you are: the second consumer of :meth:`claims.Claim.run` (pytest is the first). This module
runs the claims (through the simulation cache), asks each claim's ``plot`` hook for its figures,
and renders three files from one view of the results:

* ``claims.md``   — GitHub-readable (math as ``$...$`` and fenced ``math`` blocks);
* ``claims.html`` — self-contained: figures and formulas embedded as ``data:`` PNGs (formulas
  rendered by matplotlib's mathtext, the raw LaTeX beside them), no network reference;
* ``claims.json`` — the schema-1 contract (:mod:`claims._json`, ``claims/schema/``);
* ``figures/*.png``.

Everything is built in a hidden staging folder inside the output folder and moved into place
file by file with ``os.replace``, so an interrupted run leaves the previous report whole.

    polyclaims report --scale standard --out reports        # what `make report` runs
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ._cache import SimulationCache
from ._context import Context
from ._core import Claim, ControlOutcome, Fit, Result
from ._json import atomic_write_text, claims_document, write_claims_json
from ._params import Overrides
from .paper_claims import Answer, answers
from .registry import BrokenClaim

__all__ = ["REPORT_FILES", "Report", "answers_markdown", "build_report", "render", "run_claims"]

REPORT_FILES = ("claims.md", "claims.html", "claims.json")
TEMPLATES = Path(__file__).resolve().parent / "templates"
# the 20-seed sweep log, benchmarks/false_failure.jsonl (benchmarks/false_failure.py replaces a
# swept claim's rows in it): absent from an installed copy, in which case the report states only
# each claim's own text
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


NEAR_MISS_PREFIX = "near-"  # the ids the harness gave its near-miss controls until issue 25


def _seeds(seeds: Sequence[int]) -> str:
    s = sorted(set(seeds))
    if s == list(range(s[0], s[-1] + 1)):
        return f"seeds {s[0]}–{s[-1]}" if len(s) > 1 else f"seed {s[0]}"
    return "seeds " + ", ".join(map(str, s))


@dataclass(frozen=True)
class SweepSummary:
    """One claim's rows of a false-failure sweep log (benchmarks/false_failure.py), counted."""

    seeds: tuple[int, ...]
    statuses: Counter[str]  # status -> runs
    met: int  # runs that met the claim's expectation
    off: Counter[str]  # fit key -> runs where it was off its expectation
    controls: dict[str, list[bool]]  # control id -> rejected, run by run
    commits: tuple[str, ...]  # the commits the fits ran on

    @property
    def runs(self) -> int:
        return len(self.seeds)


def load_sweep(log: Path) -> list[dict[str, Any]]:
    """The rows of a sweep log (JSON lines; a missing file has none)."""
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def summarise_sweep(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], SweepSummary]:
    """(claim id, scale) -> its rows counted, in the order the claims first appear."""
    from collections import defaultdict

    by: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        by[(r["id"], r["scale"])].append(r)
    out = {}
    for key, rs in by.items():
        controls: dict[str, list[bool]] = defaultdict(list)
        for r in rs:
            for c, rejected in r["controls"].items():
                # rows logged before issue 25 list the near misses (bands 2.1 tolerances off) with
                # the controls; a passing fit rejects those by the band rule alone: not counted
                if c.split("/", 1)[-1].startswith(NEAR_MISS_PREFIX):
                    continue
                controls[c].append(rejected)
        out[key] = SweepSummary(
            seeds=tuple(r["seed"] for r in rs),
            statuses=Counter(r.get("status", "unknown") for r in rs),
            met=sum(r["meets_expectation"] for r in rs),
            off=Counter(k for r in rs for k in r["off"]),
            controls=dict(controls),
            commits=tuple(sorted({r.get("commit", "unknown") for r in rs})),
        )
    return out


def measured_rates(logs: Sequence[Path] | None = None) -> dict[tuple[str, str], str]:
    """(claim id, scale) -> one sentence stating the measured false-failure rate and the controls'
    rejection rates, read from the sweep logs (default: ``benchmarks/false_failure*.jsonl``; none:
    empty)."""
    if logs is None:
        logs = sorted(BENCHMARKS.glob("false_failure*.jsonl"))
    rows, source = [], {}
    for log in logs:
        for row in load_sweep(log):
            rows.append(row)
            source[(row["id"], row["scale"])] = log
    out = {}
    for key, sw in summarise_sweep(rows).items():
        log = source[key]
        missed = [
            f"{c.split('/', 1)[-1]} {sum(v)}/{len(v)}" for c, v in sw.controls.items() if not all(v)
        ]
        text = (
            f"Measured ({log.parent.name}/{log.name}, {_seeds(sw.seeds)}, "
            f"commit {', '.join(sw.commits)}): as expected at {sw.met}/{sw.runs} seeds"
        )
        if sw.off:
            text += " (off: " + ", ".join(f"{k} ×{v}" for k, v in sw.off.items()) + ")"
        text += f"; {len(sw.controls)} controls, " + (
            "each rejected at every seed"
            if not missed
            else "rejected at every seed except " + ", ".join(missed)
        )
        out[key] = text + "."
    return out


@dataclass(frozen=True, repr=False)
class Report:
    """What :func:`build_report` produced."""

    results: tuple[Result, ...]
    outdir: Path
    files: tuple[Path, ...]  # claims.md, claims.html, claims.json, then the figures
    figure_errors: dict[str, str]  # claim id -> the plot hook's exception
    seconds: float
    cache: SimulationCache | None
    broken: tuple[BrokenClaim, ...] = ()  # catalogue modules that could not be loaded (not run)

    def __repr__(self) -> str:
        return f"Report({self.outdir}: {len(self.results)} claims, ok={self.ok})"

    @property
    def ok(self) -> bool:
        """Every claim met its expectation (every control rejected), every figure was drawn and
        no catalogue module was broken."""
        return (
            all(r.meets_expectation for r in self.results)
            and not self.figure_errors
            and not self.broken
        )


# -- running -----------------------------------------------------------------------------------


def run_claims(
    claims: Sequence[Claim],
    *,
    scale: str,
    seed: int,
    ctx: Context,
    cache: SimulationCache | None,
    overrides: Overrides | None = None,
    details: str = "off",
) -> list[Result]:
    """Run each claim once (through the cache when there is one), printing one line per claim —
    status, expectation, fits, controls, seconds, cache — followed by the fits and controls that
    missed their expectation (``details="all"``: every fit and control). With ``ctx.progress`` a
    bar over the claims sits above the claims' own bars (one per training grid)."""
    bar = None
    if ctx.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(claims), desc="claims", unit="claim", dynamic_ncols=True)
    overrides = overrides or Overrides()
    width = max((len(c.id) for c in claims), default=0)
    results: list[Result] = []
    try:
        for claim in claims:
            if bar is not None:
                bar.set_postfix_str(claim.id)
            r = claim.run(
                scale, seed, ctx=ctx, cache=cache, overrides=overrides.for_claim(claim.id)
            )
            event = cache.event(claim.id) if cache is not None else None
            text = "\n".join(
                [
                    claim_line(r, width, event.outcome if event is not None else None),
                    *_details(r, details),
                ]
            )
            if bar is None:
                print(text, flush=True)
            else:
                bar.write(text)
                bar.update(1)
            results.append(r)
    finally:
        if bar is not None:
            bar.close()
    return results


def claim_line(r: Result, width: int = 0, cache: str | None = None) -> str:
    """One compact line: ``collision-count  pass (expected pass)  as expected  fits 3/3 ·
    controls 3/3 rejected  38.2 s  [cache hit]``."""
    mark = "as expected" if r.meets_expectation else "NOT as expected"
    met = sum(r.as_expected(f) for f in r.fits)
    rejected = sum(c.rejected for c in r.controls)
    line = (
        f"{r.claim_id:<{width}}  {r.status} (expected {r.expected})  {mark}  "
        f"fits {met}/{len(r.fits)} as expected"
        f" · controls {rejected}/{len(r.controls)} rejected  {r.seconds:.1f} s"
    )
    return line + (f"  [cache {cache}]" if cache else "")


def _details(r: Result, details: str) -> list[str]:
    if r.error:
        return [f"    error: {r.error}"]
    every = details == "all"
    lines = [f"    {r.explain_fit(f)}" for f in r.fits if every or not r.as_expected(f)]
    lines += [
        f"    {c.explain()}".replace("\n", "\n    ") for c in r.controls if every or not c.rejected
    ]
    return lines


def _draw_figures(claim: Claim, result: Result, figdir: Path) -> tuple[Result, str | None]:
    """Call the claim's plot hook (and draw the paper overlay when the result has the paper's
    numbers); the result gets the figures' paths relative to the report."""
    if claim.plot is None or result.status == "error" or result.measurements is None:
        return result, None
    try:
        paths = claim.draw(result, figdir)  # checked: a list of paths
        if result.paper_figures:
            from .plotting import paper_overlay_figure

            paths.append(paper_overlay_figure(result, figdir))
    except Exception as exc:
        return result, f"{type(exc).__name__}: {exc}"
    finally:
        import matplotlib.pyplot as plt

        plt.close("all")
    bad = [
        p.name
        for p in paths
        if p.parent.resolve() != figdir.resolve()
        or not p.name.startswith(claim.id)
        or p.suffix != ".png"
        or not p.is_file()
    ]
    if bad:
        return (
            result,
            f"plot hook returned {bad}: "
            f"figures must be PNG files named {claim.id}*.png in {figdir}",
        )
    return dataclasses.replace(result, figures=tuple(f"figures/{p.name}" for p in paths)), None


def build_report(
    claims: Sequence[Claim],
    outdir: Path,
    *,
    scale: str = "standard",
    seed: int = 0,
    ctx: Context | None = None,
    cache: SimulationCache | None = None,
    complete: bool = False,
    overrides: Overrides | None = None,
    broken: Sequence[BrokenClaim] = (),
    answered_also: Sequence[Any] = (),
) -> Report:
    """Run ``claims``, draw their figures and write the report into ``outdir``; ``broken`` (the
    registry's broken modules, when the whole registry was asked for) are named in every output
    and make the report not ok.

    ``complete`` says the claims are the whole registry: figures in ``outdir/figures`` that no
    claim drew this time are then removed (a partial report leaves the others' figures alone).
    ``overrides`` are the ``--set`` assignments (:class:`claims.Overrides`); the report states
    where each landed. ``answered_also`` adds rows of other scales to the answered table
    (:func:`render`).
    """
    ctx = ctx or Context()
    start = time.perf_counter()
    results = run_claims(claims, scale=scale, seed=seed, ctx=ctx, cache=cache, overrides=overrides)
    stated = overrides.resolved() if overrides is not None else {}
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=outdir, prefix=".staging-"))
    try:
        figdir = stage / "figures"
        figdir.mkdir()
        drawn: list[Result] = []
        figure_errors: dict[str, str] = {}
        for claim, r in zip(claims, results, strict=True):
            r, err = _draw_figures(claim, r, figdir)
            if r.paper_figures_error is not None:  # as loud as a figure error: the report is not ok
                err = "; ".join(
                    e
                    for e in (
                        err,
                        f"comparison with the paper's numbers failed: {r.paper_figures_error}",
                    )
                    if e
                )
            drawn.append(r)
            if err is not None:
                figure_errors[claim.id] = err
                print(f"{claim.id}: figure error: {err}", file=sys.stderr, flush=True)
        seconds = time.perf_counter() - start
        render(
            drawn,
            stage,
            scale=scale,
            seed=seed,
            device=ctx.device,
            seconds=seconds,
            cache=cache,
            figure_errors=figure_errors,
            overrides=stated,
            broken=broken,
            answered_also=answered_also,
        )
        files = _publish(stage, outdir, complete=complete)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return Report(tuple(drawn), outdir, tuple(files), figure_errors, seconds, cache, tuple(broken))


def _publish(stage: Path, outdir: Path, *, complete: bool) -> list[Path]:
    """Move the staged figures, then the JSON, Markdown and HTML into place (each atomically)."""
    figures = outdir / "figures"
    figures.mkdir(exist_ok=True)
    moved = []
    for f in sorted((stage / "figures").iterdir()):
        os.replace(f, figures / f.name)
        moved.append(figures / f.name)
    if complete:
        keep = {p.name for p in moved}
        for old in figures.glob("*.png"):
            if old.name not in keep:
                old.unlink()
    for name in ("claims.json", "claims.md", "claims.html"):
        os.replace(stage / name, outdir / name)
    return [outdir / n for n in REPORT_FILES] + moved


# -- rendering ---------------------------------------------------------------------------------


def render(
    results: Sequence[Result],
    outdir: Path,
    *,
    scale: str,
    seed: int,
    device: str,
    seconds: float,
    cache: SimulationCache | None = None,
    figure_errors: dict[str, str] | None = None,
    overrides: Mapping[str, str] | None = None,
    broken: Sequence[BrokenClaim] = (),
    answered_also: Sequence[Any] = (),
) -> list[Path]:
    """Write claims.json, claims.md and claims.html for ``results`` (whose figures, if any, are
    already in ``outdir/figures``). ``answered_also``: results of other scales (Results, or
    :func:`claims.paper_claims.runs_from_json` of a paper-scale claims.json) whose rows the
    answered table adds, after this scale's; nothing else of the report reads them."""
    outdir = Path(outdir)
    figure_errors = figure_errors or {}
    events = {r.claim_id: cache.event(r.claim_id) for r in results} if cache is not None else {}
    extras = {cid: {"cache": e.to_dict()} for cid, e in events.items() if e is not None}
    doc = claims_document(
        results,
        scale=scale,
        seed=seed,
        device=device,
        seconds=seconds,
        extras=extras,
        overrides=overrides,
        broken=broken,
    )
    codes = {cid: e.code for cid, e in events.items() if e is not None and e.code is not None}
    if codes:  # one digest of the claims' code versions (each is in its claim's cache entry)
        doc["code_version"] = hashlib.sha256(json.dumps(codes, sort_keys=True).encode()).hexdigest()
    write_claims_json(outdir / "claims.json", doc)
    view = _view(
        results, doc, events=events, figure_errors=figure_errors, answered_also=answered_also
    )
    md = _environment(html=False).get_template("claims.md.j2").render(**view)
    atomic_write_text(outdir / "claims.md", md)
    for c in view["claims"]:
        c["prediction"]["png"] = latex_png(c["prediction"]["latex"])
        for e in c["extra"]:
            e["png"] = latex_png(e["latex"])
        for f in c["figures"]:
            f["data_uri"] = _data_uri((outdir / f["path"]).read_bytes())
    html = _environment(html=True).get_template("claims.html.j2").render(**view)
    atomic_write_text(outdir / "claims.html", html)
    return [outdir / n for n in REPORT_FILES]


def _environment(*, html: bool) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = fmt
    env.filters["cell"] = md_cell
    return env


def fmt(x: float | None, digits: int = 4) -> str:
    """A number for humans: 4 significant digits, −∞/∞ for unbounded ends, — for none."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.{digits}g}".replace("-", "−")


def md_cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: no pipe, no newline, no stray dollar sign."""
    return (
        str(text).replace("\\", "\\\\").replace("|", "\\|").replace("$", "\\$").replace("\n", " ")
    )


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@cache
def latex_png(latex: str | None) -> str | None:
    """The formula rendered by matplotlib's mathtext as a PNG data URI; None where mathtext does
    not support the LaTeX (the report then shows the LaTeX source alone)."""
    if not latex:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    buf = io.BytesIO()
    try:
        mathtext.math_to_image(
            f"${latex}$", buf, prop=FontProperties(size=15), dpi=110, format="png"
        )
    except Exception:
        return None
    return _data_uri(buf.getvalue())


def outcome(r: Result) -> tuple[str, str]:
    """The verdict in words and its class: ok (pass as expected), deviation (a recorded, expected
    deviation), bad (not as expected: a wrong verdict, an error or a control not rejected)."""
    if r.status == "error":
        return "error", "bad"
    if not r.meets_expectation:
        missed = sum(not c.rejected for c in r.controls)
        moved = r.moved()
        parts = []
        if moved:
            parts.append("off expectation: " + "; ".join(moved))
        if missed:
            parts.append(f"{missed} control{'s' if missed > 1 else ''} not rejected")
        return f"{r.status}, NOT as expected ({'; '.join(parts)})", "bad"
    if r.status == "pass":
        return "pass", "ok"
    return f"{r.status} (expected deviation)", "deviation"


_ICON = {"ok": "✅", "deviation": "⚠️", "bad": "❌"}  # GitHub emoji (Markdown)
_MARK = {"ok": "✔", "deviation": "⚠", "bad": "✘"}  # text symbols every font has (HTML)


def _fit_view(f: Fit, r: Result | None = None) -> dict[str, Any]:
    """A fit for the templates; ``r`` supplies its expected verdict (a control's fits have none)."""
    dev = r.deviations.get(f.key) if r is not None else None
    expected = " or ".join(dev.verdicts) if dev is not None else "pass"
    rel = {"==": "=", ">": ">", "<": "<"}[f.relation]
    band = (
        f"[{fmt(f.band[0])}, {fmt(f.band[1])}]"
        if f.relation == "=="
        else f"{rel} {fmt(f.predicted)}"
    )
    d, dlo, dhi = f.offset
    return {
        "key": f.key,
        "quantity": f.quantity,
        "relation": rel,
        "predicted": fmt(f.predicted),
        "fitted": fmt(f.fitted),
        "ci": f"[{fmt(f.ci[0])}, {fmt(f.ci[1])}]",
        "confidence": f"{100 * f.confidence:.3g} %",
        "tolerance": fmt(f.tolerance) if f.tolerance is not None else "—",
        "band": band,
        "verdict": f.verdict,
        "expected": expected,
        "as_expected": r.as_expected(f) if r is not None else f.verdict == "pass",
        "reason": dev.reason if dev is not None else None,
        "range": f"[{fmt(dev.range[0])}, {fmt(dev.range[1])}]" if dev is not None else None,
        "moved": dev.moved(f) if dev is not None else None,
        "offset": f"{fmt(d)} [{fmt(dlo)}, {fmt(dhi)}]" if f.resolved_offset else None,
        "why": f.why,
        "summary": f"{fmt(f.fitted)} [{fmt(f.ci[0])}, {fmt(f.ci[1])}] vs "
        f"{'' if rel == '=' else rel + ' '}{fmt(f.predicted)}",
        # power: the departure failed with probability >= 95 % (± for "==", past p otherwise)
        "detects": ("±" if f.relation == "==" else "") + fmt(f.detects)
        if math.isfinite(f.detects)
        else "nothing (unbounded interval)",
        "effect": fmt(effect) if (effect := r.effect_of(f) if r is not None else None) else "—",
        "weak": r.weak(f) if r is not None else False,
    }


def _control_view(c: ControlOutcome) -> dict[str, Any]:
    return {
        "id": c.id,
        "statement": c.statement,
        "status": c.status,
        "rejected": c.rejected,
        "error": c.error,
        "fits": [_fit_view(f) for f in c.fits],
    }


def _flat(tree: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """A nested params dict as (dotted path, value) rows."""
    rows: list[tuple[str, Any]] = []
    for k, v in tree.items():
        if isinstance(v, Mapping):
            rows += _flat(v, f"{prefix}{k}.")
        else:
            rows.append((f"{prefix}{k}", v))
    return rows


def _param_value(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(_param_value(x) for x in v)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _view(
    results: Sequence[Result],
    doc: dict[str, Any],
    *,
    events: dict[str, Any],
    figure_errors: dict[str, str],
    answered_also: Sequence[Any] = (),
) -> dict[str, Any]:
    claims = []
    rates = measured_rates()
    for r, entry in zip(results, doc["claims"], strict=True):
        label, klass = outcome(r)
        pred = entry["prediction"]
        event = events.get(r.claim_id)
        claims.append(
            {
                "id": r.claim_id,
                "title": r.title,
                "statement": r.statement,
                "source": r.source,
                "status": r.status,
                "expected": r.expected,
                "label": label,
                "klass": klass,
                "icon": _ICON[klass],
                "mark": _MARK[klass],
                "error": r.error,
                "prediction": {"latex": pred.get("latex"), "sympy": pred.get("sympy"), "png": None},
                "extra": [
                    {"name": k, "latex": v["latex"], "sympy": v["sympy"], "png": None}
                    for k, v in pred.get("extra", {}).items()
                ],
                "numeric": [(k, fmt(v)) for k, v in pred.get("values", {}).items()],
                "fits": [_fit_view(f, r) for f in r.fits],
                "key_fit": _fit_view(r.fits[0], r) if r.fits else None,
                "controls": [_control_view(c) for c in r.controls],
                "rejected": sum(c.rejected for c in r.controls),
                "deviations": [_fit_view(f, r) for f in r.fits if f.key in r.deviations],
                "offsets": [_fit_view(f, r) for f in r.fits if f.resolved_offset],
                "least_powerful": None if (w := r.least_powerful()) is None else _fit_view(w, r),
                "weak": [_fit_view(f, r) for f in r.fits if r.weak(f)],
                "params": [(k, _param_value(v)) for k, v in _flat(r.params)],
                "seconds": f"{r.seconds:.1f}",
                "cache": None
                if event is None
                else {
                    "outcome": event.outcome,
                    "simulate_seconds": f"{event.simulate_seconds:.1f}",
                    "detail": event.detail,
                },
                "false_failure": r.false_failure,
                "false_failure_measured": rates.get((r.claim_id, doc["scale"])),
                "figures": [{"path": p, "name": Path(p).name, "data_uri": None} for p in r.figures],
                "figure_error": figure_errors.get(r.claim_id),
                "paper": [_agreement_view(a, r.claim_id) for a in r.paper_figures],
                "paper_agree": sum(a.agrees for a in r.paper_figures),
            }
        )
    as_expected = sum(r.meets_expectation for r in results)
    env = doc["environment"]
    overrides = doc.get("overrides", {})
    command = (
        f"polyclaims report --scale {doc['scale']} --seed {doc['seed']} --device {env['device']}"
    )
    command += "".join(f" --set {k}={v}" for k, v in overrides.items())
    paper = [a for c in claims for a in c["paper"]]
    # two claims may compare the same paper numbers (collision-count and collision-count-adamw run
    # the same trainings at the paper scale): count each paper number once
    distinct: dict[tuple[str, str], bool] = {}
    for a in paper:
        key = (a["table"], a["label"])
        distinct[key] = distinct.get(key, True) and a["agrees"]
    return {
        "scale": doc["scale"],
        "seed": doc["seed"],
        "created": doc["created"],
        "seconds": f"{doc['seconds']:.1f}",
        "environment": env,
        "code_version": doc.get("code_version"),
        "claims": claims,
        "as_expected": as_expected,
        "total": len(results),
        "controls_total": sum(len(r.controls) for r in results),
        "controls_rejected": sum(c.rejected for r in results for c in r.controls),
        "ok": as_expected == len(results) and not figure_errors and not doc.get("broken"),
        "broken": doc.get("broken", []),
        "command": command,
        "overrides": [(k, v) for k, v in overrides.items()],
        "answers": _answers_view(
            answers([*results, *answered_also], scale=doc["scale"]),
            here=[r.claim_id for r in results],
        ),
        "paper_total": len(distinct),
        "paper_agree": sum(distinct.values()),
        "paper_differ": [a for a in paper if not a["agrees"]],
    }


def _answers_view(rows: Sequence[Answer], here: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The answered table's rows for the templates (claims/paper_claims.py makes them); the
    claims in ``here`` have a section in this report to link to."""
    out = []
    for a in rows:
        own = a.claims[0] if a.claims else ""
        grouped: dict[str, list[str]] = {}  # outcome -> main fits, in the order first met
        for ref, outcome in a.main:
            claim, _, key = ref.partition(":")
            grouped.setdefault(outcome, []).append(key if claim == own else ref)
        out.append(
            {
                "label": a.label,
                "text": a.question.text if a.first else "",
                "claims": [{"id": c, "link": c in here} for c in a.claims],
                "regime": a.regime,
                "verdict": a.verdict,
                "main": [f"{', '.join(keys)}: {o}" for o, keys in grouped.items()],
                "key": list(a.key),
                "findings": list(a.findings),
            }
        )
    return out


def answers_markdown(results: Sequence[Any], *, scale: str | None = None) -> str:
    """The answered table alone, in Markdown, as claims.md shows it: for ``results`` (Results or
    :class:`claims.paper_claims.Run`, e.g. read back from a claims.json)."""
    view = _answers_view(answers(results, scale=scale))
    return _environment(html=False).get_template("_answers.md.j2").render(answers=view)


def _agreement_view(a: Any, claim_id: str) -> dict[str, Any]:
    r = a.reference
    return {
        "claim": claim_id,
        "table": r.table,
        "label": r.label,
        "paper": fmt(r.value),
        "paper_replicates": r.replicates,
        "source": r.source,
        "ours": fmt(a.ours),
        "sd": fmt(a.sd, 2),
        "replicates": a.replicates,
        "ratio": fmt(a.ratio, 3),
        "ci": f"[{fmt(a.ci[0], 3)}, {fmt(a.ci[1], 3)}]",
        "confidence": f"{100 * a.confidence:.4g} %",
        "agrees": a.agrees,
    }
