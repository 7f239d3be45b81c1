"""Shared numerics of the goldens and the model-input helpers: recipes, bounds, invariants."""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest

from dsaops.cases import _model_inputs as M
from dsaops.golden import _numerics as N

RNG = np.random.default_rng(7)


def test_bf16_rounding_is_nearest_even():
    # 1 + 2^-8 lies halfway between bf16 neighbours 1 and 1 + 2^-7: ties go to the even mantissa (1)
    assert float(N.round_bf16(np.float32(1 + 2**-8))) == 1.0
    assert float(N.round_bf16(np.float32(1 + 3 * 2**-8))) == 1 + 2**-6
    assert N.round_bf16([1.0]).dtype == ml_dtypes.bfloat16


def test_matmul_int8_is_exact():
    a = RNG.integers(-128, 128, (5, 300), dtype=np.int16).astype(np.int8)
    b = RNG.integers(-128, 128, (300, 7), dtype=np.int16).astype(np.int8)
    got = N.matmul_int8(a, b)
    want = [[sum(int(a[i, k]) * int(b[k, j]) for k in range(300)) for j in range(7)] for i in range(5)]
    assert got.dtype == np.int32 and got.tolist() == want
    with pytest.raises(TypeError):
        N.matmul_int8(a.astype(np.int16), b)


U32 = 2.0**-24  # fp32 unit roundoff


def quant_error_bound(amax, scale32, stored=None):
    """|q * stored - x| for the multiply form, derived from the arithmetic (float64 evaluation).

    y = fp32(x * f) with f = fp32(127 / amax) and scale32 = fp32(amax / 127): |q - y| <= 1/2 and
    y * scale32 = x (1 + d1)(1 + d2)(1 + d3) with |di| <= 2^-24, so |q scale32 - x| <= scale32 / 2
    + 3.01 * 2^-24 * amax. A stored scale that differs from scale32 (fp16) adds 127 |stored - scale32|.
    """
    amax = np.asarray(amax, np.float64)
    s = np.asarray(scale32, np.float64)
    extra = 0.0 if stored is None else 127 * np.abs(np.asarray(stored, np.float64) - s)
    return s / 2 + 3.01 * U32 * amax + extra


def test_per_token_quant_error_is_at_most_half_a_step():
    x = RNG.standard_normal((6, 1536), dtype=np.float32) * np.float32(3)
    q, scale = N.quant_per_token(x)
    assert q.dtype == np.int8 and scale.dtype == np.float32 and scale.shape == (6, 1)
    assert np.all(np.abs(q).max(axis=1) == 127) and q.min() >= -127
    amax = np.abs(x).max(axis=1, keepdims=True)
    assert np.array_equal(scale, amax / np.float32(127))
    err = np.abs(q.astype(np.float64) * scale - x)
    assert np.all(err <= quant_error_bound(amax, scale))


def test_quant_is_the_multiply_form_not_the_division():
    # on bf16 activations (few mantissa bits, so products land on .5 often) x * fp32(127 / amax) and
    # x / fp32(amax / 127) round differently on ~20% of 1536-wide tokens
    x = RNG.standard_normal((400, 1536), dtype=np.float32).astype(ml_dtypes.bfloat16).astype(np.float32)
    q, scale = N.quant_per_token(x)
    amax = np.abs(x).max(axis=1, keepdims=True)
    mult = np.clip(np.rint(x * (np.float32(127) / amax)), -127, 127)
    div = np.clip(np.rint(x / (amax / np.float32(127))), -127, 127)
    assert np.array_equal(q, mult.astype(np.int8))
    assert np.any(mult != div, axis=1).mean() > 0.05  # the two forms are distinguishable on these inputs
    assert not np.array_equal(q, div.astype(np.int8))


def test_quant_rounds_half_to_even_and_defines_zero_and_tiny_groups():
    x = np.array([[127.0, 0.5, 1.5, 2.5, -2.5, -0.5]], np.float32)  # amax 127: factor exactly 1
    q, scale = N.quant_per_token(x)
    assert float(scale[0, 0]) == 1.0 and q.tolist() == [[127, 0, 2, 2, -2, 0]]
    for fn in (N.quant_per_token, N.quant_per_token_head, N.quant_per_tile):
        # an all-zero group: q 0 and scale 0 (never NaN); a subnormal amax stays finite and bounded
        q, scale = fn(np.zeros((1, 128), np.float32))
        assert not q.any() and not np.asarray(scale, np.float32).any(), fn.__name__
        tiny = np.zeros((1, 128), np.float32)
        tiny[0, :3] = [1e-40, -3e-39, 2e-39]  # 127 / amax would overflow fp32 without the floor
        with np.errstate(over="raise", invalid="raise"):
            q, scale = fn(tiny)
        assert np.abs(q.astype(np.int32)).max() <= 127 and np.all(np.isfinite(np.asarray(scale, np.float32)))
        assert np.all(np.abs(q * np.asarray(scale, np.float64) - tiny) <= np.abs(tiny).max())


