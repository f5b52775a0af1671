"""Compare two claims.json files fit by fit: are the numbers unchanged?

    python benchmarks/compare_fits.py BEFORE.json AFTER.json          # a table, exit 1 on a change
    python benchmarks/compare_fits.py BEFORE.json AFTER.json --out cmp.md

For every claim in either file, and every fit key in either entry, the fit's predicted value,
fitted value, interval bounds, tolerance, relation and verdict are compared *exactly* (the floats
as JSON stores them, which round-trips a float64 bit for bit). A claim or fit present on one side
only is a change; so is a claim whose status differs. Fields that only describe (quantity, why,
reason texts, confidence labels) are not compared: a refactoring may reword them.

Used for issue 24 ("numbers unchanged"): the standard report at seed 0 before the claim-contract
work (commit e3ceb14) against the report after it (docs/results.md, "The claim contract").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

NUMBERS = ("predicted", "fitted", "ci", "tolerance", "relation", "verdict")  # compared exactly


def _claims(path: Path) -> dict[str, dict[str, Any]]:
    doc = json.loads(path.read_text("utf-8"))
    return {c["id"]: c for c in doc["claims"]}


def compare(before: Path, after: Path) -> tuple[list[str], int, int]:
    """(markdown rows, fits compared, fits changed)."""
    a, b = _claims(before), _claims(after)
    rows = ["| claim | fits | identical | changed |", "|---|---|---|---|"]
    total = changed = 0
    for cid in sorted(set(a) | set(b)):
        if cid not in a or cid not in b:
            rows.append(f"| `{cid}` | — | — | only in {'after' if cid in b else 'before'} |")
            changed += 1
            continue
        fa = {f["key"]: f for f in a[cid]["fits"]}
        fb = {f["key"]: f for f in b[cid]["fits"]}
        diffs = []
        if a[cid]["status"] != b[cid]["status"]:
            diffs.append(f"status {a[cid]['status']} → {b[cid]['status']}")
        for key in sorted(set(fa) | set(fb)):
            if key not in fa or key not in fb:
                diffs.append(f"{key} only {'after' if key in fb else 'before'}")
                continue
            moved = [n for n in NUMBERS if fa[key].get(n) != fb[key].get(n)]
            if moved:
                diffs.append(
                    f"{key}: "
                    + ", ".join(f"{n} {fa[key].get(n)} → {fb[key].get(n)}" for n in moved)
                )
        n = len(set(fa) | set(fb))
        total += n
        changed += len(diffs)
        rows.append(
            f"| `{cid}` | {n} | {n - len([d for d in diffs if not d.startswith('status')])} "
            f"| {'; '.join(diffs) or '—'} |"
        )
    return rows, total, changed


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--out", type=Path, help="also write the table here")
    args = ap.parse_args()
    rows, total, changed = compare(args.before, args.after)
    text = "\n".join(rows) + f"\n\n{total} fits compared, {changed} changes\n"
    print(text)
    if args.out:
        args.out.write_text(text, "utf-8")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
