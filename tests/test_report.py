"""The claims report (claims/report.py, claims/templates/, the ``report`` command): it renders for
a smoke run of the whole registry, lists every claim in all three outputs, the HTML is
self-contained, the JSON meets its schema, a warm cache re-renders without training, and a damaged
cache entry is recomputed. Toy claims (no training) cover the verdict display and exit codes."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
import sympy

import sim.autoencoder
from claims import (
    Claim,
    Context,
    Control,
    Derivation,
    Deviation,
    Fit,
    FitSpec,
    Judge,
    Result,
    all_claims,
)
from claims._cache import SimulationCache
from claims._json import schema
from claims.cli import main
from claims.report import REPORT_FILES, Report, build_report, fmt, md_cell

SCALE = "smoke"
PNG = b"\x89PNG\r\n\x1a\n"


# -- helpers -----------------------------------------------------------------------------------


class _Collector(HTMLParser):
    """Every start tag with its attributes, and the text of <style> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


def parse_html(text: str) -> _Collector:
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return parser


def assert_self_contained(html: str) -> None:
    """No element or style of the page can reach the network: every src/href is a data: URI or an
    in-page #anchor, nothing is loaded by <script>/<link>/<iframe>, no http(s):// in any markup."""
    __tracebackhide__ = True
    page = parse_html(html)
    assert page.tags and page.tags[0][0] == "html", (
        f"the page should start with <html>, got {page.tags[:1]}"
    )
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "base"), (
            f"<{tag} {attrs}> in a self-contained page"
        )
        for name, value in attrs.items():
            value = value or ""
            if value.startswith("data:") or name in ("alt", "content"):
                continue
            assert not re.search(r"https?://|^//", value.strip()), (
                f"<{tag} {name}={value[:80]!r}> names a network address"
            )
            if name in ("src", "href", "srcset", "poster", "data", "action", "formaction"):
                assert value.startswith(("data:", "#")), (
                    f"<{tag} {name}={value[:80]!r}> is not a data: URI or #anchor"
                )
    assert "url(" not in page.style and "@import" not in page.style, (
        "the stylesheet loads something"
    )
    assert not re.search(r"https?://", page.style)


def claim_ids(doc: dict[str, Any]) -> list[str]:
    return [c["id"] for c in doc["claims"]]


def validate(doc: dict[str, Any]) -> None:
    __tracebackhide__ = True
    jsonschema.Draft202012Validator.check_schema(schema())
    errors = sorted(
        jsonschema.Draft202012Validator(schema()).iter_errors(doc), key=lambda e: list(e.path)
    )
    assert not errors, "claims.json breaks its schema:\n" + "\n".join(
        f"  at {'/'.join(map(str, e.path))}: {e.message[:200]}" for e in errors
    )


def no_training(claims: tuple[Claim, ...], monkeypatch: pytest.MonkeyPatch) -> tuple[Claim, ...]:
    """The claims with a simulate that fails the test when called, and the trainer disabled."""

    def forbidden_train(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(
            "sim.autoencoder.train was called while re-rendering from a warm cache"
        )

    monkeypatch.setattr(sim.autoencoder, "train", forbidden_train)

    def forbid(claim: Claim) -> Claim:
        def simulate(params: Any, ctx: Context) -> Any:
            raise AssertionError(
                f"{claim.id}: simulate was called while re-rendering from a warm cache"
            )

        return dataclasses.replace(claim, simulate=simulate)

    return tuple(forbid(c) for c in claims)


# -- the registry at smoke scale -----------------------------------------------------------------


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Path]:
    """One cold smoke report of the whole registry, with its cache folder."""
    root = tmp_path_factory.mktemp("smoke")
    cache = SimulationCache(root / "cache")
    report = build_report(
        all_claims(), root / "out", scale=SCALE, seed=0, cache=cache, complete=True
    )
    return report, root


def test_report_writes_the_three_outputs_and_figures(smoke: tuple[Report, Path]) -> None:
    _, root = smoke
    out = root / "out"
    for name in REPORT_FILES:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, (
            f"{name} missing or empty in {out}"
        )
    doc = json.loads((out / "claims.json").read_text("utf-8"))
    for entry in doc["claims"]:
        for fig in entry["figures"]:
            data = (out / fig).read_bytes()
            assert data.startswith(PNG), f"{entry['id']}: {fig} is not a PNG"
            assert Path(fig).name.startswith(entry["id"]), (
                f"{fig} should be named after {entry['id']}"
            )
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert leftovers == [], f"the staging folder was left behind: {leftovers}"


