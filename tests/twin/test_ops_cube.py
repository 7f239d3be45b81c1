"""Twin cube path against numpy: Load3Dv2 (img2col, the matmul case) into L0A with k/m windows and
enTranspose, LoadDataWithTranspose and LoadData2D ifTranspose into L0B, int8 B loaded from a
key-layout matrix without a transpose, Fixpipe quant modes (F322F16, F322BF16, DEQF16 with a scalar
and with SetFixpipePreQuantFlag; VDEQF16 with a per-column quant tensor), ReLU, NZ output to L1, atomic add, and the strict Load3Dv2 rules."""
import subprocess

import ml_dtypes
import numpy as np
import pytest

SRC = "tests/twin/cpp/ops_cube/ops_cube.cpp"
BF16 = ml_dtypes.bfloat16


@pytest.fixture(scope="module")
def exe(twin):
    return twin.build(SRC)


@pytest.fixture(scope="module")
def res(exe, twin, tmp_path_factory):
    d = tmp_path_factory.mktemp("ops_cube_out")
    subprocess.run([str(exe), str(d)], check=True, capture_output=True, env=twin.env())

    def load(name, dt=np.float32, shape=None):
        a = np.fromfile(d / f"{name}.bin", dtype=dt)
        return a.reshape(shape) if shape else a

    return load


def _f64(a):
    return a.astype(np.float64)


@pytest.mark.parametrize("tag,dt,mf,kf,m0,me,k0,ke,n", [
    ("h3d", np.float16, 40, 64, 0, 40, 0, 64, 48),      # B via LoadDataWithTranspose; m tail inside the last fractal
    ("b3d_win", BF16, 64, 96, 16, 32, 32, 48, 40),      # k/m sub-window; B via LoadData2D ifTranspose
    ("b3d_tail", BF16, 40, 64, 32, 8, 16, 48, 24),      # window reaching the last row (mExtension 8)
])
def test_load3d_float_matmul(res, tag, dt, mf, kf, m0, me, k0, ke, n):
    a = res(f"{tag}_a", dt, (mf, kf))
    b = res(f"{tag}_b", dt, (ke, n))
    want = _f64(a[m0:m0 + me, k0:k0 + ke]) @ _f64(b)
    np.testing.assert_allclose(res(tag, np.float32, (me, n)), want, rtol=1e-6, atol=1e-5)


def test_load3d_int8_window_and_transposed_b(res):
    a = res("i3d_win_a", np.int8, (48, 128)).astype(np.int64)
    b = res("i3d_win_b", np.int8, (64, 64)).astype(np.int64)
    np.testing.assert_array_equal(res("i3d_win", np.int32, (32, 64)), a[16:48, 64:128] @ b)


def test_int8_key_layout_b_needs_no_transpose(res):  # A loaded with the SetFmatrix description
    a = res("i8key_a", np.int8, (24, 64)).astype(np.int64)
    k = res("i8key_k", np.int8, (40, 64)).astype(np.int64)
    np.testing.assert_array_equal(res("i8key", np.int32, (24, 40)), a @ k.T)


def test_load3d_entranspose_half(res):
    at = res("ht_at", np.float16, (48, 32))
    b = res("ht_b", np.float16, (48, 32))
    np.testing.assert_allclose(res("ht", np.float32, (32, 32)), _f64(at).T @ _f64(b), rtol=1e-6, atol=1e-5)


def _deq(c, scale):
    s = np.array([scale], np.float32).view(np.uint32) & np.uint32(0xFFFFE000)
    return (c.astype(np.float32) * s.view(np.float32)[0]).astype(np.float16)