def test_per_token_head_quant_uses_an_fp16_scale():
    x = RNG.standard_normal((3, 64, 128), dtype=np.float32).astype(ml_dtypes.bfloat16)
    q, scale = N.quant_per_token_head(x)
    assert scale.dtype == np.float16 and scale.shape == (3, 64, 1) and q.shape == x.shape
    xf = x.astype(np.float32)
    amax = np.abs(xf).max(axis=-1, keepdims=True)
    s32 = amax / np.float32(127)
    assert np.array_equal(scale, s32.astype(np.float16))
    err = np.abs(q.astype(np.float64) * scale.astype(np.float64) - xf)
    assert np.all(err <= quant_error_bound(amax, s32, scale))


def test_per_tile_quant_bounds_and_zero_tile():
    x = RNG.standard_normal((4, 512), dtype=np.float32)
    x[1, 128:256] = 0.0  # an all-zero tile: scale 0 and q 0
    q, scale = N.quant_per_tile(x)
    assert q.shape == (4, 512) and scale.shape == (4, 4) and scale.dtype == np.float32
    assert float(scale[1, 1]) == 0.0 and not q[1, 128:256].any()
    amax = np.abs(x).reshape(4, 4, 128).max(-1)
    assert np.array_equal(scale, amax / np.float32(127))
    err = np.abs(q.astype(np.float64) * np.repeat(scale, 128, axis=1) - x)
    assert np.all(err <= np.repeat(quant_error_bound(amax, scale), 128, axis=1))
    with pytest.raises(ValueError):
        N.quant_per_tile(np.zeros((2, 100), np.float32))


def test_per_channel_weight_quant():
    w = RNG.standard_normal((64, 10), dtype=np.float32)
    q, scale = N.quant_per_channel_weight(w)
    assert q.shape == (64, 10) and scale.shape == (10, 1)
    amax = np.abs(w).max(axis=0)
    assert np.array_equal(scale[:, 0], amax / np.float32(127))
    err = np.abs(q.astype(np.float64) * scale.T - w)
    assert np.all(err <= quant_error_bound(amax, scale.T[0]))


def test_rms_norm_and_layer_norm_match_loops():
    x = RNG.standard_normal((3, 16), dtype=np.float32)
    g = RNG.standard_normal(16, dtype=np.float32)
    b = RNG.standard_normal(16, dtype=np.float32)
    for i in range(3):
        row = [float(v) for v in x[i]]
        rms = math.sqrt(sum(v * v for v in row) / 16 + 1e-5)
        np.testing.assert_allclose(N.rms_norm(x, g, 1e-5)[i], [v / rms * float(gg) for v, gg in zip(row, g)],
                                   rtol=1e-5)
        mean = sum(row) / 16
        sd = math.sqrt(sum((v - mean) ** 2 for v in row) / 16 + 1e-6)
        np.testing.assert_allclose(N.layer_norm(x, g, b, 1e-6)[i],
                                   [(v - mean) / sd * float(gg) + float(bb) for v, gg, bb in zip(row, g, b)],
                                   rtol=1e-5, atol=1e-6)


def _angles_cos_sin(pos, d=64):
    cos, sin = M.rope_cos_sin(pos, d)
    return cos.astype(np.float32), sin.astype(np.float32)


def test_rope_preserves_the_norm_of_each_pair():
    x = RNG.standard_normal((5, 3, 64), dtype=np.float32)
    inv = M.yarn_inv_freq(64)
    ang = np.outer(np.arange(5) * 37.0, inv)
    cos = np.cos(np.concatenate([ang, ang], -1)).astype(np.float32)
    sin = np.sin(np.concatenate([ang, ang], -1)).astype(np.float32)
    y = N.rope_half(x, cos, sin)
    pair = lambda v: v[..., :32] ** 2 + v[..., 32:] ** 2  # noqa: E731
    np.testing.assert_allclose(pair(y), pair(x), rtol=1e-5, atol=1e-6)
    yi = N.rope_interleaved(x, cos, sin)
    np.testing.assert_allclose(pair(yi), x[..., 0::2] ** 2 + x[..., 1::2] ** 2, rtol=1e-5, atol=1e-6)


def test_half_split_rope_dot_product_depends_only_on_position_difference():
    inv = M.yarn_inv_freq(64)
    q = RNG.standard_normal(64).astype(np.float64)
    k = RNG.standard_normal(64).astype(np.float64)

    def at(v, p):
        ang = p * inv
        c = np.cos(np.concatenate([ang, ang]))
        s = np.sin(np.concatenate([ang, ang]))
        return v * c + np.concatenate([-v[32:], v[:32]]) * s

    base = at(q, 100) @ at(k, 90)
    for shift in (1, 17, 5000, 120000):
        assert at(q, 100 + shift) @ at(k, 90 + shift) == pytest.approx(base, rel=1e-9, abs=1e-9)
    assert at(q, 100) @ at(k, 80) != pytest.approx(base, rel=1e-3)
    # the golden's fp32 form agrees with this float64 form
    c = np.cos(np.concatenate([100 * inv, 100 * inv]))[None].astype(np.float32)
    s = np.sin(np.concatenate([100 * inv, 100 * inv]))[None].astype(np.float32)
    np.testing.assert_allclose(N.rope_half(q[None].astype(np.float32), c, s)[0], at(q, 100), rtol=1e-5, atol=1e-5)