def test_every_registered_claim_appears_in_all_outputs(smoke: tuple[Report, Path]) -> None:
    _, root = smoke
    out = root / "out"
    ids = [c.id for c in all_claims()]
    doc = json.loads((out / "claims.json").read_text("utf-8"))
    assert claim_ids(doc) == ids, f"claims.json lists {claim_ids(doc)}, but the registry has {ids}"
    md = (out / "claims.md").read_text("utf-8")
    summary = md.split("## Summary", 1)[1].split("\n## ", 1)[0]
    html = (out / "claims.html").read_text("utf-8")
    sections = {a.get("id") for t, a in parse_html(html).tags if t == "section"}
    for cid in ids:
        assert f"| [{cid}](#{cid}) |" in summary, (
            f"{cid} is missing from the Markdown summary table"
        )
        assert re.search(rf"^## {re.escape(cid)}$", md, re.MULTILINE), (
            f"{cid} has no section in claims.md"
        )
        assert cid in sections, f"{cid} has no <section> in claims.html"
        assert f'href="#{cid}"' in html, f"{cid} is missing from the HTML summary table"


def test_json_validates_against_schema(smoke: tuple[Report, Path]) -> None:
    _, root = smoke
    doc = json.loads((root / "out" / "claims.json").read_text("utf-8"))
    validate(doc)
    assert all("cache" in c for c in doc["claims"]), (
        "a cached run should record each claim's cache outcome"
    )


def test_html_parses_and_is_self_contained(smoke: tuple[Report, Path]) -> None:
    _, root = smoke
    html = (root / "out" / "claims.html").read_text("utf-8")
    assert_self_contained(html)
    doc = json.loads((root / "out" / "claims.json").read_text("utf-8"))
    images = [a["src"] for t, a in parse_html(html).tags if t == "img"]
    n_figures = sum(len(c["figures"]) for c in doc["claims"])
    assert len(images) >= n_figures, f"{len(images)} images in the HTML for {n_figures} figures"
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG), (
            "an embedded image is not a PNG"
        )


def test_markdown_links_resolve_and_math_is_fenced(smoke: tuple[Report, Path]) -> None:
    _, root = smoke
    out = root / "out"
    md = (out / "claims.md").read_text("utf-8")
    for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (out / target).is_file(), f"claims.md shows {target}, which does not exist"
    assert "http://" not in md and "https://" not in md
    for entry in json.loads((out / "claims.json").read_text("utf-8"))["claims"]:
        if entry["prediction"]["latex"]:
            assert f"```math\n{entry['prediction']['latex']}\n```" in md, (
                f"{entry['id']}: prediction not in a math block"
            )


