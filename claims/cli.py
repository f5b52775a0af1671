"""The ``polyclaims`` command: list, show, run and report the claims.

Exit status: 0 when every claim reaches its expected status (every fit its expected verdict) and
every control is rejected; 1 otherwise (for ``report`` also when a figure could not be drawn, and
for ``run``/``report`` of all claims when a catalogue module or entry point is broken: the
others still run, each broken one is named with its reason); 2 for a usage error (unknown claim
or key, bad value, unwritable output, a broken claim asked for by its id, or a --claims-from
source that does not load or whose claim id another source has too); 130 on Ctrl-C. ``list``
exits 0 and names each broken claim on stderr.

Argument, path, scale and claim-id errors are answered before torch and sympy are imported (the
catalogue's and the installed entry points' ids are known by name; a --claims-from source is
imported, and only it); checking ``--set`` keys needs the claims' params, so it imports them
(still before any simulation).

Claims from outside the package: installed packages declare theirs in the entry-point group
``polyclaims.claims``, and ``--claims-from PATH`` (list, show, run, report; repeatable) adds every
claim a .py file or an importable module binds at module level (docs/writing-a-claim.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim._validate import ParamError  # light: sim/__init__ imports no torch

if TYPE_CHECKING:
    from ._cache import SimulationCache
    from ._context import Context
    from ._core import Claim, Result
    from ._params import Overrides
    from .registry import BrokenClaim, Registry

__all__ = ["main"]

SCALES = ("smoke", "standard", "paper")  # claims._core.SCALES, repeated so --help needs no import
SMOKE_NOTE = (
    "note: the smoke scale only exercises the plumbing (seconds per claim, too few replicates): "
    "its verdicts and control outcomes mean nothing. Use --scale standard (the default) for "
    "verdicts."
)


class UsageError(Exception):
    """A command-line mistake: printed without a traceback, exit status 2."""


def _version() -> str:
    try:
        return metadata.version("polyclaims")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="polyclaims",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Theory-verification harness for incidental polysemanticity: "
        "each claim derives its prediction (sympy), simulates, fits with confidence intervals and "
        "returns a verdict.",
        epilog="`polyclaims COMMAND --help` explains a command's options.\n"
        + __doc__.split("\n\n")[1],
    )
    ap.add_argument("--version", action="version", version=f"polyclaims {_version()}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    outside = argparse.ArgumentParser(add_help=False)
    outside.add_argument(
        "--claims-from",
        dest="claims_from",
        action="append",
        default=[],
        metavar="PATH",
        help="also load the claims a .py file or an importable module (pkg.module) binds at "
        "module level; repeatable (docs/writing-a-claim.md)",
    )
    sub.add_parser(
        "list",
        parents=[outside],
        help="one claim per line: its id, then its title (a broken claim: one line on stderr "
        "with the reason)",
    )

    show = sub.add_parser(
        "show",
        parents=[outside],
        help="a claim's statement, parameter tree, fits and controls",
    )
    show.add_argument("id", metavar="ID", help="claim id (see `polyclaims list`)")
    show.add_argument(
        "--scale",
        default="standard",
        choices=SCALES,
        help="parameter set shown (default: standard)",
    )

    common = argparse.ArgumentParser(add_help=False, parents=[outside])
    common.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all)")
    common.add_argument(
        "--scale", default="standard", choices=SCALES, help="parameter set (default: standard)"
    )
    common.add_argument(
        "--seed", type=int, default=0, help="root seed of every random stream (default: 0)"
    )
    common.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter by its dotted path, e.g. --set train.lr=0.05, --set m=64,128; "
        "ID.PATH=VALUE for one claim only, e.g. --set collision-count.train.steps=2000 "
        "(`polyclaims show ID` lists the paths)",
    )
    common.add_argument(
        "--device", default="cpu", help="torch device: cpu, cuda, cuda:N, mps (default: cpu)"
    )
    common.add_argument(
        "--matmul-precision",
        default=None,
        choices=("highest", "high", "medium", "bf16-emulated"),
        help="arithmetic of every trainer's large matmuls (default: each claim's own, 'highest'): "
        "torch's names (TF32 on CUDA, bfloat16 inputs on AMX CPUs, no change elsewhere), or "
        "'bf16-emulated' (bfloat16 inputs on any machine, for validation); see sim/precision.py",
    )
    common.add_argument(
        "--workers",
        type=int,
        default=1,
        help="run a claim's independent trainings in N local processes (default: 1, in-process)",
    )
    common.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run them on a Dask cluster, e.g. tcp://host:8786 (needs the dask extra)",
    )
    common.add_argument(
        "--no-cache",
        action="store_true",
        help="recompute every simulation instead of reusing cached ones (the cache is refreshed)",
    )
    common.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="simulation cache folder (default: $POLYCLAIMS_CACHE, else .polyclaims-cache/ "
        "at the repository root)",
    )

    run = sub.add_parser("run", parents=[common], help="run claims and print one line per claim")
    run.add_argument(
        "--json", type=Path, help="also write the claims.json contract (schema 1) to this file"
    )
    run.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print every fit and every control (default: only those off their expectation)",
    )
    rep = sub.add_parser(
        "report", parents=[common], help="run claims and write claims.md/.html/.json and figures"
    )
    rep.add_argument(
        "--out", type=Path, default=Path("reports"), help="output folder (default: reports)"
    )
    rep.add_argument(
        "--answered-also",
        type=Path,
        action="append",
        default=[],
        metavar="CLAIMS_JSON",
        help="add the answered-table rows of another report's claims.json (e.g. a paper-scale "
        "run: reports/paper-cpu-scaling/claims.json) after this run's; repeatable",
    )
    synopsis = "\n".join(
        "  " + p.format_usage().strip().removeprefix("usage: ") for p in sub.choices.values()
    )
    ap.epilog = f"commands and their options:\n{synopsis}\n\n{ap.epilog}"
    return ap


# -- checks made before anything heavy is imported -------------------------------------------------


def _check_ids(ids: Sequence[str], claims_from: Sequence[str] = ()) -> None:
    """Every id is known: the catalogue's and the entry points' by name, without importing them;
    the ``--claims-from`` sources are imported (only they), and their ids checked against the
    others."""
    from .registry import claim_ids

    known = claim_ids()
    if claims_from:
        known += tuple(c.id for c, _ in _outside(claims_from))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UsageError(
            f"unknown claim {', '.join(map(repr, unknown))}; known: {', '.join(known)}"
        )


def _check_writable_file(path: Path, option: str) -> None:
    """The file can be created or replaced: its folder exists and takes a new file."""
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a folder, not a file")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{option} {path}: not writable")
    _check_writable_dir(
        path.parent if str(path.parent) else Path("."), f"{option} {path}: its folder"
    )


def _check_writable_dir(folder: Path, what: str) -> None:
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{what} {folder} exists and is not a folder")
    probe = folder
    while not probe.exists():  # the nearest existing ancestor must take new entries
        probe = probe.parent
    try:
        with tempfile.NamedTemporaryFile(dir=probe, prefix=".polyclaims-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{what} {folder} is not writable ({exc.strerror or exc})") from None


def _outside(claims_from: Sequence[str]) -> tuple[tuple[Claim, str], ...]:
    """The ``--claims-from`` claims; a source that does not load, defines none or clashes with
    another is a usage error naming both sources."""
    from .registry import ClaimsFromError, outside_claims

    try:
        return outside_claims(claims_from)
    except ClaimsFromError as exc:
        raise UsageError(str(exc)) from None


def _check_common(args: argparse.Namespace) -> None:
    if args.seed < 0:
        raise UsageError(f"--seed={args.seed} is invalid; allowed: an integer >= 0")
    if args.workers < 1:
        raise UsageError(f"--workers={args.workers} is invalid; allowed: an integer >= 1")
    _check_ids(args.ids, args.claims_from)
    if args.cache_dir is not None:
        _check_writable_dir(args.cache_dir, "--cache-dir")


# -- commands ------------------------------------------------------------------------------------


def _registry(claims_from: Sequence[str]) -> Registry:
    """The catalogue's, the entry points' and the ``--claims-from`` sources' claims."""
    from .registry import load

    _outside(claims_from)  # its usage errors first
    return load(claims_from)


