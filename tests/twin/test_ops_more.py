"""Twin vector APIs against numpy, beyond test_ops_vec: Sort32 on half (8-byte structures: score in
bytes 0-1, uint32 index in bytes 4-7) with MrgSort and Extract, MrgSort with ifExhaustedSuspension and
GetMrgSortResult, Brcb with block/repeat strides, BlockReduceMax, WholeReduceMin (value/index orders),
Select mode 0, and the isSetMask = false path with SetVectorMask in normal and counter mode."""
import subprocess

import numpy as np
import pytest

SRC = "tests/twin/cpp/ops_more/ops_more.cpp"


@pytest.fixture(scope="module")
def res(twin, tmp_path_factory):
    exe = twin.build(SRC)
    d = tmp_path_factory.mktemp("ops_more_out")
    subprocess.run([str(exe), str(d)], check=True, capture_output=True, env=twin.env())

    def load(name, dt=np.float32, shape=None):
        a = np.fromfile(d / f"{name}.bin", dtype=dt)
        return a.reshape(shape) if shape else a

    return load


def _half_structs(raw):
    s = raw.reshape(-1, 8)
    return s[:, 0:2].copy().view(np.float16)[:, 0], s[:, 4:8].copy().view(np.uint32)[:, 0]


def test_sort32_half_layout_mrgsort_extract(res):
    sc = res("h_scores", np.float16)
    val, idx = _half_structs(res("h_sort32", np.uint8))
    for r in range(4):
        order = np.argsort(-sc[r * 32:(r + 1) * 32].astype(np.float32), kind="stable") + r * 32
        np.testing.assert_array_equal(val[r * 32:(r + 1) * 32], sc[order])
        np.testing.assert_array_equal(idx[r * 32:(r + 1) * 32], order + 1000)
    full = np.argsort(-sc.astype(np.float32), kind="stable")
    mval, midx = _half_structs(res("h_merged", np.uint8))
    np.testing.assert_array_equal(mval, sc[full])
    np.testing.assert_array_equal(midx, full + 1000)
    np.testing.assert_array_equal(res("h_ext_val", np.float16), sc[full])
    np.testing.assert_array_equal(res("h_ext_idx", np.uint32), full + 1000)


def _merge(lists, suspend):
    pos = [0] * len(lists)
    out = []
    while True:
        live = [i for i in range(len(lists)) if pos[i] < len(lists[i])]
        if not live or (suspend and len(live) < len(lists)):
            return out, pos
        best = max(live, key=lambda i: (lists[i][pos[i]][0], -i))
        out.append(lists[best][pos[best]])
        pos[best] += 1


def _float_structs(raw):
    s = raw.reshape(-1, 8)
    return list(zip(s[:, 0:4].copy().view(np.float32)[:, 0], s[:, 4:8].copy().view(np.uint32)[:, 0]))


def test_mrgsort_exhausted_suspension(res):
    items = _float_structs(res("mrg_in", np.uint8))
    bounds = np.cumsum([0, 12, 20, 7, 16])
    lists = [items[bounds[i]:bounds[i + 1]] for i in range(4)]
    for name, sub, suspend in (("mrg_susp", lists, True), ("mrg_three", lists[:3], False)):
        want, used = _merge(sub, suspend)
        got = _float_structs(res(name, np.uint8))
        assert got[:len(want)] == want
        assert got[len(want)][0] == -99.0  # nothing written past the merged length
        np.testing.assert_array_equal(res(f"{name}_used", np.uint16)[:len(sub)], used)
    assert len(_merge(lists, True)[0]) < sum(map(len, lists))  # the suspension really cut the merge short


def test_brcb(res):
    s = res("brcb_src")
    np.testing.assert_array_equal(res("brcb_f"), np.repeat(s, 8))
    hs = res("brcb_hsrc", np.float16)
    want = np.full(640, -5.0, np.float16)
    for r in range(2):
        for j in range(8):
            start = r * 320 + j * 32  # repeat stride 20 blocks, block stride 2 blocks (16 halves each)
            want[start:start + 16] = hs[r * 8 + j]
    np.testing.assert_array_equal(res("brcb_h", np.float16), want)


def test_block_reduce_max(res):
    x = res("red_x")
    np.testing.assert_array_equal(res("bmax_f"), x[:256].reshape(32, 8).max(1))
    xh = res("red_xh", np.float16)
    bits = [(0x00FF00FF00FF00FF >> e) & 1 for e in range(64)] + [(0x0F0F0F0F0F0F0F0F >> e) & 1 for e in range(64)]
    active = np.array(bits, bool)
    want = []
    for r in range(2):
        rep = xh[r * 128:(r + 1) * 128]
        for b in range(8):
            want.append(rep[b * 16:(b + 1) * 16][active[b * 16:(b + 1) * 16]].max())
    np.testing.assert_array_equal(res("bmax_h", np.float16), np.array(want, np.float16))


def test_whole_reduce_min(res):
    x = res("red_x")
    vi = res("wmin_f_vi").reshape(4, 2)
    rows = x[:256].reshape(4, 64)
    np.testing.assert_array_equal(vi[:, 0], rows.min(1))
    np.testing.assert_array_equal(vi[:, 1].view(np.uint32), rows.argmin(1))
    np.testing.assert_array_equal(res("wmin_f_v48"), [x[r * 128:r * 128 + 48].min() for r in range(4)])
    xh = res("red_xh", np.float16)
    iv = res("wmin_h_iv", np.float16).reshape(2, 2)
    hrows = [xh[r * 128:r * 128 + 100] for r in range(2)]
    np.testing.assert_array_equal(iv[:, 1], [h.min() for h in hrows])
    np.testing.assert_array_equal(iv[:, 0].view(np.uint16), [h.argmin() for h in hrows])


def test_select_mode0_reuses_mask(res):
    s0, s1 = res("sel_s0"), res("sel_s1")
    bits = np.unpackbits(res("sel_m", np.uint8), bitorder="little").astype(bool)[:64]
    rep = np.tile(bits, 4)
    np.testing.assert_array_equal(res("sel0_mask"), np.where(rep[:192], s0[:192], s1[:192]))
    np.testing.assert_array_equal(res("sel0_count"), np.where(rep, s0, s1))


def test_is_set_mask_false(res):
    x, y = res("nm_x"), res("nm_y")
    m = np.array([(0xF0F0F0F00000FFFF >> e) & 1 for e in range(64)], bool)
    want = np.full(256, 9.0, np.float32)
    for r in range(2):
        sl = slice(r * 64, (r + 1) * 64)
        want[sl] = np.where(m, x[sl] + y[sl], 9.0)
    np.testing.assert_array_equal(res("nm_add"), want)
    want = np.full(256, 9.0, np.float32)
    want[:100] = x[:100] * np.float32(2)
    np.testing.assert_array_equal(res("nm_muls_count"), want)
    np.testing.assert_array_equal(res("nm_wsum"), [x[r * 64 + 16:r * 64 + 32].reshape(8, 2).sum(1).reshape(4, 2).sum(1)
                                                   .reshape(2, 2).sum(1).sum() for r in range(3)])