def test_warm_cache_rerender_makes_no_training_call(
    smoke: tuple[Report, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    report, root = smoke
    cold = json.loads((root / "out" / "claims.json").read_text("utf-8"))
    cache = SimulationCache(root / "cache")
    warm = build_report(
        no_training(all_claims(), monkeypatch), root / "warm", scale=SCALE, seed=0, cache=cache
    )
    outcomes = {e.claim_id: e.outcome for e in cache.events}
    assert set(outcomes.values()) == {"hit"}, (
        f"cache outcomes {outcomes}, but every claim should be a hit"
    )
    doc = json.loads((root / "warm" / "claims.json").read_text("utf-8"))
    validate(doc)
    for a, b in zip(cold["claims"], doc["claims"], strict=True):
        for key in ("status", "fits", "controls", "prediction", "params", "figures"):
            assert a[key] == b[key], (
                f"{a['id']}: {key} differs between the cold run and the cached re-render"
            )
    assert [r.status for r in warm.results] == [r.status for r in report.results]


def test_truncated_cache_entry_is_recomputed(smoke: tuple[Report, Path], tmp_path: Path) -> None:
    _, root = smoke
    first = all_claims()[0]
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    seeded = SimulationCache(cache_dir)
    key = seeded.key(first.id, first.resolve(SCALE), 0, "cpu")
    source = SimulationCache(root / "cache").path(key)
    blob = source.read_bytes()
    seeded.path(key).write_bytes(blob[: len(blob) // 2])  # an interrupted copy of the real entry
    calls: list[str] = []

    def counted(params: Any, ctx: Context) -> Any:
        calls.append(first.id)
        return first.simulate(params, ctx)

    cache = SimulationCache(cache_dir)
    build_report(
        [dataclasses.replace(first, simulate=counted)],
        tmp_path / "out",
        scale=SCALE,
        seed=0,
        cache=cache,
    )
    assert calls == [first.id], (
        f"simulate calls {calls}, but the truncated entry should be recomputed once"
    )
    assert cache.events[0].outcome == "corrupt", (
        f"event {cache.events[0]}, but should record the corrupt entry"
    )
    again = SimulationCache(cache_dir)
    again.fetch(
        first.id,
        first.resolve(SCALE),
        0,
        "cpu",
        lambda: pytest.fail("the rewritten entry should load"),
    )
    assert again.events[0].hit


def test_cli_report_exit_status_and_outputs(
    smoke: tuple[Report, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    _, root = smoke
    first = all_claims()[0].id
    rc = main(
        [
            "report",
            first,
            "--scale",
            SCALE,
            "--out",
            str(tmp_path / "r"),
            "--cache-dir",
            str(root / "cache"),
        ]
    )
    doc = json.loads((tmp_path / "r" / "claims.json").read_text("utf-8"))
    assert claim_ids(doc) == [first]
    meets = all(c["meets_expectation"] for c in doc["claims"])
    assert rc == (0 if meets else 1), f"exit status {rc}, but meets_expectation={meets}"
    captured = capsys.readouterr()
    assert "claims.md" in captured.out and captured.err == "", (
        f"stderr should be quiet off a TTY: {captured.err!r}"
    )


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["report", "no-such-claim"], id="unknown-claim"),
        pytest.param(["report", "--seed", "-1"], id="negative-seed"),
        pytest.param(["report", "--device", "tpu"], id="bad-device"),
    ],
)
def test_cli_report_usage_errors_exit_2(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rc = main([*argv, "--out", str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c")])
    assert rc == 2, f"{argv}: exit status {rc}, but should be 2 (usage)"
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "r").exists(), "a usage error must not write a report"


def test_cli_report_out_must_be_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert (
        main(["report", "--out", str(tmp_path / "file"), "--cache-dir", str(tmp_path / "c")]) == 2
    )


# -- toy claims: verdict display, exit status, atomic publication --------------------------------


@dataclass(frozen=True)
class ToyParams:
    shift: float = 0.0  # added to every sample: moves the fitted mean away from 0


@dataclass(frozen=True)
class ToyMeasurements:
    x: np.ndarray  # samples whose mean is fitted


def _derive(p: ToyParams) -> Derivation:
    mu = sympy.Symbol("mu")
    return Derivation(
        sympy.Integer(0) * mu,
        extra={"cases": sympy.Piecewise((mu, mu > 0), (0, True))},
        values={"mean": 0.0},
    )


def _simulate(p: ToyParams, ctx: Context) -> ToyMeasurements:
    return ToyMeasurements(ctx.rng("toy").normal(size=400) * 0.1 + p.shift)


def _fit(meas: ToyMeasurements, d: Derivation, p: ToyParams, judge: Judge) -> list[Fit]:
    m, s = float(meas.x.mean()), 3 * float(meas.x.std() / np.sqrt(meas.x.size))
    return [
        judge.fit("mean", predicted=0.0, fitted=m, ci=(m - s, m + s)),
        judge.fit("positive", predicted=0.5, fitted=float((meas.x > -1).mean()), ci=(0.9, 1.0)),
    ]


TOY_FITS = (
    FitSpec("mean", "mean | of the samples (units)", 0.2, why="toy tolerance"),
    FitSpec("positive", "fraction above −1", relation=">"),
)


def _plot(result: Result, outdir: Path) -> list[Path]:
    from claims.plotting import new_figure, save

    fig, (ax,) = new_figure()
    ax.hist(result.measurements.x, bins=20)
    ax.set_xlabel("sample (units)")
    return [save(fig, outdir / f"{result.claim_id}.png")]


TOY = Claim(
    id="toy",
    title="Toy: samples have mean 0",
    statement="The samples have mean 0 | exactly $0.",
    source="tests/test_report.py",
    params={"smoke": ToyParams(), "standard": ToyParams(), "paper": ToyParams()},
    derive=_derive,
    simulate=_simulate,
    fits=TOY_FITS,
    fit=_fit,
    controls=(Control("mean-one", "the mean is 1", predict={"mean": 1.0}),),
    false_failure="toy: none",
    plot=_plot,
)


def _toy_report(
    tmp_path: Path, *claims: Claim, **kw: Any
) -> tuple[Report, dict[str, Any], str, str]:
    report = build_report(list(claims), tmp_path / "out", scale="standard", seed=0, **kw)
    out = tmp_path / "out"
    doc = json.loads((out / "claims.json").read_text("utf-8"))
    validate(doc)
    html = (out / "claims.html").read_text("utf-8")
    assert_self_contained(html)
    return report, doc, (out / "claims.md").read_text("utf-8"), html


def test_passing_claim_reads_pass_and_reports_ok(tmp_path: Path) -> None:
    report, doc, md, html = _toy_report(tmp_path, TOY)
    assert report.ok and doc["claims"][0]["meets_expectation"]
    assert "✅ pass" in md and "1/1 controls rejected" in md
    assert "mean \\| of the samples" in md, "a pipe inside a table cell must be escaped"
    assert "exactly \\$0" in md, "a dollar sign in text must not open GitHub math"
    assert "\\begin{cases}" in html and "\\begin{cases}" in md, (
        "LaTeX mathtext cannot draw must still be shown as source"
    )


def test_cached_run_records_the_claims_code_version(tmp_path: Path) -> None:
    """Each claim's cache record names its own code version (the key's sources); the document's
    code_version digests them, and both meet the schema."""
    cache = SimulationCache(tmp_path / "cache")
    _, doc, _, _ = _toy_report(tmp_path, TOY, cache=cache)
    record = doc["claims"][0]["cache"]
    assert record["code"] == cache.code(TOY) and record["outcome"] == "miss", record
    assert re.fullmatch("[0-9a-f]{64}", doc["code_version"]), doc.get("code_version")


def test_expected_deviation_is_shown_with_its_reason(tmp_path: Path) -> None:
    shifted = dataclasses.replace(
        TOY,
        id="toy-shifted",
        params={s: ToyParams(shift=0.5) for s in ("smoke", "standard", "paper")},
        controls=(Control("mean-zero", "the mean is 0", predict={"mean": 0.0}),),
        deviations={
            "mean": Deviation("fail", (0.45, 0.55), "measured: the shift moves the mean to 0.5")
        },
    )
    report, _, md, html = _toy_report(tmp_path, shifted)
    assert report.ok, "a recorded deviation that occurs as recorded meets the expectation"
    assert "⚠️ fail (expected deviation)" in md
    assert "with the fitted value in [0.45, 0.55]" in md, "the deviation's measured range is shown"
    assert "The paper's claims, answered" in md
    assert (
        "measured: the shift moves the mean to 0.5" in md
        and "measured: the shift moves the mean to 0.5" in html
    )


def test_unrejected_control_makes_the_report_fail(tmp_path: Path) -> None:
    weak = dataclasses.replace(
        TOY,
        id="toy-weak",
        controls=(Control("mean-zero", "the mean is 0 again", predict={"mean": 0.0}),),
    )
    report, doc, md, html = _toy_report(tmp_path, weak)
    assert not report.ok and not doc["claims"][0]["controls"][0]["rejected"]
    assert "NOT as expected" in md and "**NO**" in md and "NOT as expected" in html


def test_plot_error_is_reported_and_fails_the_report(tmp_path: Path) -> None:
    def broken(result: Result, outdir: Path) -> list[Path]:
        raise RuntimeError("no ink")

    def misnamed(result: Result, outdir: Path) -> list[Path]:
        return [_plot(result, outdir)[0].rename(outdir / "elsewhere.png")]

    report, _, md, html = _toy_report(
        tmp_path,
        dataclasses.replace(TOY, id="toy-a", plot=broken),
        dataclasses.replace(TOY, id="toy-b", plot=misnamed),
    )
    assert not report.ok and set(report.figure_errors) == {"toy-a", "toy-b"}, report.figure_errors
    assert "no ink" in md and "no ink" in html and "toy-b*.png" in md


def test_error_claim_renders(tmp_path: Path) -> None:
    def boom(p: ToyParams, ctx: Context) -> ToyMeasurements:
        raise RuntimeError("diverged at step 7")

    report, doc, md, html = _toy_report(
        tmp_path, dataclasses.replace(TOY, id="toy-error", simulate=boom)
    )
    assert not report.ok and doc["claims"][0]["status"] == "error"
    assert "diverged at step 7" in md and "❌ error" in md and "diverged at step 7" in html


def test_failed_render_leaves_the_previous_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _toy_report(tmp_path, TOY)
    out = tmp_path / "out"
    before = {n: (out / n).read_bytes() for n in REPORT_FILES}
    import claims.report

    def broken(latex: str | None) -> str | None:
        raise KeyboardInterrupt  # as if interrupted halfway through rendering

    monkeypatch.setattr(claims.report, "latex_png", broken)
    with pytest.raises(KeyboardInterrupt):
        build_report([TOY], out, scale="standard", seed=1)
    assert {n: (out / n).read_bytes() for n in REPORT_FILES} == before, (
        "an interrupted report replaced a file"
    )
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [], (
        "the staging folder was left behind"
    )


def test_complete_report_removes_stale_figures_partial_keeps_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "gone-claim.png").write_bytes(PNG)
    build_report([TOY], out, scale="standard", seed=0)
    assert (out / "figures" / "gone-claim.png").exists(), (
        "a partial report must not remove other claims' figures"
    )
    build_report([TOY], out, scale="standard", seed=0, complete=True)
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["toy.png"]


def test_progress_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    build_report([TOY], tmp_path / "quiet", scale="standard", seed=0, ctx=Context(progress=False))
    quiet = capsys.readouterr()
    assert quiet.err == "" and "toy  pass (expected pass)  as expected" in quiet.out, (
        f"stderr={quiet.err!r}, stdout={quiet.out!r}"
    )
    build_report([TOY], tmp_path / "loud", scale="standard", seed=0, ctx=Context(progress=True))
    loud = capsys.readouterr()
    assert "claims" in loud.err and "toy  pass (expected pass)" in loud.err + loud.out, (
        f"no progress bar on stderr: {loud.err!r}"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (-1.0, "−1"),
        (0.123456, "0.1235"),
        (float("inf"), "∞"),
        (float("-inf"), "−∞"),
        (3, "3"),
        (True, "true"),
    ],
)
def test_fmt(value: Any, text: str) -> None:
    assert fmt(value) == text, f"fmt({value!r})={fmt(value)!r}, but should be {text!r}"


def test_md_cell_escapes_table_breakers() -> None:
    assert md_cell("a|b\nc $x$") == "a\\|b c \\$x\\$"


def test_measured_rates_state_the_sweep_log(tmp_path: Path) -> None:
    """The report's measured false-failure sentence counts the log's rows: seeds, misses by fit,
    controls that escaped, the commit."""
    import json

    from claims.report import measured_rates

    log = tmp_path / "false_failure.jsonl"
    rows = [
        {
            "id": "c",
            "seed": s,
            "scale": "standard",
            "meets_expectation": s != 3,
            "off": ["rho"] if s == 3 else [],
            "controls": {"c/flat": True, "c/rho-one": s != 3, "c/near-rho": s != 3},
            "commit": "abc1234",
        }
        for s in range(20)
    ]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    text = measured_rates([log])[("c", "standard")]
    for needle in ("seeds 0–19", "commit abc1234", "19/20 seeds", "rho ×1", "rho-one 19/20"):
        assert needle in text, f"{needle!r} missing from the measured-rate sentence: {text}"
    assert "near-rho" not in text and "2 controls" in text, (
        f"a near miss logged before issue 25 is no control: {text}"
    )
    assert measured_rates([tmp_path / "absent.jsonl"]) == {}, "no log: no sentence"
