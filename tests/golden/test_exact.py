"""dsaops.golden.exact: each exact variant against an independent float64 computation (no rounding).

The references are the brute-force drivers of attn_brute.py / prolog_reference.py /
test_sparse_attention.py run with their rounding switched off: Python loops and float64
arithmetic written apart from the goldens. Also: the variants have the goldens' signatures,
and every golden passes its own double-benchmark rule against its exact variant.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

import attn_brute as brute
from prolog_reference import indexer_token, mla_token
from test_mla_indexer_prolog_quant import SMALL as MIP_SMALL
from test_sparse_attention import SMALL as FUSED_SMALL
from test_sparse_attention import _reference as fused_reference

from dsaops import cases
from dsaops.cases.lightning_indexer_prolog_quant import make_inputs as ip_inputs
from dsaops.cases.mla_indexer_prolog_quant import make_inputs as mip_inputs
from dsaops.cases.mla_prolog_quant import make_inputs as mla_inputs
from dsaops.cases.sparse_attention import make_inputs as fused_inputs
from dsaops.compare import compare_outputs
from dsaops.golden import OPS, exact
from dsaops.golden._precision import EXACT

TIGHT = dict(rtol=1e-9, atol=1e-12)


def _module(op):
    return importlib.import_module(f"dsaops.golden.{op}")


def test_every_op_with_float_outputs_has_an_exact_variant_with_the_same_signature():
    assert set(exact.OPS) == set(OPS) - {"lightning_indexer", "quant_lightning_indexer"}
    for op in exact.OPS:
        variant = getattr(exact, op)
        assert inspect.signature(variant) == inspect.signature(getattr(_module(op), op)), op
        assert variant.__name__ == op and "Exact" in variant.__doc__


# ------------------------------------------------------------------ attention ops


@pytest.mark.parametrize("params", [
    {"B": 2, "S1": 3, "S2": 70, "N1": 4, "sparse_count": 16, "sparse_block_size": 4, "sparse_mode": 3},
    {"B": 2, "S1": 2, "S2": 50, "N1": 2, "sparse_count": 12, "layout_query": "TND", "layout_kv": "TND",
     "sparse_mode": 0, "variable_lengths": True},
])
def test_sparse_flash_attention(params):
    args = cases.generate("sparse_flash_attention", params, 5)
    got = exact.sparse_flash_attention(**args)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, brute.sparse_flash_attention(args, attend=brute.exact_attend), **TIGHT)


def test_sparse_flash_attention_antiquant():
    params = {"B": 2, "S1": 2, "S2": 90, "N1": 4, "sparse_count": 20, "block_size": 32, "variable_lengths": True}
    args = cases.generate("sparse_flash_attention_antiquant", params, 6)
    got = exact.sparse_flash_attention_antiquant(**args)
    want = brute.sparse_flash_attention_antiquant(args, attend=brute.exact_attend, exact=True)
    np.testing.assert_allclose(got, want, **TIGHT)
    # the exact variant does not round the dequantized cache to bf16: it differs from the golden
    rounded = brute.sparse_flash_attention_antiquant(args, attend=brute.exact_attend)
    assert np.abs(got - rounded).max() > 1e-6


def test_sparse_flash_attention_quant():
    # below the opdef's fixed nq = 128 / topk = 2048: the maths without the opdef binding
    args = cases.generate("sparse_flash_attention_quant", {"B": 2, "S1": 2, "S2": 80, "nq": 4, "topk": 24}, 7)
    got = _module("sparse_flash_attention_quant")._compute(**args, prec=EXACT)
    np.testing.assert_allclose(got, brute.sparse_flash_attention_quant(args, attend=brute.exact_attend, exact=True),
                               **TIGHT)


# ------------------------------------------------------------------ prologs

MLA_SMALL = dict(B=2, S1=3, S2=40, block_size=16, extra_blocks=2, H=64, q_lora_rank=32, n_q=2,
                 qk_nope_head_dim=16, rope_dim=8, kv_lora_rank=256)
IP_SMALL = dict(B=2, S1=2, S2=50, block_size=16, H=64, q_lora_rank=32, rope_dim=16, idx_n_heads=4, idx_head_dim=32)


def _slots(cache, index):
    return cache.reshape((-1,) + cache.shape[2:])[index][:, 0]


def _mla_refs(a):
    return [mla_token(a["token_x"][i], a["w_dq"], a["w_uq_qr"], a["dequant_scale"], a["w_uk"], a["w_dkv_kr"],
                      a["gamma_cq"], a["gamma_ckv"], a["cos"][i], a["sin"][i], a["epsilon_cq"], a["epsilon_ckv"],
                      exact=True)
            for i in range(a["token_x"].shape[0])]


def _check_mla(out, refs, idx, nope="query_nope_out", rope="query_rope_out", kv="kv_cache_out",
               kr="kr_cache_out", ks="k_scale_cache_out", q_norm="q_norm_out"):
    if q_norm:
        assert np.mean(getattr(out, q_norm) == np.array([r["q_norm"] for r in refs])) > 0.999
        np.testing.assert_allclose(out.q_norm_scale_out[:, 0], [r["q_norm_scale"] for r in refs], **TIGHT)
    np.testing.assert_allclose(getattr(out, nope), np.stack([r["query_nope"] for r in refs]), **TIGHT)
    np.testing.assert_allclose(getattr(out, rope), np.stack([r["query_rope"] for r in refs]), **TIGHT)
    assert np.mean(_slots(getattr(out, kv), idx) == np.array([r["kv_int8"] for r in refs])) > 0.999
    np.testing.assert_allclose(_slots(getattr(out, ks), idx), [r["kv_scale"] for r in refs], **TIGHT)
    np.testing.assert_allclose(_slots(getattr(out, kr), idx), np.stack([r["k_rope"] for r in refs]), **TIGHT)
    assert getattr(out, nope).dtype == np.float64 and getattr(out, kv).dtype == np.int8


def test_mla_prolog_quant():
    args = mla_inputs(MLA_SMALL, np.random.default_rng(11))
    out = _module("mla_prolog_quant").unconstrained(**args, precision=EXACT)
    _check_mla(out, _mla_refs(args), args["cache_index"])


def _ip_refs(a, q_norm, q_scale, names):
    n = names
    return [indexer_token(a[n["x"]][i], q_norm[i], a[n["w_qb"]], a[n["wk"]], a[n["w_proj"]], a[n["gamma"]],
                          a[n["beta"]], a["cos" if "cos" in a else "cos_idx_rope_in"][i],
                          a["sin" if "sin" in a else "sin_idx_rope_in"][i], a[n["eps"]],
                          q_scale=float(np.asarray(q_scale)[i, 0]), w_qb_scale=a[n["w_qb_scale"]],
                          hadamard_q=a[n["hq"]], hadamard_k=a[n["hk"]], exact=True)
            for i in range(a[n["x"]].shape[0])]


def _check_ip(out, refs, idx, q_int8, q_scale, k_int8, k_scale, weights):
    assert np.mean(getattr(out, q_int8) == np.array([r["q_int8"] for r in refs])) > 0.999
    assert np.mean(_slots(getattr(out, k_int8), idx) == np.array([r["k_int8"] for r in refs])) > 0.999
    # fp16 scales stay quantised (the op stores them as fp16)
    assert getattr(out, q_scale).dtype == np.float16
    np.testing.assert_array_equal(getattr(out, q_scale)[..., 0],
                                  np.array([r["q_scale"] for r in refs]).astype(np.float16))
    np.testing.assert_array_equal(_slots(getattr(out, k_scale), idx)[:, 0],
                                  np.array([r["k_scale"] for r in refs]).astype(np.float16))
    np.testing.assert_allclose(getattr(out, weights), np.stack([r["weights_f64"] for r in refs]), **TIGHT)


IP_NAMES = dict(x="x_in", w_qb="w_qb_in", wk="wk_in", w_proj="w_proj_in", gamma="ln_gamma_k_in", beta="ln_beta_k_in",
                eps="layernorm_epsilon_k", w_qb_scale="w_qb_scale_in", hq="hadamard_q_in", hk="hadamard_k_in")


def test_lightning_indexer_prolog_quant():
    args = ip_inputs(IP_SMALL, np.random.default_rng(21))
    out = _module("lightning_indexer_prolog_quant").unconstrained(**args, precision=EXACT)
    refs = _ip_refs(args, args["q_norm_in"], args["q_norm_scale_in"], IP_NAMES)
    _check_ip(out, refs, args["k_cache_index_in"], "q_int8_out", "q_scale_out", "k_int8_out", "k_scale_out",
              "weights_out")


def test_mla_indexer_prolog_quant():
    args = mip_inputs(MIP_SMALL, np.random.default_rng(31))
    out = _module("mla_indexer_prolog_quant").unconstrained(**args, precision=EXACT)
    idx = args["cache_index"]
    mla_args = dict(token_x=args["token_x"], w_dq=args["mla_w_dq"], w_uq_qr=args["mla_w_uq_qr"],
                    dequant_scale=args["mla_dequant_scale"], w_uk=args["mla_w_uk"], w_dkv_kr=args["mla_w_dkv_kr"],
                    gamma_cq=args["mla_gamma_cq"], gamma_ckv=args["mla_gamma_ckv"], cos=args["cos"], sin=args["sin"],
                    epsilon_cq=args["mla_epsilon_cq"], epsilon_ckv=args["mla_epsilon_ckv"])
    mla = _mla_refs(mla_args)
    _check_mla(out, mla, idx, "mla_query_nope_out", "mla_query_rope_out", "mla_kv_cache_out", "mla_kr_cache_out",
               "mla_k_scale_cache_out", q_norm=None)
    names = dict(x="token_x", w_qb="ip_w_qb_in", wk="ip_wk_in", w_proj="ip_w_proj_in", gamma="ip_ln_gamma_k_in",
                 beta="ip_ln_beta_k_in", eps="ip_layernorm_epsilon_k", w_qb_scale="ip_w_qb_scale_in",
                 hq="ip_hadamard_q_in", hk="ip_hadamard_k_in")
    q_norm = np.array([r["q_norm"] for r in mla], np.int8)
    q_scale = np.array([[r["q_norm_scale"]] for r in mla])
    refs = _ip_refs(args, q_norm, q_scale, names)
    _check_ip(out, refs, idx, "ip_q_int8_out", "ip_q_scale_out", "ip_k_int8_out", "ip_k_scale_out", "ip_weights_out")


@pytest.mark.parametrize("sparse_count", [64, 7])
def test_sparse_attention(sparse_count):
    args = fused_inputs({**FUSED_SMALL, "sparse_count": sparse_count}, np.random.default_rng(41))
    got = exact.sparse_attention(**args)
    want, _ = fused_reference(args, sparse_count, args["softmax_scale"], exact=True)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, **TIGHT)


# ------------------------------------------------------------------ the goldens pass their own rule


@pytest.mark.parametrize("op, params", [
    ("sparse_flash_attention", {"B": 2, "S1": 2, "S2": 120, "N1": 16, "sparse_count": 64}),
    ("sparse_flash_attention_antiquant", {"B": 1, "S1": 2, "S2": 120, "N1": 16, "sparse_count": 64}),
    ("sparse_flash_attention_quant", {"B": 1, "S1": 2, "S2": 120, "nq": 128, "topk": 2048}),
    ("mla_prolog_quant", MLA_SMALL),
    ("lightning_indexer_prolog_quant", IP_SMALL),
    ("mla_indexer_prolog_quant", MIP_SMALL),
    ("sparse_attention", {**FUSED_SMALL, "sparse_count": 16}),
])
def test_each_golden_passes_the_double_benchmark_against_its_exact_variant(op, params):
    args = cases.generate(op, params, 9)
    module = _module(op)
    if hasattr(module, "unconstrained"):  # reduced model dims: the maths without the opdef's fixed sizes
        gold, ex = module.unconstrained(**args), module.unconstrained(**args, precision=EXACT)
    else:
        gold, ex = getattr(module, op)(**args), getattr(exact, op)(**args)
    verdict = compare_outputs(op, gold, gold, ex, inputs=args)
    assert verdict.passed, verdict.summary()
    floats = [r for r in verdict.results.values() if r.rule == "double_benchmark"]
    assert floats and all(r.figures["cosine"] >= 0.99999 and r.figures["rms_err_golden"] > 0 for r in floats)


def test_mla_prolog_quant_queries_are_judged_from_the_tested_q_norm():
    op = "mla_prolog_quant"
    args = mla_inputs(MLA_SMALL, np.random.default_rng(12))
    module = _module(op)
    gold, ex = module.unconstrained(**args), module.unconstrained(**args, precision=EXACT)
    # a kernel whose q_norm rounds a few values the other way (legitimate +-1) and whose queries follow from it
    q_norm = gold.q_norm_out.copy()
    for t in range(q_norm.shape[0]):
        j = int(np.argmin(np.abs(q_norm[t])))
        q_norm[t, j] += 1 if t % 2 else -1  # no rounding bias
    query = module.query_from_q_norm(args, q_norm, gold.q_norm_scale_out)
    actual = gold._replace(q_norm_out=q_norm, query_nope_out=query.query_nope, query_rope_out=query.query_rope)
    verdict = compare_outputs(op, actual, gold, ex, inputs=args)
    assert verdict.passed, verdict.summary()
    # the same queries judged against the golden's own q_norm would be condemned
    from dsaops.compare import compare_float

    assert not compare_float(actual.query_nope_out, gold.query_nope_out, ex.query_nope_out)
    # a query computed wrongly from the right q_norm fails
    wrong = actual._replace(query_rope_out=-actual.query_rope_out)
    verdict = compare_outputs(op, wrong, gold, ex, inputs=args)
    assert [r.output for r in verdict.failures()] == ["query_rope_out"]
    with pytest.raises(ValueError, match="pass inputs="):
        compare_outputs(op, actual, gold, ex)


def test_mla_indexer_prolog_quant_queries_are_judged_from_the_golden_q_norm():
    op = "mla_indexer_prolog_quant"
    args = mip_inputs(MIP_SMALL, np.random.default_rng(32))
    module = _module(op)
    gold, ex = module.unconstrained(**args), module.unconstrained(**args, precision=EXACT)
    # against the exact variant's own q_norm the golden itself misses the cosine bound...
    from dsaops.compare import compare_float

    res = compare_float(gold.mla_query_nope_out, gold.mla_query_nope_out, ex.mla_query_nope_out)
    assert res.figures["cosine"] < 0.99999
    # ...so compare_outputs shares the golden's int8 decisions; a wrong query still fails
    assert compare_outputs(op, gold, gold, ex, inputs=args).passed
    wrong = gold._replace(mla_query_nope_out=(gold.mla_query_nope_out.astype(np.float32) * 1.01).astype(
        gold.mla_query_nope_out.dtype))
    assert [r.output for r in compare_outputs(op, wrong, gold, ex, inputs=args).failures()] == ["mla_query_nope_out"]


def test_caches_are_judged_on_the_written_slots_and_keep_every_other_slot():
    op = "lightning_indexer_prolog_quant"
    args = ip_inputs(IP_SMALL, np.random.default_rng(22))
    module = _module(op)
    gold, ex = module.unconstrained(**args), module.unconstrained(**args, precision=EXACT)
    idx = args["k_cache_index_in"]
    verdict = compare_outputs(op, gold, gold, ex, inputs=args)
    k = verdict["k_int8_out"]
    assert verdict.passed and k.figures["total"] == idx.size * gold.k_int8_out.shape[-1]
    assert k.figures["untouched_slots_changed"] == 0
    # one byte of a slot the op must not touch
    spare = np.setdiff1d(np.arange(gold.k_int8_out.shape[0] * gold.k_int8_out.shape[1]), idx)[0]
    bad = gold.k_int8_out.copy()
    bad.reshape(-1, bad.shape[-1])[spare, 0] ^= 1
    res = compare_outputs(op, gold._replace(k_int8_out=bad), gold, ex, inputs=args)["k_int8_out"]
    assert not res.passed and res.reason == "1 cache slots outside cache_index changed"
    # without inputs the whole cache is judged by the int8 rule, which cannot see a +-1 there
    assert compare_outputs(op, {"k_int8_out": bad}, gold, ex).passed
