"""The ``polyclaims`` command.

    polyclaims list
    polyclaims run [ID ...] [--scale S] [--seed N] [--set key=value ...] [--json FILE] [--device D]
                   [--workers N | --scheduler ADDRESS]
    polyclaims report [ID ...] [--scale S] [--seed N] [--device D] [--out DIR] [--no-cache]
    polyclaims report [ID ...] [--scale S] [--seed N] [--device D] [--out DIR] [--no-cache]
                      [--cache-dir DIR]

``run`` and ``report`` exit 0 when every claim reaches its expected status (every fit its expected
verdict) and every control is rejected, 1 otherwise (for ``report`` also when a figure could not
be drawn), 2 for a usage error (unknown claim or key, bad value).

``report`` writes claims.md, claims.html, claims.json and figures/ to DIR (default reports/),
reusing cached simulations (default folder .polyclaims-cache/ at the repository root, or
$POLYCLAIMS_CACHE); --no-cache recomputes them (and refreshes the cache).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sim import ParamError

from ._context import Context, configure_device
from ._executors import executor
from ._core import SCALES, Claim, Result
from ._json import claims_document, write_claims_json
from ._params import parse_assignment
from .registry import all_claims, get

__all__ = ["main"]


class UsageError(Exception):
    """A command-line mistake: printed without a traceback, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="polyclaims", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all)")
    common.add_argument("--scale", default="standard", choices=SCALES, help="parameter set (default: standard)")
    common.add_argument("--seed", type=int, default=0, help="root seed of every random stream (default: 0)")
    common.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:N, mps (default: cpu)")
    common.add_argument("--workers", type=int, default=1,
                        help="run a claim's independent trainings in N local processes (default: 1, in-process)")
    common.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run them on a Dask cluster, e.g. tcp://host:8786 (needs the dask extra)")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="one claim per line: its id, then its title")
    common.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a simulation parameter by name, e.g. --set n=48 --set m=64,128,256; "
             "ID.KEY=VALUE overrides it for claim ID only, e.g. --set collision-count.m=256,512",
    )
    run = sub.add_parser("run", parents=[common], help="run claims and print their verdicts")
    run.add_argument("--json", type=Path, help="write the claims.json contract (schema 1) here")
    rep = sub.add_parser("report", parents=[common], help="run claims and write claims.md/.html/.json and figures")
    rep.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default: reports)")
    rep.add_argument("--no-cache", action="store_true",
                     help="recompute every simulation instead of reusing cached ones (the cache is refreshed)")
    rep.add_argument("--cache-dir", type=Path, default=None,
                     help="simulation cache folder (default: $POLYCLAIMS_CACHE, else .polyclaims-cache/ at the repository root)")
    return ap


def _select(ids: Sequence[str]) -> list[Claim]:
    if not ids:
        return list(all_claims())
    try:
        return [get(i) for i in ids]
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None


def _overrides(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in pairs:
        key, value = parse_assignment(text)
        out[key] = value
    return out


def _check_scoped(overrides: dict[str, str], claims: Sequence[Claim]) -> None:
    """An ``ID.KEY`` override must name a claim that runs (else it would be silently unused)."""
    selected = {c.id for c in claims}
    for key, value in overrides.items():
        owner, dot, _ = key.rpartition(".")
        if dot and owner not in selected:
            raise ParamError(key, value, "ID.KEY with ID one of the claims run: " + ", ".join(sorted(selected)))


def _cmd_list() -> int:
    for c in all_claims():
        print(f"{c.id}\t{c.title}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    claims = _select(args.ids)
    overrides = _overrides(args.overrides)
    if args.seed < 0:
        raise ParamError("--seed", args.seed, "an integer >= 0")
    _check_scoped(overrides, claims)
    # validate every claim's params before spending time on any simulation
    for c in claims:
        c.resolve(args.scale, _applicable(c, overrides, explicit=bool(args.ids)))
    start = time.perf_counter()
    results: list[Result] = []
    with _context(args) as ctx:
        for c in claims:
            r = c.run(args.scale, args.seed, overrides=_applicable(c, overrides, explicit=bool(args.ids)), ctx=ctx)
            print(r.explain(), flush=True)
            results.append(r)
    if args.json:
        doc = claims_document(results, scale=args.scale, seed=args.seed, device=args.device,
                              seconds=time.perf_counter() - start, overrides=overrides)
        write_claims_json(args.json, doc)
    ok = all(r.meets_expectation for r in results)
    print(f"{sum(r.meets_expectation for r in results)}/{len(results)} claims as expected", flush=True)
    return 0 if ok else 1


def _cmd_report(args: argparse.Namespace) -> int:
    from ._cache import SimulationCache
    from .report import build_report

    claims = _select(args.ids)
    if args.seed < 0:
        raise ParamError("--seed", args.seed, "an integer >= 0")
    given = _overrides(args.overrides)
    _check_scoped(given, claims)
    overrides = {c.id: _applicable(c, given, explicit=bool(args.ids)) for c in claims}
    for c in claims:  # an unknown scale, key or value fails before any simulation
        c.resolve(args.scale, overrides[c.id])
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} exists and is not a folder")
    cache = SimulationCache(args.cache_dir, read=not args.no_cache)
    with _context(args) as ctx:
        report = build_report(claims, args.out, scale=args.scale, seed=args.seed, ctx=ctx, cache=cache,
                              complete=not args.ids, overrides=overrides, stated=given)
    for path in report.files[:3]:
        print(f"wrote {path}", flush=True)
    print(f"{len(report.files) - 3} figures in {args.out / 'figures'}; "
          f"{sum(r.meets_expectation for r in report.results)}/{len(report.results)} claims as expected, "
          f"{report.seconds:.1f} s", flush=True)
    return 0 if report.ok else 1


@contextmanager
def _context(args: argparse.Namespace) -> Iterator[Context]:
    """The run's Context: device (deterministic kernels where the backend allows), progress bars
    on a terminal, and the executor chosen by --workers / --scheduler."""
    configure_device(args.device)
    with executor(workers=args.workers, scheduler=args.scheduler) as ex:
        yield Context(device=args.device, progress=sys.stderr.isatty(), executor=ex)


def _applicable(claim: Claim, overrides: dict[str, str], *, explicit: bool) -> dict[str, str]:
    """The overrides for one claim. ``ID.KEY=VALUE`` applies to claim ID alone (and wins over a
    plain ``KEY=VALUE``). With claims named explicitly every plain override must apply to each;
    running all claims, a plain override applies to the claims that have that parameter (and to
    at least one)."""
    import dataclasses

    scoped: dict[str, str] = {}
    plain: dict[str, str] = {}
    for key, value in overrides.items():  # an ID.KEY's ID was checked by _check_scoped
        owner, dot, name = key.rpartition(".")
        if not dot:
            plain[key] = value
        elif owner == claim.id:
            scoped[name] = value
    if explicit:
        return plain | scoped
    names = {f.name for f in dataclasses.fields(claim.params["standard"])}
    known_anywhere = {f.name for c in all_claims() for f in dataclasses.fields(c.params["standard"])}
    for key, value in plain.items():
        if key not in known_anywhere:
            raise ParamError(key, value, "a parameter of some claim: " + ", ".join(sorted(known_anywhere)))
    return {k: v for k, v in plain.items() if k in names} | scoped


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return _cmd_list()
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "report":
            return _cmd_report(args)
    except (UsageError, ParamError) as exc:
        print(f"polyclaims: error: {exc}", file=sys.stderr)
        return 2
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
