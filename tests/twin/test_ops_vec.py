"""Twin compute APIs against numpy: vector ops, Cast rounding, reductions, compare/select/gather,
Sort32 + MrgSort, the cube path (L1 -> L0 -> Mmad -> Fixpipe NZ2ND), and one broken call per strict rule."""
import subprocess

import ml_dtypes
import numpy as np
import pytest

SRC = "tests/twin/cpp/ops_vec/ops_vec.cpp"


@pytest.fixture(scope="module")
def exe(twin):
    return twin.build(SRC)


@pytest.fixture(scope="module")
def res(exe, twin, tmp_path_factory):
    d = tmp_path_factory.mktemp("ops_vec_out")
    subprocess.run([str(exe), str(d)], check=True, capture_output=True, env=twin.env())
    return lambda name, dt=np.float32: np.fromfile(d / f"{name}.bin", dtype=dt)


def test_elementwise(res):
    x, y = res("x"), res("y")
    np.testing.assert_array_equal(res("add"), (x + y)[:300])
    np.testing.assert_array_equal(res("sub"), x - y)
    np.testing.assert_array_equal(res("div"), x / y)
    np.testing.assert_array_equal(res("max"), np.maximum(x, y))
    np.testing.assert_array_equal(res("muls"), x * np.float32(0.5))
    np.testing.assert_allclose(res("exp"), np.exp(x), rtol=1e-6)
    np.testing.assert_allclose(res("ln"), np.log(y), rtol=1e-6)
    np.testing.assert_allclose(res("rsqrt"), 1 / np.sqrt(y), rtol=1e-6)
    np.testing.assert_array_equal(res("relu"), np.maximum(x, 0))


