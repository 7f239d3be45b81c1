"""mla_prolog_quant golden against a per-token float64 brute force, plus cache and argument properties."""

from __future__ import annotations

import numpy as np
import pytest
from prolog_reference import bf16_close, f64, mla_token

from dsaops.cases.mla_prolog_quant import make_inputs
from dsaops.compare import compare_float_ratio, compare_int8
from dsaops.errors import CaseError, ConstraintError
from dsaops.golden._numerics import dequant_per_tile
from dsaops.golden.mla_prolog_quant import MlaPrologQuantOutputs, mla_prolog_quant
from dsaops.golden.mla_prolog_quant import unconstrained as mla_prolog_quant_any_dims

SMALL = dict(B=2, S1=3, S2=40, block_size=16, extra_blocks=2, H=64, q_lora_rank=32, n_q=2,
             qk_nope_head_dim=16, rope_dim=8, kv_lora_rank=256)


def _slots(cache, index):
    return cache.reshape((-1,) + cache.shape[2:])[index]


@pytest.fixture(scope="module")
def small():
    args = make_inputs(SMALL, np.random.default_rng(11))
    return args, mla_prolog_quant_any_dims(**args)


def test_matches_brute_force(small):
    check_against_brute_force(*small)


def check_against_brute_force(args, out):
    args = {**args, **{k: f64(args[k]) for k in ("w_dq", "w_uq_qr", "w_uk", "w_dkv_kr")}}  # converted once
    refs = [
        mla_token(args["token_x"][i], args["w_dq"], args["w_uq_qr"], args["dequant_scale"], args["w_uk"],
                  args["w_dkv_kr"], args["gamma_cq"], args["gamma_ckv"], args["cos"][i], args["sin"][i],
                  args["epsilon_cq"], args["epsilon_ckv"])
        for i in range(args["token_x"].shape[0])
    ]
    q_norm = np.array([r["q_norm"] for r in refs])
    assert compare_int8(out.q_norm_out, q_norm)
    assert np.mean(out.q_norm_out == q_norm) > 0.99
    np.testing.assert_allclose(out.q_norm_scale_out[:, 0], [r["q_norm_scale"] for r in refs], rtol=1e-6)
    for name, key in (("query_nope_out", "query_nope"), ("query_rope_out", "query_rope")):
        res = bf16_close(getattr(out, name), np.stack([r[key] for r in refs]))
        assert res, f"{name}: {res.summary()}"
    idx = args["cache_index"]
    assert compare_int8(_slots(out.kv_cache_out, idx)[:, 0], np.array([r["kv_int8"] for r in refs]))
    np.testing.assert_allclose(_slots(out.k_scale_cache_out, idx)[:, 0], [r["kv_scale"] for r in refs], rtol=1e-6)
    res = bf16_close(_slots(out.kr_cache_out, idx)[:, 0], np.stack([r["k_rope"] for r in refs]))
    assert res, res.summary()


def test_output_dtypes_and_shapes(small):
    args, out = small
    t = args["token_x"].shape[0]
    assert (out.q_norm_out.dtype, out.q_norm_out.shape) == (np.int8, (t, 32))
    assert (out.q_norm_scale_out.dtype, out.q_norm_scale_out.shape) == (np.float32, (t, 1))
    assert out.query_nope_out.shape == (t, 2, 256) and out.query_nope_out.dtype.name == "bfloat16"
    assert out.query_rope_out.shape == (t, 2, 8) and out.query_rope_out.dtype.name == "bfloat16"
    assert out.kv_cache_out.dtype == np.int8 and out.kv_cache_out.shape == args["kv_cache"].shape
    assert out.k_scale_cache_out.shape == args["k_scale_cache"].shape[:3] + (2,)


def test_untouched_cache_slots_keep_their_bytes(small):
    args, out = small
    idx = args["cache_index"]
    for name in ("kv_cache", "kr_cache", "k_scale_cache"):
        before = args[name].reshape(-1, args[name].shape[-1])
        after = getattr(out, name + "_out").reshape(-1, args[name].shape[-1])
        keep = np.ones(before.shape[0], bool)
        keep[idx] = False
        assert before.tobytes() != after.tobytes()
        assert before[keep].tobytes() == after[keep].tobytes(), name