def test_fixpipe_quant_relu_layouts(res):
    m, n = 20, 64
    c = res("fx_c", np.float32, (m, n))
    a, b = res("fx_a", BF16, (m, 32)), res("fx_b", BF16, (32, n))
    np.testing.assert_allclose(c, _f64(a) @ _f64(b), rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(res("fx_f16", np.float16, (m, n)), c.astype(np.float16))
    np.testing.assert_array_equal(res("fx_f16_relu", np.float16, (m, n)), np.maximum(c, 0).astype(np.float16))
    np.testing.assert_array_equal(res("fx_bf16_relu", BF16, (m, n)).view(np.uint16),
                                  np.maximum(c, 0).astype(BF16).view(np.uint16))
    wide = np.full((m, 80), -7.0, np.float32)
    wide[:, :n] = np.maximum(c, 0)
    np.testing.assert_array_equal(res("fx_relu_stride80", np.float32, (m, 80)), wide)
    base = (np.arange(m * n) % 7 - 3).astype(np.float32).reshape(m, n)
    np.testing.assert_array_equal(res("fx_atomic", np.float32, (m, n)), (base + c) + c)
    nz = res("fx_nz_l1", np.float32, (n // 16, 48 * 8))  # 48 x 32 B per column block
    for j in range(n // 16):
        blk = nz[j, : m * 16].reshape(m, 16)
        np.testing.assert_array_equal(blk, c[:, j * 16:(j + 1) * 16])
        assert np.all(nz[j, m * 16:] == 0)  # rows past mSize untouched


def test_fixpipe_deqf16(res):
    m, n = 20, 64
    ci = res("fq_c", np.int32, (m, n))
    a, b = res("fq_a", np.int8, (m, 64)).astype(np.int64), res("fq_b", np.int8, (64, n)).astype(np.int64)
    np.testing.assert_array_equal(ci, a @ b)
    np.testing.assert_array_equal(res("fq_deq_1_1024", np.float16, (m, n)), _deq(ci, 1 / 1024))
    relu = _deq(np.maximum(ci, 0), 0.0123)
    got = res("fq_deq_0123_relu", np.float16, (m, n))
    np.testing.assert_array_equal(got, relu)
    assert not np.array_equal(got, (np.maximum(ci, 0) * np.float32(0.0123)).astype(np.float16))  # scale truncated
    np.testing.assert_array_equal(res("fq_deq_flag_0371", np.float16, (m, n)), _deq(ci, 0.0371))


def test_fixpipe_vdeqf16_per_column(res):
    m, n = 20, 64
    ci = res("fq_c", np.int32, (m, n))
    sc = res("fq_vdeq_scales")
    trunc = (sc.view(np.uint32) & np.uint32(0xFFFFE000)).view(np.float32)
    want = (ci.astype(np.float32) * trunc[None, :]).astype(np.float16)
    np.testing.assert_array_equal(res("fq_vdeq", np.float16, (m, n)), want)
    np.testing.assert_array_equal(res("fq_vdeq_relu", np.float16, (m, n)), np.maximum(want, 0))


@pytest.mark.parametrize("case,expect", [
    ("l3d_stride", "only stride 1, filter 1 x 1, dilation 1"),
    ("l3d_kstart", "kStartPt must be a multiple of 16 for this dtype: kStartPt = 8"),
    ("l3d_mwin", "the m window must lie inside the img2col rows"),
    ("l3d_channel", "channelSize must be a multiple of C0 = 16"),
    ("l3d_msub", "mStartPt and mExtension must be multiples of 16 unless the window covers the last row fractal"),
    ("l3d_transpose_bf16", "enTranspose is documented for half only (dst A2): dtype bfloat16"),
    ("ldt_overlap", "LoadDataWithTranspose: transposed fractals must not overlap in dst"),
    ("fix_quant", "Fixpipe: quant mode not modelled by the twin"),
    ("l3d_no_fmatrix", "isSetFMatrix = false needs an earlier SetFmatrix"),
    ("fix_vdeq_no_tensor", "Fixpipe: VDEQF16 needs the quant tensor (the cbufWorkspace overload)"),
])
def test_strict_rules(exe, twin, case, expect):
    out = subprocess.run([str(exe), "fail", case], check=True, capture_output=True, text=True, env=twin.env()).stdout
    assert "ops_cube.cpp:" in out and expect in out, out
