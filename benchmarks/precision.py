"""Do a claim's statistics move under reduced-precision matmuls? A paired comparison over seeds.

    python benchmarks/precision.py --seeds 10 --jobs 2               # seeds 0..9, every claim
    python benchmarks/precision.py --first-seed 500 --seeds 10 collision-count
    python benchmarks/precision.py --table benchmarks/precision.jsonl   # re-tabulate a log

Every claim whose params hold a trainer (a ``matmul_precision`` leaf) runs at the standard scale
at each seed twice: as it stands ("highest", float32) and with every trainer at ``--precision``
(default "bf16-emulated": bfloat16-rounded matmul inputs with float32 accumulation, the arithmetic
of torch's "medium" on AMX hardware, reproducible on any CPU; sim/precision.py). Rows go to
``<out>.partial`` as they finish (an interrupted sweep resumes) and replace ``--out`` whole when
the sweep completes, as in benchmarks/false_failure.py, whose runner this uses. ``--jobs J``
splits the seeds over J processes of one torch thread each (two processes of two threads each on
two cores starve each other's OpenMP threads); each row records its thread count.

The comparison, per fit, over the seeds s: the paired difference d_s = fitted(precision) −
fitted(highest).

* **test**: a two-sided paired t-test of mean d = 0 at family-wise level 0.05, Bonferroni over
  every fit in the table (α = 0.05/K). A fit whose difference is significant has **moved**.
* **equivalence**: the (1 − α) t-interval of mean d lies within ±δ, δ = ¼ of the fit's median
  interval half-width under "highest": a shift that size changes no verdict by more than a
  quarter of the interval's width. Such a fit is **unmoved**; one neither moved nor shown
  unmoved is **unresolved** (more seeds would decide it).
* a fit whose every difference is exactly 0 is unmoved.

A claim may use the reduced precision only if none of its fits moved or is unresolved, and no
seed changed its status or whether it met its expectation; otherwise it keeps "highest", and the
table says so with the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from false_failure import ROOT, _load, run, sweep_arguments  # noqa: F401 (ROOT: sys.path)

from claims._precision import LEVEL, MARGIN, compare

DEFAULT_OUT = Path(__file__).with_name("precision.jsonl")


def matmul_claims() -> list[str]:
    """The claims whose params tree holds a trainer's ``matmul_precision``."""
    from claims import all_claims
    from claims._params import leaves

    return [
        c.id
        for c in all_claims()
        if any(leaf.path.endswith("matmul_precision") for leaf in leaves(c.params["standard"]))
    ]


def _in_half_widths(f: dict) -> str:
    """The mean shift as a multiple of the fit's median interval half-width (— for a width 0)."""
    return f"{f['mean_diff'] / f['half_width']:+.2f}" if f["half_width"] > 0 else "—"


def table(rows: list[dict]) -> str:
    fits, claims = compare(rows)
    k = len(fits)
    lines = [
        f"Paired t-tests at family-wise {LEVEL:g} (Bonferroni over {k} fits: α = {LEVEL / k:.2g});"
        f" equivalence margin δ = {MARGIN:g} × the fit's median interval half-width.",
        "",
        "| claim | precision | seeds | as expected (highest / reduced) | fits unmoved / moved / "
        "unresolved | status changes | seconds (highest / reduced) | precision kept |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in claims.values():
        lines.append(
            f"| `{c['id']}` | {c['precision']} | {c['seeds']} | {c['as_expected'][0]} / "
            f"{c['as_expected'][1]} | {c['unmoved']} / {c['moved']} / {c['unresolved']} | "
            f"{c['status_changes']} | {c['seconds'][0]:.1f} / {c['seconds'][1]:.1f} | "
            f"**{c['decision']}** |"
        )
    lines += [
        "",
        "| claim | fit | mean fitted (highest) | mean difference [interval] | in half-widths | δ "
        "| p | outcome | verdict changes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in fits:
        lo, hi = f["diff_ci"]
        lines.append(
            f"| `{f['id']}` | {f['fit']} | {f['mean_highest']:.4g} | {f['mean_diff']:+.3g} "
            f"[{lo:+.3g}, {hi:+.3g}] | {_in_half_widths(f)} | {f['delta']:.3g} | {f['p']:.2g} | "
            f"{f['outcome']} | "
            f"{f['verdict_changes']}/{f['seeds']} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sweep_arguments(
        ap, ids="claim ids (default: every claim with a trainer)", seeds=10, out=DEFAULT_OUT
    )
    ap.add_argument(
        "--precision",
        default="bf16-emulated",
        choices=("high", "medium", "bf16-emulated"),
        help="the reduced precision compared with 'highest' (default: bf16-emulated)",
    )
    ap.add_argument("--jobs", type=int, default=1, help="processes, one torch thread each")
    ap.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="start no run after this many seconds; the log then holds the pairs finished",
    )
    ap.add_argument(
        "--merge",
        action="store_true",
        help="run nothing: merge the partial logs an interrupted or --no-merge sweep left",
    )
    ap.add_argument(
        "--no-merge",
        action="store_true",
        help="leave the rows in the partial logs (a later sweep of other claims merges them all)",
    )
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)  # "k/J": internal
    args = ap.parse_args()
    if args.table:
        print(table(_load(args.table)))
        return
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    ids = args.ids or matmul_claims()
    deadline = time.time() + args.budget if args.budget is not None else float("inf")
    if args.worker is not None:  # one of --jobs processes: every J-th seed, its own partial log
        k, jobs = (int(x) for x in args.worker.split("/"))
        import torch

        torch.set_num_threads(1)
        run(
            ids,
            seeds[k::jobs],
            _part(args.out, k),
            "standard",
            args.measurements,
            set(),
            precisions=("highest", args.precision),
            deadline=deadline,
        )
        return
    if not args.merge:
        if args.jobs > 1:
            env = os.environ | {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
            common = [*ids, "--seeds", str(args.seeds), "--first-seed", str(args.first_seed)]
            common += ["--precision", args.precision, "--out", str(args.out)]
            common += ["--measurements", str(args.measurements)]
            if args.budget is not None:
                common += ["--budget", str(max(deadline - time.time(), 0.0))]
            procs = [
                subprocess.Popen(
                    [sys.executable, __file__, *common, "--worker", f"{k}/{args.jobs}"], env=env
                )
                for k in range(args.jobs)
            ]
            if any(p.wait() != 0 for p in procs):
                raise SystemExit("a worker failed; rerun to resume from the partial logs")
        else:
            run(
                ids,
                seeds,
                _part(args.out, 0),
                "standard",
                args.measurements,
                set(),
                precisions=("highest", args.precision),
                deadline=deadline,
            )
        if args.no_merge:
            return
    # the workers' partial logs become the log, whole
    parts = sorted(args.out.parent.glob(f"{args.out.name}.*.partial"))
    rows = sorted(
        (r for part in parts for r in _load(part)),
        key=lambda r: (r["seed"], r["id"], r.get("matmul_precision", "")),
    )
    partial = args.out.with_name(args.out.name + ".partial")
    partial.write_text("".join(json.dumps(r) + "\n" for r in rows))
    os.replace(partial, args.out)
    for part in parts:
        part.unlink()
    print(table(_load(args.out)))


def _part(out: Path, k: int) -> Path:
    """Worker k's log (its rows go to this path's .partial until the merge)."""
    return out.with_name(f"{out.name}.{k}")


if __name__ == "__main__":
    sys.exit(main())