def _select(
    ids: Sequence[str], claims_from: Sequence[str] = ()
) -> tuple[list[Claim], tuple[BrokenClaim, ...]]:
    """The claims asked for (all that load when none is named) and, when none is named, the
    broken ones; a broken claim named by its id is a usage error giving the reason."""
    from .registry import BrokenClaimError

    found = _registry(claims_from)
    if not ids:
        return list(found.claims), found.broken
    try:
        return [found.get(i) for i in ids], ()
    except BrokenClaimError as exc:
        raise UsageError(str(exc)) from None


def _broken_line(b: BrokenClaim) -> str:
    return f"claim {b.id} is broken and was not loaded: {b.reason}"


def _cmd_list(args: argparse.Namespace) -> int:
    found = _registry(args.claims_from)
    for c in found.claims:
        print(f"{c.id}\t{c.title}")
    for b in found.broken:
        print(f"polyclaims: {_broken_line(b)}", file=sys.stderr)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    _check_ids([args.id], args.claims_from)
    from .show import describe

    print(describe(_select([args.id], args.claims_from)[0][0], args.scale))
    return 0


def _prepare(
    args: argparse.Namespace,
) -> tuple[list[Claim], tuple[BrokenClaim, ...], Overrides]:
    """Resolve the claims and overrides and check every claim's params, before any simulation;
    name each broken claim at once (they are not run)."""
    from ._params import Overrides

    claims, broken = _select(args.ids, args.claims_from)
    for b in broken:
        print(_broken_line(b), flush=True)
    everywhere = {"matmul_precision": args.matmul_precision} if args.matmul_precision else None
    overrides = Overrides.parse(
        args.overrides,
        claims,
        args.scale,
        everywhere=everywhere,
        everywhere_in=_precision_validated(claims, args.matmul_precision),
    )
    for c in claims:
        c.resolve(args.scale, overrides.for_claim(c.id))
    if args.scale == "smoke":
        print(SMOKE_NOTE, flush=True)
    return claims, broken, overrides