def test_mask_repeat_strides(res):
    x, y = res("x"), res("y")
    exp = np.full(512, 7.0, np.float32)
    for r in range(2):  # 40 elements per repeat; src0 block stride 2; dst/src0 repeat stride 16 blocks
        for e in range(40):
            d = r * 128 + e
            s0 = r * 128 + (e // 8) * 16 + e % 8
            s1 = r * 64 + e
            exp[d] = x[s0] * y[s1]
    np.testing.assert_array_equal(res("mul_strided"), exp)
    exp = np.full(512, 7.0, np.float32)
    for r in range(3):
        for e in range(1, 64, 2):
            exp[r * 64 + e] = x[r * 64 + e] + 1
    np.testing.assert_array_equal(res("adds_bitmask"), exp)


def test_half_rounds_per_op(res):
    xh, yh = res("xh", np.float16), res("yh", np.float16)
    np.testing.assert_array_equal(xh, res("x").astype(np.float16))
    np.testing.assert_array_equal(res("mulh", np.float16), (xh.astype(np.float32) * yh.astype(np.float32)).astype(np.float16))


def _neighbours16(x):
    h = x.astype(np.float16)
    up = np.nextafter(h, np.float16(np.inf))
    dn = np.nextafter(h, np.float16(-np.inf))
    lo = np.where(h.astype(np.float32) <= x, h, dn)
    hi = np.where(h.astype(np.float32) >= x, h, up)
    return lo, hi


def test_cast_rounding_modes(res, cast_ref):
    x = res("cx")
    np.testing.assert_array_equal(res("cast_f2h_rint", np.float16), x.astype(np.float16))
    np.testing.assert_array_equal(res("cast_f2h_none", np.float16), x.astype(np.float16))
    lo, hi = _neighbours16(x)
    np.testing.assert_array_equal(res("cast_f2h_floor", np.float16), lo)
    np.testing.assert_array_equal(res("cast_f2h_ceil", np.float16), hi)
    np.testing.assert_array_equal(res("cast_f2h_trunc", np.float16), np.where(x > 0, lo, hi))
    odd = res("cast_f2h_odd", np.float16)
    exact = lo == hi
    assert np.all(odd[exact] == lo[exact])
    assert np.all(odd[~exact].view(np.uint16) & 1 == 1)
    np.testing.assert_array_equal(res("cast_f2i_rint", np.int32), np.rint(x).astype(np.int32))
    np.testing.assert_array_equal(res("cast_f2i_floor", np.int32), np.floor(x).astype(np.int32))
    np.testing.assert_array_equal(res("cast_f2i_ceil", np.int32), np.ceil(x).astype(np.int32))
    np.testing.assert_array_equal(res("cast_f2i_trunc", np.int32), np.trunc(x).astype(np.int32))
    away = np.sign(x) * np.floor(np.abs(x) + 0.5)
    np.testing.assert_array_equal(res("cast_f2i_round", np.int32), away.astype(np.int32))
    np.testing.assert_array_equal(res("cast_f2bf_rint", np.uint16), x.astype(ml_dtypes.bfloat16).view(np.uint16))
    tb = res("cast_f2bf_trunc", np.uint16)
    np.testing.assert_array_equal(tb, (x.view(np.uint32) >> 16).astype(np.uint16))
    # every dumped output against the independent reference (random data hold no exact ties: those are
    # in test_ops_edge.py::test_cast_ties_every_mode)
    for mode in ("none", "rint", "floor", "ceil", "round", "trunc", "odd"):
        np.testing.assert_array_equal(res(f"cast_f2h_{mode}", np.float16).astype(np.float64), cast_ref(x, "half", mode),
                                      err_msg=f"float -> half {mode}")
    for mode in ("rint", "floor", "ceil", "round", "trunc"):
        np.testing.assert_array_equal(res(f"cast_f2bf_{mode}", ml_dtypes.bfloat16).astype(np.float64),
                                      cast_ref(x, "bf16", mode), err_msg=f"float -> bfloat16 {mode}")
        np.testing.assert_array_equal(res(f"cast_f2i_{mode}", np.int32), cast_ref(x, "int32", mode),
                                      err_msg=f"float -> int32 {mode}")


def _tree(v):
    v = list(v)
    while len(v) > 1:
        v = [np.float32(v[i] + v[i + 1]) for i in range(0, len(v), 2)]
    return v[0]


def test_reductions(res):
    x = res("rx")
    parts = [_tree(np.pad(x[i:min(i + 64, 500)], (0, 64 - len(x[i:min(i + 64, 500)])))) for i in range(0, 500, 64)]
    s = parts[0]
    for p in parts[1:]:
        s = np.float32(s + p)
    assert res("reducesum")[0] == s
    rm = res("reducemax")
    assert rm[0] == x[:500].max() and rm[1:2].view(np.uint32)[0] == np.argmax(x[:500])
    np.testing.assert_array_equal(res("wholesum"), [_tree(x[i * 64:(i + 1) * 64]) for i in range(8)])
    wm = res("wholemax").reshape(8, 2)
    np.testing.assert_array_equal(wm[:, 0], x.reshape(8, 64).max(1))
    np.testing.assert_array_equal(wm[:, 1].view(np.uint32), x.reshape(8, 64).argmax(1))
    np.testing.assert_array_equal(res("blocksum"), [_tree(x[i * 8:(i + 1) * 8]) for i in range(16)])


def test_compare_select_gather(res):
    x, y = res("rx")[:256], res("sy")
    bits = np.unpackbits(res("cmp_lt", np.uint8), bitorder="little").astype(bool)
    np.testing.assert_array_equal(bits, x < y)
    np.testing.assert_array_equal(res("sel"), np.where(bits, x, y))
    np.testing.assert_array_equal(res("sel_scalar"), np.where(bits, x, np.float32(9)))
    np.testing.assert_array_equal(res("gm_odd"), res("rx")[1:128:2])
    assert res("gm_odd_cnt")[0] == 64
    np.testing.assert_array_equal(res("gather"), res("rx")[(np.arange(64) * 37) % 512])


def test_sort32_mrgsort_ties(res):
    s = res("sx")
    out = res("sorted").view(np.uint32).reshape(128, 2)
    scores, idx = out[:, 0].view(np.float32), out[:, 1]
    order = np.argsort(-s, kind="stable")  # descending, ties keep the lower index first
    np.testing.assert_array_equal(scores, s[order])
    np.testing.assert_array_equal(idx, order)


def test_cube_int8_and_bf16(res):
    a = res("mm_int8_a", np.int8).astype(np.int64).reshape(40, 96)
    b = res("mm_int8_b", np.int8).astype(np.int64).reshape(96, 48)
    np.testing.assert_array_equal(res("mm_int8", np.int32).reshape(40, 48), a @ b)
    a = res("mm_bf16_a", ml_dtypes.bfloat16).astype(np.float64).reshape(33, 50)
    b = res("mm_bf16_b", ml_dtypes.bfloat16).astype(np.float64).reshape(50, 40)
    np.testing.assert_allclose(res("mm_bf16").reshape(33, 40), a @ b, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("case,expect", [
    ("not_ub", "Add: vector operands must be in UB: dst is in L1"),
    ("extent", "Add: operand extent outside the tensor's buffer"),
    ("repeat", "Add: repeatTime must be in [0, 255]: repeatTime = 300"),
    ("align", "Add: UB address must be 32-byte aligned"),
    ("mask", "Add: continuous mask must be in [1, 64] for this dtype: mask = 65"),
    ("cast_mode", "Cast: round mode not supported for this conversion on A2/A3: float16 -> int32 with CAST_ODD"),
    ("compare_count", "Compare: count elements must fill whole 256-byte repeats"),
    ("reduce_tmp", "ReduceSum: sharedTmpBuffer too small"),
])
def test_strict_rules(exe, twin, case, expect):
    out = subprocess.run([str(exe), "fail", case], check=True, capture_output=True, text=True, env=twin.env()).stdout
    assert "ops_vec.cpp:" in out and expect in out, out
