"""Measured false-failure rates: every claim at the standard scale over many seeds.

    python benchmarks/false_failure.py --seeds 20                      # every claim, seeds 0..19
    python benchmarks/false_failure.py --seeds 20 collision-count      # one claim
    python benchmarks/false_failure.py --table results.jsonl            # re-tabulate saved runs

Each (claim, seed) run appends one JSON line to ``--out`` (default
``benchmarks/false_failure.jsonl``) as soon as it finishes, so an interrupted sweep keeps what it
measured and a rerun skips what is there. The table counts, per claim, the runs whose status was
pass / fail / inconclusive / error, the runs that met the claim's expectation (every fit at its
expected verdict), and per control how often it was rejected.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

DEFAULT_OUT = Path(__file__).with_name("false_failure.jsonl")


def run(ids: list[str], seeds: range, out: Path, scale: str) -> None:
    from claims import Context, all_claims, get

    claims = [get(i) for i in ids] if ids else list(all_claims())
    done = {(r["id"], r["seed"]) for r in _load(out)}
    for seed in seeds:
        for claim in claims:
            if (claim.id, seed) in done:
                continue
            t = time.perf_counter()
            r = claim.run(scale, seed, ctx=Context())
            row = {
                "id": claim.id,
                "seed": seed,
                "scale": scale,
                "status": r.status,
                "expected": r.expected,
                "meets_expectation": r.meets_expectation,
                "seconds": time.perf_counter() - t,
                "off": [f.key for f in r.fits if f.verdict != f.expected],
                "error": r.error,
                "controls": {c.id: c.rejected for c in r.controls},
            }
            with out.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(
                f"{claim.id} seed {seed}: {r.status} (expected {r.expected}), "
                f"{'as expected' if r.meets_expectation else 'NOT as expected ' + str(row['off'])}, "
                f"{row['seconds']:.0f} s",
                flush=True,
            )


def _load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def table(rows: list[dict]) -> str:
    by_claim: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_claim[r["id"]].append(r)
    lines = [
        "| claim | seeds | pass | fail | inconclusive | error | as expected | off expectation (fits) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    controls: dict[str, Counter] = defaultdict(Counter)
    for cid, rs in by_claim.items():
        st = Counter(r["status"] for r in rs)
        ok = sum(r["meets_expectation"] for r in rs)
        offs = Counter(k for r in rs for k in r["off"])
        lines.append(
            f"| `{cid}` | {len(rs)} | {st['pass']} | {st['fail']} | {st['inconclusive']} | {st['error']} "
            f"| {ok}/{len(rs)} | {', '.join(f'{k} ×{v}' for k, v in offs.items()) or '—'} |"
        )
        for r in rs:
            for k, rejected in r["controls"].items():
                controls[k]["runs"] += 1
                controls[k]["rejected"] += rejected
    lines += ["", "| control | rejected |", "|---|---|"]
    lines += [f"| `{k}` | {c['rejected']}/{c['runs']} |" for k, c in controls.items()]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("ids", nargs="*", help="claim ids (default: all)")
    ap.add_argument("--seeds", type=int, default=20, help="number of seeds (default 20)")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--scale", default="standard")
    ap.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="JSON-lines file of runs (appended)"
    )
    ap.add_argument("--table", type=Path, help="only tabulate this JSON-lines file")
    args = ap.parse_args()
    if args.table:
        print(table(_load(args.table)))
        return
    run(args.ids, range(args.first_seed, args.first_seed + args.seeds), args.out, args.scale)
    print(table(_load(args.out)))


if __name__ == "__main__":
    sys.exit(main())
