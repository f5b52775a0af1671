"""Reduced-precision matmuls (sim/precision.py): the arithmetic of each mode, the derivation of
which terms must stay exact, and that the setting stays inside ``train()``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from claims.cli import main
from sim import ParamError
from sim.autoencoder import (
    AutoencoderParams,
    _DataWorkspace,
    _UntiedWorkspace,
    _Workspace,
    fused_loss_and_grad,
    train,
)
from sim.precision import MATMUL_PRECISIONS, Matmul, float32_matmul_precision, probe

U = 2.0**-8  # relative precision of a product of two bfloat16-rounded factors (2 × 2⁻⁹)


def _rand(*shape: int, seed: int = 0, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)).mul_(scale)


def _bf16(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.bfloat16).to(x.dtype)


# -- the modes ------------------------------------------------------------------------------------


def test_highest_is_torch_bmm_itself() -> None:
    a, b = _rand(3, 8, 40), _rand(3, 40, 8, seed=1)
    out = torch.empty(3, 8, 8)
    Matmul("highest").bmm(a, b, out=out)
    assert torch.equal(out, torch.bmm(a, b)), "highest must be torch.bmm, bit for bit"


def test_emulated_rounds_both_inputs_and_accumulates_in_float32() -> None:
    a, b = _rand(2, 16, 300), _rand(2, 300, 16, seed=1)
    out = torch.empty(2, 16, 16)
    Matmul("bf16-emulated").bmm(a, b, out=out)
    exact_of_rounded = torch.bmm(_bf16(a).double(), _bf16(b).double())
    # products of bfloat16 numbers are exact in float32; only the float32 sum rounds
    err = float((out.double() - exact_of_rounded).abs().max())
    assert err < 1e-4, f"emulated product differs from the exact product of rounded inputs by {err}"
    rel = float((out.double() - torch.bmm(a.double(), b.double())).norm() / out.norm())
    assert 1e-4 < rel < 1e-2, f"relative error {rel:.2g}, expected that of bfloat16 inputs"


def test_baddbmm_adds_in_each_mode() -> None:
    a, b = _rand(2, 6, 50), _rand(2, 50, 6, seed=1)
    for p in MATMUL_PRECISIONS:
        acc = torch.ones(2, 6, 6)
        Matmul(p).baddbmm_(acc, a, b)
        tol = 1e-5 if p != "bf16-emulated" else 0.05
        assert torch.allclose(acc, 1 + a @ b, atol=tol), f"baddbmm_ at {p!r}"


def test_probe_names_the_arithmetic() -> None:
    assert probe("highest")["arithmetic"] == "float32"
    emulated = probe("bf16-emulated")
    assert emulated["arithmetic"] == "bfloat16 inputs", emulated
    medium = probe("medium")
    # on a CPU without AMX-BF16 / AVX512-BF16 torch computes "medium" in float32
    bf16_units = torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported()
    expected = "bfloat16 inputs" if bf16_units else "float32"
    assert medium["arithmetic"] == expected, f"{medium}, bf16 units: {bf16_units}"


def test_the_setting_is_restored_after_a_block_and_after_train() -> None:
    before = torch.get_float32_matmul_precision()
    with float32_matmul_precision("medium"):
        assert torch.get_float32_matmul_precision() == "medium"
    assert torch.get_float32_matmul_precision() == before
    train(AutoencoderParams.flat(n=4, m=8, instances=1, steps=3, matmul_precision="medium"))
    assert torch.get_float32_matmul_precision() == before, "train() leaked its precision"


def test_params_not_the_global_setting_decide_the_arithmetic() -> None:
    p = AutoencoderParams.flat(n=6, m=24, instances=2, steps=50, optimizer="sgd", lr=0.1, l1=0.1)
    ref = train(p).W_final
    with float32_matmul_precision("medium"):
        again = train(p).W_final
        assert torch.get_float32_matmul_precision() == "medium", "train() must restore 'medium'"
    assert np.array_equal(ref, again), "a process-wide 'medium' changed a 'highest' run"


@pytest.mark.parametrize("bad", ["low", "bf16", "", 3])
def test_bad_precision_names_the_parameter(bad: object) -> None:
    with pytest.raises(ParamError, match="matmul_precision"):
        AutoencoderParams.flat(matmul_precision=bad)  # type: ignore[arg-type]


def test_reduced_precision_needs_float32() -> None:
    with pytest.raises(ParamError, match=r"matmul_precision.*float32 only"):
        AutoencoderParams.flat(dtype="float64", matmul_precision="bf16-emulated")


# -- which terms must stay exact (the derivation in sim/precision.py) ------------------------------


def _one_hot_stationary(lam: float, n: int, m: int) -> torch.Tensor:
    """Monosemantic rows w = a·e_i at the L1 equilibrium 4a(a² − 1) = −λ (largest root)."""
    a = max(r.real for r in np.roots([4.0, 0.0, -4.0, lam]) if abs(r.imag) < 1e-12)
    W = torch.zeros(1, n, m)
    W[0, torch.arange(n), torch.arange(n)] = float(a)
    return W


@pytest.mark.parametrize("lam", [1e-3, 1e-2])
def test_the_diagonal_must_be_exact_and_is(lam: float) -> None:
    """At the equilibrium ‖W_i‖² − 1 ≈ −λ/4: a rounded Gram matrix misses it by ≈ λ/4 or more,
    and would push the rows off their equilibrium; with the float32 diagonal the gradient stays
    at the L1 force's level of float32 round-off."""
    n, m = 4, 32
    W = _one_hot_stationary(lam, n, m)
    residual = float((W[0, 0] ** 2).sum() - 1)
    rounded = float((_bf16(W)[0, 0] ** 2).sum() - 1)
    assert abs(rounded - residual) > 0.5 * lam / 4, (
        f"bfloat16 rounding moved ‖W_i‖² − 1 by {abs(rounded - residual):.2g}, expected a miss "
        f"of the order of λ/4 = {lam / 4:.2g} (the reason for the exact diagonal)"
    )
    for precision in MATMUL_PRECISIONS:
        p = AutoencoderParams.flat(n=n, m=m, instances=1, l1=lam, matmul_precision=precision)
        _, grad = fused_loss_and_grad(W, None, p)
        worst = float(grad.abs().max())
        assert worst < 0.01 * lam, (
            f"{precision}: gradient {worst:.2g} at the stationary point; expected ≤ 1 % of "
            f"λ = {lam:g}"
        )


