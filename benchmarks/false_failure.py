"""Measured false-failure rates: every claim at the standard scale over many seeds.

    python benchmarks/false_failure.py --seeds 20                      # every claim, seeds 0..19
    python benchmarks/false_failure.py --seeds 20 collision-count      # one claim
    python benchmarks/false_failure.py --first-seed 1000 --seeds 20    # a fresh seed range
    python benchmarks/false_failure.py --table results.jsonl            # re-tabulate saved runs
    python benchmarks/false_failure.py --claims-from my_claims.py --seeds 20 my-claim \
        --out my-claim.jsonl                                            # a claim from outside

Claims from outside the package count as in ``polyclaims``: installed entry points
(``polyclaims.claims``) are among "every claim", and ``--claims-from PATH`` (repeatable: a .py
file or an importable module) adds every claim it binds at module level.

The log ``--out`` (default ``benchmarks/false_failure.jsonl``) holds one sweep per claim and scale:
rows go to ``<out>.partial`` as they finish (an interrupted sweep resumes from it) and, when the
sweep completes, replace the swept claims' rows at that scale in the log (:func:`merge`); every
other claim's rows are kept as they were. So one log serves every claim (a claim swept alone, a
claim from outside, the whole catalogue) and is never edited by hand. Each row records the commit
the fits ran on and the claim's code version (``simulation``: the first 12 hex digits), so rows of
different sweeps say what they measured. ``--merge LOG …`` folds other logs into ``--out`` the same
way, claim by claim, without running anything (``python benchmarks/false_failure.py --merge
old.jsonl``).

Simulations are kept in ``--measurements`` (default ``benchmarks/.measurements/``, not in git)
under the key of the report's cache (``claims/_cache.py``): claim, params, seed, device and the
claim's own code version — the source of its module and of every project module it imports,
transitively, with the numeric libraries' versions. Editing a claim module (its simulation, and
also its fits, tolerances, controls or deviations, which live in the same file) re-simulates that
claim and those importing it (``collision-count-adamw`` imports ``collision-count``); editing the
trainer re-simulates the claims that use it; adding a module or editing another claim, a theory
module it does not import or the report re-simulates nothing. The sources are read once, when the
sweep starts, so an edit during a sweep takes effect in the next. ``--resimulate ID`` recomputes
one claim's simulations regardless of the key. The table counts, per claim, the runs
whose status was pass / fail / inconclusive / error, the runs that met the claim's expectation
(every fit at its expected verdict and in its recorded range) and per control how often it was
rejected.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(__file__).with_name("false_failure.jsonl")
ROOT = Path(__file__).resolve().parent.parent
# The claims judged must be this checkout's, the one whose commit the log records: an editable
# install made by another checkout (a verification clone's `make test`) would otherwise be imported.
sys.path.insert(0, str(ROOT))


DEFAULT_MEASUREMENTS = Path(__file__).with_name(".measurements")


def _commit() -> str:
    """The short HEAD commit, ``+uncommitted`` when tracked files differ from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+uncommitted" if dirty else "")


def run(
    ids: list[str],
    seeds: range,
    out: Path,
    scale: str,
    measurements: Path,
    resimulate: set[str],
    precisions: tuple[str, ...] = ("highest",),
    deadline: float = float("inf"),
    claims_from: tuple[str, ...] = (),
) -> None:
    """Append one row per (seed, claim, precision) to ``out``.partial, skipping rows it holds;
    start no run after ``deadline`` (``time.time()``). ``claims_from``: the ``--claims-from``
    sources, whose claims join the registry's."""
    import claims
    from claims.registry import load

    if ROOT not in Path(claims.__file__).resolve().parents:
        raise SystemExit(f"claims imported from {claims.__file__}, not from this checkout {ROOT}")
    from claims._cache import SimulationCache, Sources

    found = load(claims_from)
    claims = [found.get(i) for i in ids] if ids else list(found.claims)
    partial = out.with_name(out.name + ".partial")
    done = {(r["id"], r["seed"], r.get("matmul_precision", "highest")) for r in _load(partial)}
    sources = Sources()  # one snapshot for the sweep: the code in memory is the code keyed
    commit = _commit()
    for seed in seeds:
        for claim in claims:
            for precision in precisions:
                if (claim.id, seed, precision) in done or time.time() > deadline:
                    continue
                cache = SimulationCache(
                    measurements, read=claim.id not in resimulate, sources=sources
                )
                row = _row(claim, seed, scale, cache, precision)
                row |= {"commit": commit, "simulation": cache.code(claim)[:12]}
                with partial.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(
                    f"{claim.id} seed {seed} ({precision}): {row['status']} "
                    f"(expected {row['expected']}), "
                    + (
                        "as expected"
                        if row["meets_expectation"]
                        else "NOT as expected " + str(row["off"])
                    )
                    + f", {row['seconds']:.0f} s",
                    flush=True,
                )


