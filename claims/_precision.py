"""Which claims may run their trainers at a reduced matmul precision: the paired comparison of
``benchmarks/precision.py`` (its module doc states the test, the margin and the rule), and the
decision it implies, read from the committed log ``benchmarks/precision.jsonl``.

The log compares "highest" with "bf16-emulated": bfloat16 matmul inputs, the coarsest arithmetic
of the reduced modes ("medium" on AMX CPUs is exactly that; TF32, which "high" and "medium" select
on CUDA, keeps 10 mantissa bits to bfloat16's 8). A claim validated there may run at any of them;
one whose statistics moved keeps "highest" (``polyclaims run --matmul-precision`` skips it and
says why).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

__all__ = ["LEVEL", "LOG", "MARGIN", "compare", "decisions"]

MARGIN = 0.25  # δ in units of the fit's median interval half-width (benchmarks/precision.py)
LEVEL = 0.05  # family-wise level of the paired tests (Bonferroni over every fit compared)
# the committed validation log; absent from an installed copy (then nothing is validated)
LOG = Path(__file__).resolve().parent.parent / "benchmarks" / "precision.jsonl"


def compare(rows: list[dict[str, Any]]) -> tuple[list[dict], dict[str, dict]]:
    """Per fit: the paired statistics (module doc); per claim: the decision."""
    from scipy import stats

    base = {(r["id"], r["seed"]): r for r in rows if "matmul_precision" not in r}
    pairs: dict[tuple[str, str], list[tuple[dict, dict]]] = defaultdict(list)
    for r in rows:
        if "matmul_precision" in r and (r["id"], r["seed"]) in base:
            pairs[(r["id"], r["matmul_precision"])].append((base[(r["id"], r["seed"])], r))
    keys = [(cid, p, k) for (cid, p), prs in pairs.items() for k in prs[0][0]["fits"]]
    alpha = LEVEL / max(len(keys), 1)
    fits = []
    for cid, p, key in keys:
        prs = [(b, r) for b, r in pairs[(cid, p)] if key in b["fits"] and key in r["fits"]]
        d = [r["fits"][key][0] - b["fits"][key][0] for b, r in prs]
        half = statistics.median((b["fits"][key][2] - b["fits"][key][1]) / 2 for b, _ in prs)
        delta = MARGIN * half
        mean = statistics.fmean(d)
        if all(x == 0 for x in d):
            pvalue, lo, hi = 1.0, 0.0, 0.0
        else:
            sd = statistics.stdev(d) if len(d) > 1 else math.inf
            se = sd / math.sqrt(len(d))
            t = stats.t.ppf(1 - alpha / 2, len(d) - 1) if len(d) > 1 else math.inf
            lo, hi = mean - t * se, mean + t * se
            pvalue = float(stats.ttest_1samp(d, 0.0).pvalue) if se > 0 else 0.0
        moved = pvalue < alpha
        unmoved = not moved and -delta <= lo and hi <= delta
        verdicts = sum(b["fits"][key][3] != r["fits"][key][3] for b, r in prs)
        fits.append(
            {
                "id": cid,
                "precision": p,
                "fit": key,
                "seeds": len(prs),
                "mean_highest": statistics.fmean(b["fits"][key][0] for b, _ in prs),
                "mean_diff": mean,
                "diff_ci": (lo, hi),
                "half_width": half,
                "delta": delta,
                "p": pvalue,
                "outcome": "moved" if moved else "unmoved" if unmoved else "unresolved",
                "verdict_changes": verdicts,
            }
        )
    claims: dict[str, dict] = {}
    for (cid, p), prs in pairs.items():
        mine = [f for f in fits if f["id"] == cid and f["precision"] == p]
        status = sum(
            b["status"] != r["status"] or b["meets_expectation"] != r["meets_expectation"]
            for b, r in prs
        )
        ok = all(f["outcome"] == "unmoved" for f in mine) and status == 0
        claims[f"{cid} {p}"] = {
            "id": cid,
            "precision": p,
            "seeds": len(prs),
            "moved": sum(f["outcome"] == "moved" for f in mine),
            "unresolved": sum(f["outcome"] == "unresolved" for f in mine),
            "unmoved": sum(f["outcome"] == "unmoved" for f in mine),
            "status_changes": status,
            "as_expected": (
                sum(b["meets_expectation"] for b, _ in prs),
                sum(r["meets_expectation"] for _, r in prs),
            ),
            "seconds": (
                statistics.fmean(b["seconds"] for b, _ in prs),
                statistics.fmean(r["seconds"] for _, r in prs),
            ),
            "decision": p if ok else "highest",
        }
    return fits, claims


def decisions(log: Path | None = None) -> dict[str, dict[str, Any]] | None:
    """Claim id -> its comparison under the log's reduced precision (``decision`` is that
    precision when validated, "highest" otherwise), from ``log`` (default :data:`LOG`); None
    when there is no log."""
    from .report import load_sweep

    rows = load_sweep(LOG if log is None else log)
    if not rows:
        return None
    return {c["id"]: c for c in compare(rows)[1].values()}
