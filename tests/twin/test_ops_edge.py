"""Twin vector APIs against numpy with edge values (±inf, -0.0, int32 extremes, ties): Min, Max on int32,
Maxs, Mins, Sqrt, Reciprocal, Abs (count and mask/repeat forms), ReduceMin, BlockReduceMin, CompareScalar,
and Cast of exact ties of both signs in every round mode (a flipped tie direction fails here)."""
import subprocess

import ml_dtypes
import numpy as np
import pytest

SRC = "tests/twin/cpp/ops_edge/ops_edge.cpp"


@pytest.fixture(scope="module")
def res(twin, tmp_path_factory):
    exe = twin.build(SRC)
    d = tmp_path_factory.mktemp("ops_edge_out")
    proc = subprocess.run([str(exe), str(d)], capture_output=True, text=True, env=twin.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return lambda name, dt=np.float32: np.fromfile(d / f"{name}.bin", dtype=dt)


def _bits(a):
    """Bit patterns, so -0.0 and +0.0 differ (no NaN is expected where this is used)."""
    a = np.asarray(a)
    return a.view({2: np.uint16, 4: np.uint32}[a.dtype.itemsize])


def _mask(words, per):
    return np.array([(int(words[e // 64]) >> (e % 64)) & 1 for e in range(per)], bool)


def _pos(r, e, blk, rep, epb):
    """Element offset of element e of repeat r with a block stride and a repeat stride (in 32 B blocks)."""
    return r * rep * epb + (e // epb) * blk * epb + e % epb


def test_inputs_hold_the_edge_values(res):
    x, y = res("x"), res("y")
    assert np.isposinf(x[5]) and np.isneginf(x[69]) and np.signbit(x[133]) and x[133] == 0
    assert np.isneginf(y[261]) and np.isposinf(y[325])
    np.testing.assert_array_equal(res("xh", np.float16), x.astype(np.float16))


def test_min_count_forms(res):
    x, y = res("x"), res("y")
    np.testing.assert_array_equal(_bits(res("min_f")), _bits(np.minimum(x, y)))
    xh, yh = res("xh", np.float16), res("yh", np.float16)
    np.testing.assert_array_equal(_bits(res("min_h", np.float16)), _bits(np.minimum(xh, yh)))
    xi, yi = res("xi", np.int32), res("yi", np.int32)
    assert xi.min() == np.iinfo(np.int32).min and yi.max() == np.iinfo(np.int32).max
    np.testing.assert_array_equal(res("min_i", np.int32), np.minimum(xi, yi))
    np.testing.assert_array_equal(res("max_i", np.int32), np.maximum(xi, yi))


def test_min_mask_and_repeat_params(res):
    x, y = res("x"), res("y")
    want = np.full(512, 7.0, np.float32)
    active = _mask([0x9249249249249249], 64)
    for r in range(3):
        for e in np.flatnonzero(active):
            want[_pos(r, e, 1, 8, 8)] = min(x[_pos(r, e, 1, 4, 8)], y[_pos(r, e, 2, 16, 8)])
    np.testing.assert_array_equal(res("min_f_mask"), want)
    xh, yh = res("xh", np.float16), res("yh", np.float16)
    want = np.full(512, 7.0, np.float16)
    for r in range(2):
        for e in range(100):
            want[r * 160 + e] = min(xh[r * 128 + e], yh[r * 128 + e])
    np.testing.assert_array_equal(res("min_h_mask", np.float16), want)


def test_maxs_mins(res):
    x = res("x")
    np.testing.assert_array_equal(res("maxs_f"), np.maximum(x, np.float32(0.5)))
    np.testing.assert_array_equal(res("mins_f"), np.minimum(x, np.float32(-0.25)))
    np.testing.assert_array_equal(res("mins_f_inf"), x)
    np.testing.assert_array_equal(res("maxs_f_ninf"), x)
    xh = res("xh", np.float16)
    np.testing.assert_array_equal(res("maxs_h", np.float16), np.maximum(xh, np.float16(1.5)))
    np.testing.assert_array_equal(res("mins_h", np.float16), np.minimum(xh, np.float16(-1.5)))
    xi = res("xi", np.int32)
    np.testing.assert_array_equal(res("mins_i", np.int32), np.minimum(xi, 12345))
    np.testing.assert_array_equal(res("maxs_i", np.int32), np.maximum(xi, -12345))


def test_maxs_mins_mask_and_repeat_params(res):
    x = res("x")
    want = np.full(512, 7.0, np.float32)
    for r in range(4):
        for e in range(20):
            want[_pos(r, e, 1, 4, 8)] = min(x[_pos(r, e, 2, 16, 8)], np.float32(0))
    np.testing.assert_array_equal(res("mins_f_mask"), want)
    xh = res("xh", np.float16)
    active = _mask([0x00000000FFFF0000, 0xF0F0F0F0F0F0F0F0], 128)
    want = np.full(512, 7.0, np.float16)
    for r in range(2):
        sl = slice(r * 128, (r + 1) * 128)
        want[sl] = np.where(active, np.maximum(xh[sl], np.float16(0)), want[sl])
    np.testing.assert_array_equal(res("maxs_h_mask", np.float16), want)


def test_abs_sqrt_reciprocal(res):
    x = res("x")
    a = res("abs_f")
    np.testing.assert_array_equal(_bits(a), _bits(np.abs(x)))
    assert not np.signbit(a[133]) and not np.signbit(a[453])  # |-0.0| is +0.0
    np.testing.assert_array_equal(_bits(res("sqrt_f")), _bits(np.sqrt(np.abs(x))))
    assert np.isposinf(res("sqrt_f")[5]) and res("sqrt_f")[197] == 0
    r = res("recip_f")
    nz = x != 0
    np.testing.assert_array_equal(_bits(r[nz]), _bits(np.float32(1) / x[nz]))
    assert r[5] == 0 and not np.signbit(r[5]) and r[69] == 0 and np.signbit(r[69])  # 1/±inf = ±0
    xh = res("xh", np.float16)
    f = xh.astype(np.float32)
    np.testing.assert_array_equal(_bits(res("abs_h", np.float16)), _bits(np.abs(xh)))
    np.testing.assert_array_equal(_bits(res("sqrt_h", np.float16)), _bits(np.sqrt(np.abs(f)).astype(np.float16)))
    nz = f != 0
    np.testing.assert_array_equal(_bits(res("recip_h", np.float16)[nz]), _bits((np.float32(1) / f[nz]).astype(np.float16)))


def test_unary_mask_and_repeat_params(res):
    x = res("x")
    want = np.full(512, 7.0, np.float32)
    for r in range(2):
        for e in range(50):
            want[_pos(r, e, 2, 16, 8)] = np.sqrt(np.abs(x[r * 64 + e]))
    np.testing.assert_array_equal(res("sqrt_f_mask"), want)
    active = _mask([0xFFFF00000000FFFF], 64)
    want = np.full(512, 7.0, np.float32)
    for r in range(3):
        sl = slice(r * 64, (r + 1) * 64)
        want[sl] = np.where(active, np.abs(x[sl]), want[sl])
    np.testing.assert_array_equal(res("abs_f_mask"), want)
    want = np.full(512, 7.0, np.float32)
    for r in range(2):
        want[r * 64:r * 64 + 33] = np.float32(1) / x[r * 64:r * 64 + 33]
    got = res("recip_f_mask")
    np.testing.assert_array_equal(got, want)


def _first_min(v):
    return v.min(), int(np.argmin(v))


def test_reduce_min(res):
    y = res("ry")
    val, idx = _first_min(y[:500])
    assert (val, idx) == (-9.0, 123)  # -9.0 at 123, 125 (same repeat) and 321: the first index wins
    got = res("reducemin_f")
    assert got[0] == val and got[1:2].view(np.uint32)[0] == idx
    assert np.all(res("reducemin_f_noidx")[1:] == 7.0)  # without calIndex only the value is written
    assert res("reducemin_f_noidx")[0] == val
    yh = res("ryh", np.float16)
    got = res("reducemin_h", np.float16)
    assert got[0] == yh[:300].min() and got[1:2].view(np.uint16)[0] == np.argmin(yh[:300])


def test_reduce_min_mask_forms(res):
    y = res("ry2")
    inside = np.concatenate([y[r * 64:r * 64 + 52] for r in range(4)])
    pos = np.concatenate([np.arange(r * 64, r * 64 + 52) for r in range(4)])
    got = res("reducemin_f_mask")
    assert got[0] == inside.min() == -50.0
    assert got[1:2].view(np.uint32)[0] == pos[np.argmin(inside)] == 178
    y = res("ry3")
    active = _mask([0x0FFFFFFFFFFFFFFF], 64)
    inside = np.concatenate([y[r * 64:(r + 1) * 64][active] for r in range(4)])
    pos = np.concatenate([np.arange(r * 64, (r + 1) * 64)[active] for r in range(4)])
    got = res("reducemin_f_bits")
    assert got[0] == inside.min() == -20.0
    assert got[1:2].view(np.uint32)[0] == pos[np.argmin(inside)] == 178


def test_block_reduce_min(res):
    y = res("ry3")
    np.testing.assert_array_equal(res("bmin_f")[:32], y[:256].reshape(32, 8).min(1))
    yh = res("ryh", np.float16)
    active = _mask([0x00FF00FF00FF00FF, 0x0F0F0F0F0F0F0F0F], 128)
    want = np.full(64, 7.0, np.float16)
    for r in range(2):
        rep = yh[r * 128:(r + 1) * 128]
        for b in range(8):
            want[r * 16 + b] = rep[b * 16:(b + 1) * 16][active[b * 16:(b + 1) * 16]].min()
    np.testing.assert_array_equal(res("bmin_h", np.float16), want)
    want = np.full(64, 7.0, np.float32)
    for r in range(3):  # mask 40: blocks 0-4 of each repeat; blocks without an active element are not written
        for b in range(5):
            want[r * 16 + b] = y[r * 128 + b * 8:r * 128 + b * 8 + 8].min()
    np.testing.assert_array_equal(res("bmin_f_stride"), want)


def _unpack(raw, n):
    return np.unpackbits(raw, bitorder="little").astype(bool)[:n]


@pytest.mark.parametrize("mode,op", [("lt", np.less), ("gt", np.greater), ("eq", np.equal), ("le", np.less_equal),
                                     ("ge", np.greater_equal), ("ne", np.not_equal)])
def test_compare_scalar_modes(res, mode, op):
    x = res("x")[:256]
    s = res("cs_scalar")[0]
    raw = res(f"cs_f_{mode}", np.uint8)
    want = op(x, s)
    assert want.any() and not want.all()
    np.testing.assert_array_equal(_unpack(raw, 256), want)
    assert np.all(raw[32:] == 0xA5)  # nothing written past the 256 result bits


def test_compare_scalar_edges_and_masks(res):
    x = res("x")
    eq0 = _unpack(res("cs_f_eq0", np.uint8), 512)
    np.testing.assert_array_equal(eq0, x == 0)
    assert eq0[133] and eq0[197]  # -0.0 == 0.0
    xh = res("xh", np.float16)
    np.testing.assert_array_equal(_unpack(res("cs_h_ge", np.uint8), 512), xh >= np.float16(0.5))
    got = _unpack(res("cs_f_mask", np.uint8), 512)
    for r in range(3):
        for e in range(40):
            assert got[r * 64 + e] == (x[_pos(r, e, 2, 16, 8)] > 1.0), (r, e)
    active = _mask([0x5555555555555555, 0xFFFF0000FFFF0000], 128)
    got = _unpack(res("cs_h_bits", np.uint8), 512)
    for r in range(2):
        sl = slice(r * 128, (r + 1) * 128)
        np.testing.assert_array_equal(got[sl][active], (xh[sl] <= np.float16(-1))[active])


TARGETS = {"f2h": ("half", np.float16), "f2bf": ("bf16", ml_dtypes.bfloat16), "f2i": ("int32", np.int32),
           "f2f": ("float", np.float32)}


def test_tie_inputs_are_ties(res):
    t = res("tie").astype(np.float64)
    assert len(t) == 128 and np.all(t[0::2] == -t[1::2])
    assert np.sum(np.mod(t, 1) == 0.5) == 96  # half-integers (ties for half, bf16 and int32), both signs
    assert np.sum((np.abs(t) >= 2048) & (np.mod(t, 2) == 1)) == 32  # odd integers above 2048: half ties


# float -> half has every mode; float -> bf16/int32/float only rint/floor/ceil/round/trunc on A2/A3.
CAST_CASES = [("f2h", m) for m in ("none", "rint", "floor", "ceil", "round", "trunc", "odd")] + [
    (t, m) for t in ("f2bf", "f2i", "f2f") for m in ("rint", "floor", "ceil", "round", "trunc")]


@pytest.mark.parametrize("target,mode", CAST_CASES)
def test_cast_ties_every_mode(res, cast_ref, target, mode):
    t = res("tie")
    name, dt = TARGETS[target]
    want = cast_ref(t, name, mode)
    got = res(f"tie_{target}_{mode}", dt).astype(np.float64)
    np.testing.assert_array_equal(got, want)
    if mode == "round":  # ties away from zero, in both directions
        ties = want != cast_ref(t, name, "trunc")
        assert np.any(ties & (t > 0)) and np.any(ties & (t < 0))


def test_cast_out_of_range_saturates(res):
    o = res("ovf").astype(np.float64)
    # half: finite values beyond 65504 (including 65520, which rounds to inf) give ±65504, ±inf stays
    want_h = np.where(np.isinf(o), o, np.clip(o, -65504.0, 65504.0))
    for mode in ("rint", "trunc"):
        np.testing.assert_array_equal(res(f"ovf_f2h_{mode}", np.float16).astype(np.float64), want_h, err_msg=mode)
    bf_max = float(ml_dtypes.finfo(ml_dtypes.bfloat16).max)
    got = res("ovf_f2bf_rint", ml_dtypes.bfloat16).astype(np.float64)
    assert list(got[6:10]) == [np.inf, -np.inf, bf_max, -bf_max]  # float max rounds up past bf16 max: saturated
    i32 = np.iinfo(np.int32)
    want_i = np.clip(np.nan_to_num(o, posinf=1e300, neginf=-1e300), i32.min, i32.max).astype(np.int64)
    assert want_i[12] == 2147483520 and want_i[4] == i32.max and want_i[5] == i32.min
    for mode in ("rint", "ceil"):
        np.testing.assert_array_equal(res(f"ovf_f2i_{mode}", np.int32).astype(np.int64), want_i, err_msg=mode)
