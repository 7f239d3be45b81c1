"""sparse_flash_attention_antiquant golden: 656-byte rows, brute force on every smoke case, equivalences."""

from __future__ import annotations

import struct

import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import attn_brute as brute
from attn_brute import catalog, golden
from dsaops import cases
from dsaops.cases._gen import pack_kv_rows, quantized_kv_rows
from dsaops.compare import compare_float_ratio
from dsaops.errors import ConstraintError
from dsaops.golden._numerics import quant_per_tile
from dsaops.golden.sparse_flash_attention_antiquant import KV_ROW_BYTES, dequant_nope, unpack_kv_rows

OP = "sparse_flash_attention_antiquant"
BF16 = ml_dtypes.bfloat16
SMOKE = catalog(OP, "smoke")


@pytest.mark.parametrize("case", SMOKE, ids=[c["id"] for c in SMOKE])
def test_smoke_case_matches_brute_force(case):
    args = cases.generate(OP, case["params"], seed=3)
    before = {k: np.copy(v) for k, v in args.items() if isinstance(v, np.ndarray)}
    got = golden(OP)(**args)
    want = brute.sparse_flash_attention_antiquant(args)
    result = compare_float_ratio(got, want)
    assert result.passed, result.summary()
    for k, v in before.items():
        assert np.array_equal(args[k], v), k


def test_row_layout_is_ascend_byte_order():
    rng = np.random.default_rng(0)
    nope = rng.integers(-128, 128, (2, 512)).astype(np.int8)
    rope = rng.standard_normal((2, 64)).astype(BF16)
    scales = np.array([[0.5, 1.25, 3.0, 1e-8], [2.0, 4.0, 8.0, 16.0]], np.float32)
    rows = pack_kv_rows(nope, rope, scales)
    assert rows.dtype == np.int8 and rows.shape == (2, KV_ROW_BYTES) == (2, 656)
    raw = rows[0].tobytes()
    assert raw[:512] == nope[0].tobytes()
    assert raw[512:640] == struct.pack("<64H", *rope[0].view(np.uint16).tolist())
    assert raw[640:656] == struct.pack("<4f", *scales[0].tolist())
    back = unpack_kv_rows(rows)
    assert np.array_equal(back.nope, nope) and np.array_equal(back.scales, scales)
    assert np.array_equal(back.rope.view(np.uint16), rope.view(np.uint16))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**20), spread=st.floats(1e-3, 1e3))
def test_per_tile_quant_error_is_at_most_half_a_step(seed, spread):
    x = (np.random.default_rng(seed).standard_normal((3, 512)) * spread).astype(np.float32)
    q = quant_per_tile(x)
    assert q.scale.shape == (3, 4) and q.q.dtype == np.int8
    amax = np.abs(x).reshape(3, 4, 128).max(-1)
    assert np.array_equal(q.scale, amax / np.float32(127))
    # y = fp32(x * fp32(127/amax)) is within 3 fp32 roundings of x / scale, so with |q - y| <= 1/2
    # and float64 evaluation: |q * scale - x| <= scale / 2 + 3.01 * 2^-24 * amax (not the old
    # scale/2 * (1 + 1e-6), which an fp32 x/scale landing on .5 and rounding up broke)
    step = np.repeat(q.scale.astype(np.float64), 128, axis=-1)
    err = np.abs(q.q.astype(np.float64) * step - x)
    assert np.all(err <= step / 2 + 3.01 * 2.0**-24 * np.repeat(amax, 128, axis=-1))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), sbs=st.sampled_from([1, 8]), mode=st.sampled_from([0, 3]))
def test_equals_bf16_attention_on_the_dequantized_cache(seed, sbs, mode):
    params = {"B": 2, "S1": 2, "S2": 200, "N1": 4, "sparse_count": 24, "sparse_block_size": sbs,
              "sparse_mode": mode, "variable_lengths": True, "block_size": 32}
    args = cases.generate(OP, params, seed)
    got = golden(OP)(**args)
    rows = unpack_kv_rows(args["key"])
    with np.errstate(over="ignore", invalid="ignore"):  # unused cache slots hold garbage bytes
        nope = dequant_nope(rows.nope, rows.scales)
    want = golden("sparse_flash_attention")(
        args["query"][..., :512], nope, nope, args["sparse_indices"], args["scale_value"], sbs,
        block_table=args["block_table"], actual_seq_lengths_query=args["actual_seq_lengths_query"],
        actual_seq_lengths_kv=args["actual_seq_lengths_kv"], query_rope=args["query"][..., 512:],
        key_rope=rows.rope, layout_query=args["layout_query"], layout_kv=args["layout_kv"], sparse_mode=mode,
    )
    np.testing.assert_array_equal(got.astype(np.float32), want.astype(np.float32))


def test_quantized_rows_follow_the_recipe():
    rng = np.random.default_rng(1)
    c = (rng.standard_normal((4, 512)) * 3).astype(BF16)
    nope, rope, scales = quantized_kv_rows(c, np.zeros((4, 64), BF16))
    amax = np.abs(c.astype(np.float32)).reshape(4, 4, 128).max(-1)
    np.testing.assert_array_equal(scales, amax / np.float32(127))
    want = np.rint(c.astype(np.float32).reshape(4, 4, 128) * (np.float32(127) / amax)[..., None])
    np.testing.assert_array_equal(nope, want.reshape(4, 512).astype(np.int8))  # the multiply form
    assert np.abs(nope.astype(np.int32)).max() <= 127  # amax maps to exactly +-127


def test_constraint_errors():
    args = cases.generate(OP, {"B": 1, "S1": 1, "S2": 64, "N1": 4, "sparse_count": 8}, 0)
    for name, bad in (("key_quant_mode", 1), ("attention_mode", 0), ("tile_size", 64), ("rope_head_dim", 32),
                      ("quant_scale_repo_mode", 0)):
        with pytest.raises(ConstraintError, match=name):
            golden(OP)(**dict(args, **{name: bad}))
    with pytest.raises(ConstraintError, match="dequant_scale"):
        golden(OP)(**dict(args, key_dequant_scale=np.ones(1, np.float32)))