def test_rope_turns_each_pair_by_its_angle_counterclockwise():
    """Pair k is (x[k], x[k + d/2]) as the complex number x[k] + i x[k + d/2], multiplied by e^(i angle_k):
    (1, 0) goes to (cos, sin) and (0, 1) to (-sin, cos). A rotation the other way fails here."""
    d, half = 8, 4
    angles = np.array([0.3, 0.7, 1.1, 2.0])
    cos = np.cos(np.concatenate([angles, angles]))[None].astype(np.float32)
    sin = np.sin(np.concatenate([angles, angles]))[None].astype(np.float32)
    for k in range(half):
        re, im = np.zeros((1, d), np.float32), np.zeros((1, d), np.float32)
        re[0, k], im[0, k + half] = 1.0, 1.0
        c, s = math.cos(angles[k]), math.sin(angles[k])
        want_re, want_im = np.zeros(d), np.zeros(d)
        want_re[k], want_re[k + half] = c, s
        want_im[k], want_im[k + half] = -s, c
        np.testing.assert_allclose(N.rope_half(re, cos, sin)[0], want_re, atol=1e-7)
        np.testing.assert_allclose(N.rope_half(im, cos, sin)[0], want_im, atol=1e-7)
        # interleaved input: pair k is (x[2k], x[2k + 1]), output in the half-split order
        inter = np.zeros((1, d), np.float32)
        inter[0, 2 * k] = 1.0
        np.testing.assert_allclose(N.rope_interleaved(inter, cos, sin)[0], want_re, atol=1e-7)
        inter[0, 2 * k], inter[0, 2 * k + 1] = 0.0, 1.0
        np.testing.assert_allclose(N.rope_interleaved(inter, cos, sin)[0], want_im, atol=1e-7)


def test_interleaved_rope_equals_half_split_on_deinterleaved_input():
    x = RNG.standard_normal((4, 2, 64), dtype=np.float32)
    cos, sin = _angles_cos_sin(np.arange(4) + 3)
    np.testing.assert_array_equal(N.rope_interleaved(x, cos, sin),
                                  N.rope_half(np.concatenate([x[..., 0::2], x[..., 1::2]], -1), cos, sin))


def test_sylvester_hadamard_is_orthonormal_and_symmetric():
    h = N.sylvester_hadamard(128)
    np.testing.assert_allclose(h @ h.T, np.eye(128), atol=1e-12)
    np.testing.assert_array_equal(h, h.T)
    assert set(np.unique(np.abs(h) * math.sqrt(128)).tolist()) == {1.0}
    assert np.array_equal(N.sylvester_hadamard(4, normalized=False),
                          [[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]])
    with pytest.raises(ValueError):
        N.sylvester_hadamard(96)
    hb = M.hadamard_bf16(128).astype(np.float64)
    np.testing.assert_allclose(hb @ hb.T, np.eye(128), atol=2e-3)


def test_yarn_frequencies():
    base = M.yarn_inv_freq(64, factor=1.0)
    np.testing.assert_allclose(base, 10000.0 ** (-np.arange(0, 64, 2) / 64))
    yarn = M.yarn_inv_freq(64)
    # fast-rotating dims keep their frequency, slow ones are divided by the factor 40
    assert yarn[0] == base[0] and yarn[1] == base[1]
    np.testing.assert_allclose(yarn[-4:], base[-4:] / 40.0)
    assert np.all(np.diff(yarn) < 0) and np.all(yarn <= base)


def test_paged_layout_writes_into_shuffled_distinct_blocks():
    rng = np.random.default_rng(3)
    lay = M.paged_layout(rng, b=4, s1=3, s2=100, block_size=16, extra_blocks=5, variable_lengths=True)
    assert lay.kv_lens[0] == 100 and np.all((lay.kv_lens >= 3) & (lay.kv_lens <= 100))
    assert np.unique(lay.cache_index).size == 12
    used = lay.block_table[lay.block_table >= 0]
    assert np.unique(used).size == used.size and lay.block_num == used.size + 5
    assert not np.array_equal(np.sort(used), used)  # shuffled
    # tokens are batch-major, s1 = 3 per batch: token 3b + i is the i-th of the last 3 positions of batch b
    tok = 0
    for b in range(4):
        for i in range(3):
            want = int(lay.kv_lens[b]) - 3 + i
            assert lay.positions[tok] == want
            block, offset = lay.block_table[b, want // 16], want % 16
            assert block >= 0 and lay.cache_index[tok] == block * 16 + offset
            tok += 1
    assert tok == lay.cache_index.size == lay.positions.size