def merge(out: Path, rows: list[dict]) -> tuple[int, int]:
    """Write ``out`` as its rows with those of every (claim, scale) in ``rows`` replaced by
    ``rows``' (sorted by claim, scale, precision, seed); a (claim, scale, precision, seed) twice in
    ``rows`` is a ValueError. Returns (rows kept, rows replaced)."""

    def key(r: dict) -> tuple[str, str, str, int]:
        return (r["id"], r["scale"], r.get("matmul_precision", "highest"), r["seed"])

    seen: set[tuple[str, str, str, int]] = set()
    for r in rows:
        if key(r) in seen:
            raise ValueError(f"{out}: the rows to merge hold {key(r)} twice")
        seen.add(key(r))
    swept = {(r["id"], r["scale"]) for r in rows}
    old = _load(out) if out.exists() else []
    kept = [r for r in old if (r["id"], r["scale"]) not in swept]
    merged = sorted(kept + rows, key=key)
    tmp = out.with_name(out.name + ".merging")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in merged))
    os.replace(tmp, out)
    return len(kept), len(old) - len(kept)


def _row(claim: Any, seed: int, scale: str, cache: Any, precision: str) -> dict[str, Any]:
    """One run of ``claim`` at ``seed``, every trainer at ``precision``, as a log row."""
    import torch

    from claims import Context
    from claims._params import Overrides

    t = time.perf_counter()
    overrides = (
        None
        if precision == "highest"  # the claim as it stands (every trainer's default)
        else Overrides.parse([], [claim], scale, everywhere={"matmul_precision": precision})
    )
    r = claim.run(
        scale,
        seed,
        ctx=Context(),
        cache=cache,
        overrides=overrides.for_claim(claim.id) if overrides else None,
    )
    event = cache.event(claim.id)
    return {
        "id": claim.id,
        "seed": seed,
        "scale": scale,
        "status": r.status,
        "expected": r.expected,
        "meets_expectation": r.meets_expectation,
        "seconds": time.perf_counter() - t,
        "off": [f.key for f in r.fits if not r.as_expected(f)],
        "error": r.error,
        "controls": {c.id: c.rejected for c in r.controls},
        # every fit's value, interval and verdict: the measured ranges deviations record
        "fits": {f.key: [f.fitted, f.ci[0], f.ci[1], f.verdict] for f in r.fits},
        "cached": bool(event is not None and event.hit),
        "threads": torch.get_num_threads(),
    } | ({} if precision == "highest" else {"matmul_precision": precision})


def _load(path: Path) -> list[dict]:
    from claims.report import load_sweep

    return load_sweep(path)