def _precision_validated(claims: Sequence[Claim], precision: str | None) -> list[str] | None:
    """The claims whose trainers ``--matmul-precision`` may set: all for "highest" (or no
    option), else those whose statistics ``benchmarks/precision.jsonl`` shows unmoved
    (claims/_precision.py); the others keep "highest", each named with its reason."""
    if precision in (None, "highest"):
        return None
    from ._precision import LOG, decisions

    found = decisions()
    if found is None:
        print(
            f"note: no validation log ({LOG.name}) here: --matmul-precision {precision} applies "
            "to every claim, unvalidated",
            flush=True,
        )
        return None
    from ._params import leaves

    keep = []
    for c in claims:
        d = found.get(c.id)
        if d is not None and d["decision"] != "highest":
            keep.append(c.id)
        elif any(leaf.path.endswith("matmul_precision") for leaf in leaves(c.params["standard"])):
            why = (
                "it is not in the validation log"
                if d is None
                else f"under bfloat16 inputs {d['moved']} of its fits moved and "
                f"{d['unresolved']} are unresolved over {d['seeds']} seeds"
            )
            print(
                f"note: {c.id} keeps matmul_precision='highest': {why} ({LOG.name}); "
                f"--set {c.id}.PATH.matmul_precision={precision} overrides",
                flush=True,
            )
    return keep


def _cache(args: argparse.Namespace) -> SimulationCache:
    from ._cache import SimulationCache

    return SimulationCache(args.cache_dir, read=not args.no_cache)


