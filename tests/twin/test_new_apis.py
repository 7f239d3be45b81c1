"""APIs added for the DSA kernels, each against numpy (C++ in tests/twin/cpp/api_fidelity/new_apis.cpp).

Sort<T, isFullSort> / Concat / Extract / list MrgSort / GetSortLen / GetSortOffset, CreateVecIndex,
Arange / ArithProgression, Fill / InitGlobalMemory (with an atomic add), BlockReduceMin, PairReduceSum,
RepeatReduceSum, GetReduceMaxMinCount, Copy, SetMMLayoutTransform, TBufPool (shared pools, Reset), TQueSync, GlobalTensor::operator()
and SetL2CacheHint, ScalarCountLeadingZero, IsSameType, DataCopy CO1 -> GM / L1 with DataCopyCO12DstParams
(SetFixpipeNz2ndFlag, SetFixpipePreQuantFlag), MmadParams' accumulate constructor, the 11-argument
FixpipeParamsV220; and the errors of the unsupported or misused forms.
"""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

SRC = "tests/twin/cpp/api_fidelity/new_apis.cpp"


@pytest.fixture(scope="module")
def exe(twin):
    return twin.build(SRC)


@pytest.fixture(scope="module")
def out(exe, twin, tmp_path_factory):
    d = tmp_path_factory.mktemp("new_apis")
    proc = subprocess.run([str(exe), str(d)], capture_output=True, text=True, env=twin.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all done" in proc.stdout

    def load(name, dt=np.float32):
        return np.fromfile(d / f"{name}.bin", dtype=dt)

    load.stdout = proc.stdout
    return load


def _printed(out, label, n, conv=float):
    m = re.search(re.escape(label) + r"((?: -?[\d.e+-]+){%d})" % n, out.stdout)
    assert m, out.stdout
    return [conv(v) for v in m.group(1).split()]


def _float_structs(words):
    w = words.reshape(-1, 2)
    return w[:, 0].copy().view(np.float32), w[:, 1]


# ---- sort family ------------------------------------------------------------------------------
def test_full_sort_is_stable_descending_and_tmp_holds_the_result(out):
    s = out("sort_scores")
    order = np.argsort(-s, kind="stable")
    val, idx = _float_structs(out("sort_full", np.uint32))
    np.testing.assert_array_equal(val, s[order])
    np.testing.assert_array_equal(idx, order + 500)
    np.testing.assert_array_equal(out("sort_tmp", np.uint32), out("sort_full", np.uint32))
    np.testing.assert_array_equal(out("sort_ext_val"), s[order])
    np.testing.assert_array_equal(out("sort_ext_idx", np.uint32), order + 500)
    assert len(np.unique(s)) < 100  # ties exist, so stability is really checked


def test_sort_without_full_sort_is_sort32(out):
    s = out("sort_scores")
    val, idx = _float_structs(out("sort_32", np.uint32))
    for r in range(4):
        o = np.argsort(-s[r * 32:(r + 1) * 32], kind="stable") + r * 32
        np.testing.assert_array_equal(val[r * 32:(r + 1) * 32], s[o])
        np.testing.assert_array_equal(idx[r * 32:(r + 1) * 32], o + 500)


def test_half_full_sort(out):
    h = out("hsort_scores", np.float16)
    order = np.argsort(-h.astype(np.float32), kind="stable")
    raw = out("hsort_full", np.uint32).reshape(-1, 2)
    np.testing.assert_array_equal((raw[:, 0] & 0xFFFF).astype(np.uint16).view(np.float16), h[order])
    np.testing.assert_array_equal(raw[:, 1], order + 500)


def test_list_mrgsort_with_exhausted_suspension(out):
    s = out("sort_scores")
    runs = []
    for r, n in ((0, 32), (1, 32), (2, 5)):
        o = np.argsort(-s[r * 32:(r + 1) * 32], kind="stable")[:n] + r * 32
        runs.append([(s[i], i + 500) for i in o])
    pos, merged = [0, 0, 0], []
    while all(pos[i] < len(runs[i]) for i in range(3)):
        best = max(range(3), key=lambda i: (runs[i][pos[i]][0], -i))
        merged.append(runs[best][pos[best]])
        pos[best] += 1
    assert _printed(out, "mrgsort sortedNum", 4, int) == pos + [0]
    val, idx = _float_structs(out("mrg_list", np.uint32))
    assert list(zip(val, idx)) == merged


def test_sort_len_and_offset_are_arch_2201(out):
    assert _printed(out, "GetSortLen<half>(32)", 1, int) == [128]
    assert _printed(out, "GetSortLen<float>(32)", 1, int) == [64]
    assert _printed(out, "GetSortOffset<half>(5)", 1, int) == [20]
    assert _printed(out, "GetSortOffset<float>(5)", 1, int) == [10]


# ---- index sequences ---------------------------------------------------------------------------
def test_create_vec_index(out):
    np.testing.assert_array_equal(out("vidx_i32", np.int32), -7 + np.arange(300))
    np.testing.assert_array_equal(out("vidx_h", np.float16), (3 + np.arange(150)).astype(np.float16))
    want = np.full((3, 64), -1.0, np.float32)
    want[:, :40] = 10 + np.arange(3)[:, None] * 64 + np.arange(40)[None, :]
    np.testing.assert_array_equal(out("vidx_fmask"), want.ravel())
    bits = 0x00000000F0F0000F
    want = np.array([float(e) if (bits >> e) & 1 else -1.0 for e in range(64)], np.float32)
    np.testing.assert_array_equal(out("vidx_fbits"), want)


def test_arange_and_arith_progression(out):
    np.testing.assert_array_equal(out("arange_f"), (-1.5 + 0.25 * np.arange(200)).astype(np.float32))
    np.testing.assert_array_equal(out("arith_h", np.float16), (100 - 0.5 * np.arange(40)).astype(np.float16))
    np.testing.assert_array_equal(out("arith_i_small", np.int32), 5 - 3 * np.arange(5))


def test_arange_rounds_like_the_device_recurrence(out):
    # v8.5.0: the first 8 floats by scalar (first + diff * i), then blocks += diff * 8, repeats += diff * 64,
    # each step rounded to float32.
    d = np.float32(1 / 3)
    v = np.zeros(590, np.float32)
    v[:8] = np.float32(0) + d * np.arange(8, dtype=np.float32)
    for i in range(8, 64):
        v[i] = v[i - 8] + np.float32(d * np.float32(8))
    for i in range(64, 590):
        v[i] = v[i - 64] + np.float32(d * np.float32(64))
    got = out("arange_long")
    np.testing.assert_array_equal(got, v)
    np.testing.assert_allclose(got, np.arange(590) / 3, rtol=0, atol=1e-4)


# ---- reductions --------------------------------------------------------------------------------
def _half_sat(x):
    with np.errstate(over="ignore"):
        r = np.float16(x)
    return np.float16(np.sign(x) * 65504) if np.isinf(r) else r


def test_block_reduce_min(out):
    np.testing.assert_array_equal(out("bmin"), out("red_x").reshape(32, 8).min(1))


def test_pair_reduce_sum(out):
    hx = out("red_hx", np.float16).astype(np.float32)
    want = np.array([_half_sat(hx[2 * i] + hx[2 * i + 1]) for i in range(128)], np.float16)
    got = out("pair_h", np.float16)
    np.testing.assert_array_equal(got, want)
    assert np.any(np.abs(got) == 65504)  # a saturated pair exists
    x = out("red_x")
    want = np.full(64, -1.0, np.float32)
    for r in range(2):
        for i in range(32):
            if (2 * i) % 8 < 4:  # mask 0x0F0F...: both elements of the pair active
                want[r * 32 + i] = x[r * 64 + 2 * i] + x[r * 64 + 2 * i + 1]
    np.testing.assert_array_equal(out("pair_fbits"), want)


def _tree(vals):
    v = list(vals) + [np.float16(0)] * (128 - len(vals))
    while len(v) > 1:
        v = [_half_sat(np.float32(v[2 * i]) + np.float32(v[2 * i + 1])) for i in range(len(v) // 2)]
    return v[0]


def test_repeat_reduce_sum_tree_order(out):
    hx = out("red_hx", np.float16)
    want = np.array([_tree(hx[r * 128:r * 128 + 100]) for r in range(2)], np.float16)
    np.testing.assert_array_equal(out("rrsum_h", np.float16), want)


def test_copy_masks_strides_and_counter_mode(out):
    x = out("red_x")
    want = np.full((3, 128), -1.0, np.float32)  # dst repeat = 16 blocks = 128 floats
    for r in range(3):
        for e in range(40):
            blk, k = divmod(e, 8)
            want[r, blk * 16 + k] = x[r * 64 + e]  # dst block stride 2 (16 floats)
    np.testing.assert_array_equal(out("copy_cont"), want.ravel())
    hx = out("red_hx", np.float16)
    bits = [(0xFFFF0000FFFF0000 >> e) & 1 for e in range(64)] + [(0xFF >> e) & 1 for e in range(64)]
    act = np.tile(np.array(bits, bool), 2)
    np.testing.assert_array_equal(out("copy_bits_h", np.float16), np.where(act, hx, np.float16(-1)))
    want = np.full((3, 64), -1.0, np.float32)
    want[:, :10] = x[:192].reshape(3, 64)[:, :10]  # counter mode: 10 elements of every repeat
    np.testing.assert_array_equal(out("copy_counter"), want.ravel())


def test_get_reduce_max_min_count(out):
    x = out("red_x")
    v, i = _printed(out, "maxmin after WholeReduceMax", 2)
    assert np.float32(v) == x[64:128].max() and int(i) == int(x[64:128].argmax())
    v, i = _printed(out, "maxmin after WholeReduceMin", 2)
    assert np.float32(v) == x[128:192].min() and int(i) == int(x[128:192].argmin())


# ---- pools, sync, GM helpers ------------------------------------------------------------------
def test_tbufpool_rounds_tquesync_and_gm_operator(out):
    x = out("pool_x")
    want = 3 * x
    want[7] += 1000
    np.testing.assert_array_equal(out("pool_y"), want.astype(np.float32))
    assert _printed(out, "pool2 queue at UB offset", 1, int) == [0]  # shares pool1's start
    assert _printed(out, "cache mode", 1, int) == [0]


def test_fill_and_init_global_memory_with_atomic_add(out):
    want = np.full((4, 300), 2.5, np.float32)
    want[:, :100] += np.arange(1, 5)[:, None]
    np.testing.assert_array_equal(out("fill").reshape(4, 300), want)


def test_scalar_helpers(out):
    m = re.search(r"ScalarCountLeadingZero (\d+) (\d+) (\d+) IsSameType (\d) (\d)", out.stdout)
    assert m and m.groups() == ("63", "8", "64", "1", "0"), out.stdout
    assert _printed(out, "ceil", 6, int) == [3, 48, 2, 1, 0, 0]  # integer division of v8.5.0 (truncating)
    assert _printed(out, "int4b_t", 3, int) == [-3, 7, -1]  # 4-bit two's complement, 0x1F keeps 0xF


# ---- cube: DataCopy CO1 -> GM / L1 -------------------------------------------------------------
M, K, N = 32, 64, 48


def _c(out):
    a = out("mm_a", np.int8).reshape(M, K).astype(np.int64)
    bt = out("mm_bt", np.int8).reshape(N, K).astype(np.int64)
    return 2 * (a @ bt.T)  # Mmad twice, the second with cmatrixInitVal = false


def _nz(mat):
    return mat.reshape(M, N // 16, 16).transpose(1, 0, 2).ravel()


def test_mmad_accumulate_and_fixpipe_11_arg_constructor(out):
    np.testing.assert_array_equal(out("mm_c", np.int32).reshape(M, N), _c(out))


def test_datacopy_co12_to_gm(out):
    c = _c(out)
    deq = np.maximum(c, 0).astype(np.float32) / np.float32(256)
    np.testing.assert_array_equal(out("co12_deq", np.float16).reshape(M, N), deq.astype(np.float16))
    np.testing.assert_array_equal(out("co12_nz", np.int32), _nz(c))


def test_datacopy_co12_to_l1(out):
    c = _c(out).astype(np.float32) / np.float32(256)
    np.testing.assert_array_equal(out("co12_l1", np.float16), _nz(c.astype(np.float16)))


FAIL = {
    "pool_after_reset": "TQue::AllocTensor: queue buffers were released",
    "pool_capacity": "TBufPool::InitBuffer: TBufPool capacity exceeded: 1280 B requested at pool offset 0",
    "pool_share_len": "TPipe::InitBufPool: len must not exceed shareBuf's length",
    "tquesync_unset": "WaitFlag: WaitFlag without a matching SetFlag before it (hangs on hardware): HardEvent::V_MTE3 id 1",
    "loaddata_v2": "LoadData(LoadData2DParamsV2): not supported on A2/A3",
    "co12_l1_noquant": "DataCopy(CO1 -> L1): CO1 -> A1/B1 needs a quant mode",
    "maxmin_value_only": "GetReduceMaxMinCount: the value-only form is not supported on A2/A3",
    "fill_outside": "InitGlobalMemory: GM access outside the GlobalTensor's buffer: elements [0, 17)",
}


@pytest.mark.parametrize("case", sorted(FAIL))
def test_refused_forms(exe, twin, line_of_cpp, case):
    proc = subprocess.run([str(exe), "fail", case], capture_output=True, text=True, env=twin.env())
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = line_of_cpp(SRC, f"@fail:{case}")
    assert f"{SRC}:{line}: {FAIL[case]}" in proc.stderr, proc.stderr