def _relative_bound(R: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """u·Σ_k |R_ik||W_kj|: the size of a rounded product's terms."""
    return U * torch.bmm(R.abs(), W.abs())


def test_every_other_error_is_relative_to_its_terms() -> None:
    """The basis gradient 4·D·W under bf16-emulated differs from float64 by at most a few u
    times the size of its terms (elementwise), including the ReLU gate's flips."""
    W = _rand(3, 12, 64, scale=1 / 8)
    p = AutoencoderParams.flat(n=12, m=64, instances=3, matmul_precision="bf16-emulated")
    _, grad = fused_loss_and_grad(W, None, p)
    _loss64, grad64 = fused_loss_and_grad(
        W.double(), None, AutoencoderParams.flat(n=12, m=64, dtype="float64")
    )
    A = W.double() @ W.double().transpose(1, 2)
    D = torch.clamp(A, min=0)
    D.diagonal(dim1=1, dim2=2).sub_(1.0)
    # |δA| ≤ u·|W||W|ᵀ moves D by as much; the product adds u·|D||W|
    Wd = W.double()
    gram_terms = torch.bmm(Wd.abs(), Wd.abs().transpose(1, 2))  # Σ_k |W_ik||W_jk|
    bound = 4 * (_relative_bound(D, Wd) + U * torch.bmm(gram_terms, Wd.abs()))
    excess = float((grad.double() - grad64).abs().sub(2 * bound + 1e-6).max())
    assert excess <= 0, f"an error exceeds 2× its relative bound by {excess:.2g}"


@pytest.mark.parametrize(
    "kind", ["untied", "sample-noise", "shared-noise", "bernoulli-data", "bernoulli-uniform-noise"]
)
def test_each_path_keeps_its_diagonal_exact(kind: str) -> None:
    """On every path the rounded m-sized products get their diagonal back in float32: the
    residual diagonal under bf16-emulated equals the float32 one to round-off."""
    n, m = 8, 48
    common = {"n": n, "m": m, "instances": 2, "l1": 1e-3}
    extra = {
        "untied": {"tied": False},
        "sample-noise": {"noise": "bernoulli", "sigma": 0.1, "noise_scope": "sample"},
        "shared-noise": {"noise": "gaussian", "sigma": 0.1},
        "bernoulli-data": {"data": "bernoulli", "p": 0.2},
        "bernoulli-uniform-noise": {
            "data": "bernoulli-uniform",
            "p": 0.2,
            "noise": "bernoulli",
            "sigma": 0.1,
            "noise_scope": "sample",
        },
    }[kind]
    grads = {}
    for precision in ("highest", "bf16-emulated"):
        p = AutoencoderParams.flat(**common, **extra, matmul_precision=precision)  # type: ignore[arg-type]
        shape = (2, 2, n, m) if kind == "untied" else (2, n, m)
        W = _rand(*shape, scale=1 / math.sqrt(m))
        gen = torch.Generator().manual_seed(5)
        if kind == "untied":
            ws = _UntiedWorkspace(W, p)
            ws.evaluate(W, None)
            diag = ws.Z.diagonal(dim1=1, dim2=2).clone()
            ref = (W[0] * W[1]).sum(-1)
        elif p.data.kind == "basis":
            ws = _Workspace(W, p)
            xi = _rand(*((2, n, m) if p.noise.scope == "sample" else (1, 1, m)), seed=9, scale=0.1)
            ws.evaluate(W, [xi])
            # D = 2·(Z − I) on the diagonal (one draw, Z_ii > 0 here); A is reused after it
            diag = ws.D.diagonal(dim1=1, dim2=2) / 2 + 1
            if p.noise.scope == "sample":  # A = H Wᵀ, H = W + ξ
                ref = ((W + xi) * W).sum(-1)
            else:  # A = W Wᵀ + 1(Wξ)ᵀ: its diagonal adds W_i·ξ (a rounded noise term)
                ref = (W * W).sum(-1) + (W * xi).sum(-1)
        else:
            ws = _DataWorkspace(W, p, gen)
            ws.evaluate(
                W,
                None if p.noise.kind == "none" else [_rand(2, p.data.batch, m, seed=9, scale=0.1)],
            )
            diag = ws.A.diagonal(dim1=1, dim2=2).clone()
            ref = (W * W).sum(-1)
        tol = 2e-6 if precision == "highest" else 2e-3 if kind == "shared-noise" else 2e-6
        err = float((diag - ref).abs().max())
        assert err < tol, f"{kind} at {precision}: diagonal off by {err:.2g} (tolerance {tol:g})"
        grads[precision] = ws.grad.clone()
    rel = float((grads["bf16-emulated"] - grads["highest"]).norm() / grads["highest"].norm())
    assert rel < 0.02, f"{kind}: bf16-emulated gradient {rel:.2g} away from float32"


# -- the CLI sets every trainer and records what it did -------------------------------------------


def test_cli_sets_every_trainer_and_records_the_arithmetic(tmp_path, monkeypatch) -> None:
    import claims._precision as cp

    monkeypatch.setattr(cp, "LOG", tmp_path / "none.jsonl")  # no log: every claim is set
    out = tmp_path / "c.json"
    code = main(
        [
            "run",
            "init-diagonal",
            "--scale",
            "smoke",
            "--matmul-precision",
            "bf16-emulated",
            "--no-cache",
            "--json",
            str(out),
        ]
    )
    assert code in (0, 1), f"exit {code}"
    doc = json.loads(out.read_text())
    params = doc["claims"][0]["params"]
    assert params["sgd"]["matmul_precision"] == "bf16-emulated", params["sgd"]
    assert params["adamw"]["matmul_precision"] == "bf16-emulated", params["adamw"]
    assert doc["environment"]["matmul"]["bf16-emulated"]["arithmetic"] == "bfloat16 inputs"
    assert doc["overrides"] == {
        "init-diagonal.sgd.matmul_precision": "bf16-emulated",
        "init-diagonal.adamw.matmul_precision": "bf16-emulated",
    }


def test_precision_is_part_of_the_cache_key(tmp_path) -> None:
    from claims import get
    from claims._cache import SimulationCache
    from claims._params import apply_overrides

    claim = get("collision-count")
    cache = SimulationCache(tmp_path)
    base = claim.params["smoke"]
    reduced = apply_overrides(base, {"train.matmul_precision": "medium"})
    assert cache.key(claim.id, base, 0, "cpu") != cache.key(claim.id, reduced, 0, "cpu")


def test_emulated_rounding_follows_in_place_updates() -> None:
    """The rounded weights are reused within a step only: a new step rounds them again."""
    mm = Matmul("bf16-emulated")
    W = _rand(2, 4, 16)
    out = torch.empty(2, 4, 4)
    mm.begin_step(W)
    mm.bmm(W, W.transpose(1, 2), out=out)
    W.add_(0.37)  # an optimiser step, in place
    mm.begin_step(W)
    mm.bmm(W, W.transpose(1, 2), out=out)
    expected = torch.bmm(_bf16(W), _bf16(W).transpose(1, 2))
    assert torch.allclose(out, expected, atol=1e-5), "a stale rounded W was reused"


def test_emulated_training_matches_uncached_rounding(monkeypatch: pytest.MonkeyPatch) -> None:
    """AdamW's fused in-place update must invalidate the cached rounding: the same run with the
    cache defeated gives the same weights."""
    p = AutoencoderParams.flat(
        n=6, m=16, instances=2, steps=20, l1=1e-3, matmul_precision="bf16-emulated"
    )
    cached = train(p).W_final
    monkeypatch.setattr(Matmul, "_round", lambda self, x: _bf16(x))
    assert np.array_equal(cached, train(p).W_final), "cached rounding changed the run"


def test_cli_skips_claims_whose_statistics_moved(tmp_path, monkeypatch, capsys) -> None:
    """--matmul-precision reaches only the claims the validation log shows unmoved; the others
    keep "highest" and are named with the reason."""
    import claims._precision as cp

    def row(cid: str, seed: int, fitted: float, precision: str | None) -> dict:
        r = {
            "id": cid,
            "seed": seed,
            "status": "pass",
            "meets_expectation": True,
            "seconds": 1.0,
            "fits": {"f": [fitted, fitted - 0.1, fitted + 0.1, "pass"]},
        }
        return r | ({"matmul_precision": precision} if precision else {})

    rows = []
    for s in range(10):
        rows += [row("collision-count", s, 1.0 + 0.01 * s, None)]
        rows += [row("collision-count", s, 1.0 + 0.01 * s, "bf16-emulated")]  # unmoved
        rows += [row("l1-decay", s, 1.0 + 0.01 * s, None)]
        rows += [row("l1-decay", s, 1.3 + 0.01 * s, "bf16-emulated")]  # moved by +0.3
    log = tmp_path / "precision.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr(cp, "LOG", log)
    out = tmp_path / "c.json"
    ids = ["collision-count", "l1-decay", "init-diagonal"]
    argv = ["run", *ids, "--scale", "smoke", "--matmul-precision", "medium", "--no-cache"]
    main([*argv, "--json", str(out)])
    said = capsys.readouterr().out
    assert "note: l1-decay keeps matmul_precision='highest'" in said, said
    assert "note: init-diagonal keeps matmul_precision='highest': it is not in" in said, said
    assert "collision-count keeps" not in said, said
    doc = json.loads(out.read_text())
    by = {c["id"]: c["params"] for c in doc["claims"]}
    assert by["collision-count"]["train"]["matmul_precision"] == "medium", by["collision-count"]
    assert by["l1-decay"]["train"]["matmul_precision"] == "highest", by["l1-decay"]
    assert by["init-diagonal"]["adamw"]["matmul_precision"] == "highest", by["init-diagonal"]
