"""lightning_indexer_prolog_quant golden against a per-token float64 brute force, plus properties."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from prolog_reference import f64, indexer_token

from dsaops.cases.lightning_indexer_prolog_quant import make_inputs
from dsaops.compare import compare_float_ratio, compare_fp16_scale, compare_int8
from dsaops.errors import ConstraintError
from dsaops.golden._numerics import dequant
from dsaops.golden.lightning_indexer_prolog_quant import LightningIndexerPrologQuantOutputs, lightning_indexer_prolog_quant
from dsaops.golden.lightning_indexer_prolog_quant import unconstrained as indexer_prolog_any_dims

SMALL = dict(B=2, S1=2, S2=50, block_size=16, H=64, q_lora_rank=32, rope_dim=16, idx_n_heads=4, idx_head_dim=32)


def _slots(cache, index):
    return cache.reshape((-1,) + cache.shape[2:])[index][:, 0]


def _refs(args, **over):
    a = {**args, **over}
    a.update({k: f64(a[k]) for k in ("w_qb_in", "wk_in", "w_proj_in")})  # converted once, not per token
    return [
        indexer_token(a["x_in"][i], a["q_norm_in"][i], a["w_qb_in"], a["wk_in"], a["w_proj_in"], a["ln_gamma_k_in"],
                      a["ln_beta_k_in"], a["cos_idx_rope_in"][i], a["sin_idx_rope_in"][i], a["layernorm_epsilon_k"],
                      q_scale=float(a["q_norm_scale_in"][i, 0]), w_qb_scale=a["w_qb_scale_in"],
                      hadamard_q=a["hadamard_q_in"], hadamard_k=a["hadamard_k_in"])
        for i in range(a["x_in"].shape[0])
    ]


@pytest.fixture(scope="module")
def small():
    args = make_inputs(SMALL, np.random.default_rng(21))
    return args, indexer_prolog_any_dims(**args)


def test_matches_brute_force(small):
    check_against_brute_force(*small)


def check_against_brute_force(args, out):
    refs = _refs(args)
    q_int8 = np.array([r["q_int8"] for r in refs])
    assert compare_int8(out.q_int8_out, q_int8)
    assert np.mean(out.q_int8_out == q_int8) > 0.99
    res = compare_fp16_scale(out.q_scale_out[..., 0], np.array([r["q_scale"] for r in refs]))
    assert res, res.summary()
    idx = args["k_cache_index_in"]
    assert compare_int8(_slots(out.k_int8_out, idx), np.array([r["k_int8"] for r in refs]))
    res = compare_fp16_scale(_slots(out.k_scale_out, idx)[:, 0], np.array([r["k_scale"] for r in refs]))
    assert res, res.summary()
    res = compare_float_ratio(out.weights_out, np.stack([r["weights_f64"] for r in refs]))
    assert res, res.summary()


def test_untouched_cache_slots_keep_their_bytes(small):
    args, out = small
    idx = args["k_cache_index_in"]
    for name_in, got in (("k_int8_in", out.k_int8_out), ("k_scale_in", out.k_scale_out)):
        before = args[name_in].reshape(-1, args[name_in].shape[-1])
        after = got.reshape(before.shape)
        keep = np.ones(before.shape[0], bool)
        keep[idx] = False
        assert before[keep].tobytes() == after[keep].tobytes(), name_in
        assert before[~keep].tobytes() != after[~keep].tobytes(), name_in


def test_hadamard_is_undone_by_its_transpose(small):
    """With the orthonormal Sylvester H, dequant(q) @ H^T recovers the pre-Hadamard (roped) q."""
    args, out = small
    h = args["hadamard_q_in"].astype(np.float64)
    refs_plain = _refs(args, hadamard_q_in=np.eye(32, dtype=ml_dtypes.bfloat16),
                       hadamard_k_in=np.eye(32, dtype=ml_dtypes.bfloat16))
    q_deq = dequant(out.q_int8_out, out.q_scale_out).astype(np.float64)
    back = q_deq @ h.T
    plain = np.stack([r["q"] for r in refs_plain])
    scale = out.q_scale_out.astype(np.float64)
    # quantization error <= scale/2 per element; H^T mixes 32 of them with weights 1/sqrt(32)
    assert np.all(np.abs(back - plain) <= scale * np.sqrt(32) / 2 + 2e-2 * np.abs(plain) + 1e-3)


def test_rope_touches_only_the_first_rope_dims(small):
    args, _ = small
    eye = np.eye(32, dtype=ml_dtypes.bfloat16)
    a = {**args, "hadamard_q_in": eye, "hadamard_k_in": eye}
    out = indexer_prolog_any_dims(**a)
    b = {**a, "cos_idx_rope_in": np.ones_like(a["cos_idx_rope_in"]),
         "sin_idx_rope_in": np.zeros_like(a["sin_idx_rope_in"])}
    out_id = indexer_prolog_any_dims(**b)  # cos 1, sin 0: RoPE is the identity
    rope = a["cos_idx_rope_in"].shape[1]
    deq = dequant(out.q_int8_out, out.q_scale_out).astype(np.float64)
    deq_id = dequant(out_id.q_int8_out, out_id.q_scale_out).astype(np.float64)
    bound = (out.q_scale_out.astype(np.float64) + out_id.q_scale_out.astype(np.float64)) / 2 * (1 + 1e-3)
    # dims past the rope part are the same values, quantized with possibly different scales
    assert np.all(np.abs(deq[..., rope:] - deq_id[..., rope:]) <= bound)
    # the rope dims really rotate
    assert np.mean(np.abs(deq[..., :rope] - deq_id[..., :rope]) > bound) > 0.5
    # the L2 norm of every head is preserved by the rotation (up to bf16/int8 rounding)
    n1 = np.linalg.norm(dequant(out.q_int8_out, out.q_scale_out), axis=-1)
    n2 = np.linalg.norm(dequant(out_id.q_int8_out, out_id.q_scale_out), axis=-1)
    np.testing.assert_allclose(n1, n2, rtol=3e-2)


def test_weights_carry_the_head_and_dim_scale(small):
    args, out = small
    raw = args["x_in"].astype(np.float64) @ args["w_proj_in"].astype(np.float64)
    np.testing.assert_allclose(out.weights_out.astype(np.float64), raw / np.sqrt(4 * 32), rtol=1e-2, atol=1e-4)


def test_model_dimensions_match_brute_force(catalog_case):
    _, _, result = catalog_case("lightning_indexer_prolog_quant", "decode_b2_s1_1")  # shared with the export test
    out = LightningIndexerPrologQuantOutputs(**result.outputs)
    assert out.q_int8_out.shape == (2, 64, 128) and out.q_scale_out.shape == (2, 64, 1)
    assert out.weights_out.shape == (2, 64) and out.weights_out.dtype == np.float16
    check_against_brute_force(result.inputs, out)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.update(layout_query="BSND"), "layout_query must be 'TND', got 'BSND'"),
        (lambda a: a.update(k_scale_in=a["k_scale_in"].astype(np.float32)), "k_scale_in dtype must be float16"),
        (lambda a: a.update(hadamard_q_in=a["hadamard_q_in"][:16, :16]), "hadamard_q_in idx_head_dim must be 32"),
        (lambda a: a.update(layernorm_epsilon_k=0.0), "layernorm_epsilon_k must be a finite number > 0, got 0.0"),
        (lambda a: a.update(k_cache_index_in=a["k_cache_index_in"][:-1]), "k_cache_index_in t must be 4"),
    ],
)
def test_bad_arguments_raise_constraint_error(change, message):
    args = make_inputs(SMALL, np.random.default_rng(6))
    change(args)
    with pytest.raises(ConstraintError) as info:
        indexer_prolog_any_dims(**args)
    assert message in str(info.value)


def test_public_golden_applies_the_opdef_constraints():
    with pytest.raises(ConstraintError, match="lightning_indexer_prolog_quant: .*must be"):
        lightning_indexer_prolog_quant(**make_inputs(SMALL, np.random.default_rng(6)))