def _summary(
    results: Sequence[Result], seconds: float, scale: str, broken: Sequence[BrokenClaim] = ()
) -> str:
    met = sum(r.meets_expectation for r in results)
    controls = [c for r in results for c in r.controls]
    line = (
        f"{met}/{len(results)} claims as expected, "
        f"{sum(c.rejected for c in controls)}/{len(controls)} controls rejected, {seconds:.1f} s"
    )
    if broken:
        line += f"; {len(broken)} broken, not run: {', '.join(b.id for b in broken)}"
    return line + (
        " (smoke scale: plumbing only, verdicts mean nothing)" if scale == "smoke" else ""
    )


def _cmd_run(args: argparse.Namespace) -> int:
    if args.json is not None:
        _check_writable_file(args.json, "--json")
    claims, broken, overrides = _prepare(args)
    from ._json import claims_document, write_claims_json
    from .report import run_claims

    start = time.perf_counter()
    with _context(args) as ctx:
        results = run_claims(
            claims,
            scale=args.scale,
            seed=args.seed,
            ctx=ctx,
            cache=_cache(args),
            overrides=overrides,
            details="all" if args.verbose else "off",
        )
    seconds = time.perf_counter() - start
    if args.json:
        doc = claims_document(
            results,
            scale=args.scale,
            seed=args.seed,
            device=args.device,
            seconds=seconds,
            overrides=overrides.resolved(),
            broken=broken,
        )
        write_claims_json(args.json, doc)
        print(f"wrote {args.json}", flush=True)
    print(_summary(results, seconds, args.scale, broken), flush=True)
    return 0 if all(r.meets_expectation for r in results) and not broken else 1


def _answered_also(paths: Sequence[Path]) -> list[Any]:
    """The runs of each --answered-also claims.json; a missing or unreadable file is a usage
    error naming it."""
    from .paper_claims import runs_from_json

    runs: list[Any] = []
    for path in paths:
        try:
            runs += runs_from_json(path)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise UsageError(
                f"--answered-also={path} is invalid: {type(e).__name__}: {e}; allowed: a "
                "claims.json written by `polyclaims report`"
            ) from None
    return runs


def _cmd_report(args: argparse.Namespace) -> int:
    _check_writable_dir(args.out, "--out")
    also = _answered_also(args.answered_also)
    claims, broken, overrides = _prepare(args)
    from .report import build_report

    with _context(args) as ctx:
        report = build_report(
            claims,
            args.out,
            scale=args.scale,
            seed=args.seed,
            ctx=ctx,
            cache=_cache(args),
            complete=not args.ids,
            overrides=overrides,
            broken=broken,
            answered_also=also,
        )
    for path in report.files[:3]:
        print(f"wrote {path}", flush=True)
    print(
        f"{len(report.files) - 3} figures in {args.out / 'figures'}; "
        + _summary(report.results, report.seconds, args.scale, report.broken),
        flush=True,
    )
    return 0 if report.ok else 1


@contextmanager
def _context(args: argparse.Namespace) -> Iterator[Context]:
    """The run's Context: device (deterministic kernels where the backend allows), progress bars
    on a terminal, and the executor chosen by --workers / --scheduler."""
    from ._context import Context, configure_device
    from ._executors import executor

    ctx = Context(device=args.device, progress=sys.stderr.isatty())  # checks the device first
    configure_device(args.device)
    with executor(workers=args.workers, scheduler=args.scheduler) as ex:
        yield dataclasses.replace(ctx, executor=ex)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "list":
        return _cmd_list(args)
    if args.command == "show":
        return _cmd_show(args)
    _check_common(args)
    if args.command == "run":
        return _cmd_run(args)
    if args.command == "report":
        return _cmd_report(args)
    raise AssertionError(f"unhandled command {args.command}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print(
            "polyclaims: interrupted (finished training runs are kept in the cache; "
            "rerun to resume)",
            file=sys.stderr,
            flush=True,
        )
        return 130
    except (UsageError, ParamError) as exc:
        print(f"polyclaims: error: {exc}", file=sys.stderr)
        return 2


def _entry() -> Any:  # pragma: no cover - `python -m claims.cli`
    sys.exit(main())


if __name__ == "__main__":
    _entry()