def table(rows: list[dict]) -> str:
    from claims.report import summarise_sweep

    lines = [
        "| claim | seeds | pass | fail | inconclusive | error | as expected "
        "| off expectation (fits) | controls rejected |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    controls: dict[str, list[bool]] = defaultdict(list)
    for (cid, _scale), sw in summarise_sweep(rows).items():
        st = sw.statuses
        judged = [x for v in sw.controls.values() for x in v]
        lines.append(
            f"| `{cid}` | {sw.runs} | {st['pass']} | {st['fail']} | {st['inconclusive']} "
            f"| {st['error']} "
            f"| {sw.met}/{sw.runs} | {', '.join(f'{k} ×{v}' for k, v in sw.off.items()) or '—'} "
            f"| {sum(judged)}/{len(judged)} |"
        )
        for k, rejected in sw.controls.items():
            controls[k] += rejected
    lines += ["", "| control | rejected |", "|---|---|"]
    lines += [f"| `{k}` | {sum(v)}/{len(v)} |" for k, v in controls.items()]
    whole = whole_report(rows)
    if whole:
        met = [s for s, ok in whole.items() if ok]
        lines += [
            "",
            f"The whole report (every claim of the log at its seed) as expected at "
            f"{len(met)}/{len(whole)} seeds run for every claim"
            + (f"; not at {sorted(set(whole) - set(met))}" if len(met) < len(whole) else "")
            + ".",
        ]
    return "\n".join(lines)


def whole_report(rows: list[dict]) -> dict[int, bool]:
    """seed -> whether every claim of the log met its expectation there (controls counted as the
    report counts them), for the seeds where every claim of the log (standard scale, highest
    precision) has a row."""
    from claims.report import NEAR_MISS_PREFIX

    mine = [
        r
        for r in rows
        if r["scale"] == "standard" and r.get("matmul_precision", "highest") == "highest"
    ]
    ids = {r["id"] for r in mine}
    by_seed: dict[int, dict[str, dict]] = defaultdict(dict)
    for r in mine:
        by_seed[r["seed"]][r["id"]] = r

    def met(r: dict) -> bool:
        fits_ok = not r["off"] and r["status"] != "error"
        return fits_ok and all(
            ok
            for c, ok in r["controls"].items()
            if not c.split("/", 1)[-1].startswith(NEAR_MISS_PREFIX)
        )

    return {
        s: all(met(r) for r in got.values())
        for s, got in sorted(by_seed.items())
        if set(got) == ids
    }


def sweep_arguments(ap: argparse.ArgumentParser, *, ids: str, seeds: int, out: Path) -> None:
    """The options every sweep script shares: ids, --seeds, --first-seed, --out, --table and
    --measurements (benchmarks/precision.py uses them too)."""
    ap.add_argument("ids", nargs="*", help=ids)
    ap.add_argument("--seeds", type=int, default=seeds, help=f"number of seeds (default {seeds})")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument(
        "--out",
        type=Path,
        default=out,
        help="JSON-lines log, replaced whole when the sweep completes",
    )
    ap.add_argument("--table", type=Path, help="only tabulate this JSON-lines file")
    ap.add_argument(
        "--measurements",
        type=Path,
        default=DEFAULT_MEASUREMENTS,
        help="folder of stored simulations (default: benchmarks/.measurements)",
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sweep_arguments(ap, ids="claim ids (default: all)", seeds=20, out=DEFAULT_OUT)
    ap.add_argument("--scale", default="standard")
    ap.add_argument(
        "--resimulate",
        action="append",
        default=[],
        metavar="ID",
        help="recompute this claim's simulations instead of reusing stored ones",
    )
    ap.add_argument(
        "--claims-from",
        action="append",
        default=[],
        metavar="PATH",
        help="also load the claims a .py file or an importable module binds at module level "
        "(repeatable), as polyclaims --claims-from",
    )
    ap.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="LOG",
        help="fold these logs into --out claim by claim (their claims' rows replace those in "
        "--out) and run nothing",
    )
    args = ap.parse_args()
    if args.table:
        print(table(_load(args.table)))
        return
    if args.merge:
        rows = [r for log in args.merge for r in _load(log)]
        kept, replaced = merge(args.out, rows)
        print(
            f"{args.out}: {len(rows)} rows from {len(args.merge)} logs, {kept} kept, "
            f"{replaced} replaced"
        )
        return
    run(
        args.ids,
        range(args.first_seed, args.first_seed + args.seeds),
        args.out,
        args.scale,
        args.measurements,
        set(args.resimulate),
        claims_from=tuple(args.claims_from),
    )
    partial = args.out.with_name(args.out.name + ".partial")
    # the sweep is complete: its claims' rows replace theirs in the log, the others stay
    kept, replaced = merge(args.out, _load(partial))
    partial.unlink()
    print(f"{args.out}: {kept} rows of other claims kept, {replaced} replaced")
    print(table(_load(args.out)))


if __name__ == "__main__":
    sys.exit(main())