def test_inputs_are_not_modified():
    args = make_inputs(SMALL, np.random.default_rng(12))
    copies = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in args.items()}
    mla_prolog_quant_any_dims(**args)
    for k, v in args.items():
        if isinstance(v, np.ndarray):
            assert v.tobytes() == copies[k].tobytes(), k


def test_kv_cache_dequantizes_to_the_normalized_latent(small):
    args, out = small
    idx = args["cache_index"]
    deq = dequant_per_tile(_slots(out.kv_cache_out, idx)[:, 0], _slots(out.k_scale_cache_out, idx)[:, 0])
    scale = np.repeat(_slots(out.k_scale_cache_out, idx)[:, 0], 128, axis=-1)
    ref = np.stack([mla_token(args["token_x"][i], args["w_dq"], args["w_uq_qr"], args["dequant_scale"],
                              args["w_uk"], args["w_dkv_kr"], args["gamma_cq"], args["gamma_ckv"], args["cos"][i],
                              args["sin"][i], 1e-5, 1e-5)["c_kv"] for i in range(len(idx))])
    assert np.all(np.abs(deq - ref) <= scale / 2 * (1 + 1e-5))


def test_model_dimensions_match_brute_force(catalog_case):
    _, _, result = catalog_case("mla_prolog_quant", "decode_b2_s1_1")  # shared with tests/test_golden_export.py
    out = MlaPrologQuantOutputs(**result.outputs)
    assert out.query_nope_out.shape == (2, 128, 512)
    assert out.q_norm_out.shape == (2, 1536)
    check_against_brute_force(result.inputs, out)
    # weights ~ N(0, 1/fan_in) keep activations O(1): the absorbed query is neither tiny nor huge
    rms = float(np.sqrt(np.mean(out.query_nope_out.astype(np.float32) ** 2)))
    assert 0.1 < rms < 10


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.update(cache_index=np.array([0, 0, 1, 2, 3, 4], np.int64)), "cache_index entries must be distinct"),
        (lambda a: a.update(cache_index=a["cache_index"] + 10_000), "cache_index entries must lie in [0, "),
        (lambda a: a.update(cache_index=a["cache_index"].astype(np.int32)), "cache_index dtype must be int64"),
        (lambda a: a.update(w_uq_qr=a["w_uq_qr"].astype(np.float32)), "w_uq_qr dtype must be int8"),
        (lambda a: a.update(cos=a["cos"][:, :6], sin=a["sin"][:, :6]), "mla_prolog_quant: w_dkv_kr columns"),
        (lambda a: a.update(cache_mode="BSND"), "cache_mode must be 'PA_BSND', got 'BSND'"),
    ],
)
def test_bad_arguments_raise_constraint_error(change, message):
    args = make_inputs(SMALL, np.random.default_rng(5))
    change(args)
    with pytest.raises(ConstraintError) as info:
        mla_prolog_quant_any_dims(**args)
    assert message in str(info.value)


def test_public_golden_applies_the_opdef_constraints(catalog_case):
    args = make_inputs(SMALL, np.random.default_rng(5))
    with pytest.raises(ConstraintError) as info:
        mla_prolog_quant(**args)
    assert str(info.value) == "mla_prolog_quant: k_scale_cache dim 3 must be 4, got 2 (shape [8, 16, 1, 2])"
    _, _, result = catalog_case("mla_prolog_quant", "decode_b2_s1_1")  # model-size inputs, generated once
    args = {**result.inputs, "cache_index": result.inputs["cache_index"] + 10_000}
    with pytest.raises(ConstraintError) as info:
        mla_prolog_quant(**args)
    assert str(info.value) == ("mla_prolog_quant: cache_index entries must lie in [0, block_num * block_size), got "
                               f"block_num={args['kv_cache'].shape[0]}, block_size=128, "
                               f"cache_index={args['cache_index'].tolist()}")


def test_generator_rejects_unknown_and_bad_knobs():
    with pytest.raises(CaseError, match="unknown case knob 'S3'"):
        make_inputs({"S3": 1}, np.random.default_rng(0))
    with pytest.raises(CaseError, match="block_size must be a multiple of 16, got 20"):
        make_inputs({"block_size": 20}, np.random.default_rng(0))
    with pytest.raises(CaseError, match="S2 must be >= S1"):
        make_inputs({**SMALL, "S1": 50}, np.random.default_rng(0))
