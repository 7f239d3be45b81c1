"""The prologs' shared kernel headers on the twin (tests/kernels/cpp/prolog_headers.cpp) against numpy:

* common/prolog_gemm.h: bf16 and int8 weights in FRACTAL_NZ (made by dsaops.formats) and an ND weight,
  split by K and by columns over several AICs: every product equals numpy's, every weight byte is read
  from GM exactly once over all cores, and the cores' shares are balanced;
* common/row_quant.h: the multiply-form quantisation, bit-identical to the goldens' (fp16 and fp32 scales,
  lo -127 / -128, an all-zero group);
* common/cache_write.h: rows land in their slots (block boundaries), every other byte is untouched.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from dsaops.formats import nd_to_nz
from dsaops.golden._numerics import quant_per_tile, quant_per_token_head

SRC = "tests/kernels/cpp/prolog_headers.cpp"
BF16 = ml_dtypes.bfloat16
REPO = Path(__file__).resolve().parents[2]


def _builder_module():
    name = "dsaops_twin_harness_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "twin" / "harness" / "build.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def exe(tmp_path_factory):
    mod = _builder_module()
    return mod.TwinBuilder(tmp_path_factory.mktemp("prolog_headers_bin")).build(SRC, extra_flags=("-I", "ascendc"))


def _run(exe, *args) -> str:
    proc = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=REPO,
                          env=_builder_module().twin_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _core_bytes(out: str, path: str) -> list[int]:
    return [int(v) for v in re.findall(rf"{path} (\d+)", out)]


@pytest.mark.parametrize("m, cores", [(5, 3), (70, 4), (16, 1)])
def test_gemm_jobs_match_numpy_and_read_each_weight_once(exe, tmp_path, m, cores):
    rng = np.random.default_rng(m * 10 + cores)
    a0 = rng.standard_normal((m, 512)).astype(BF16)
    w0 = rng.standard_normal((512, 128)).astype(BF16)
    a1 = rng.integers(-127, 128, (m, 512)).astype(np.int8)
    w1 = rng.integers(-127, 128, (512, 96)).astype(np.int8)
    a2 = rng.standard_normal((m, 128)).astype(BF16)
    w2 = rng.standard_normal((128, 128)).astype(BF16)
    w3 = rng.standard_normal((512, 64)).astype(BF16)
    for name, arr in (("a0", a0), ("w0_nz", nd_to_nz(w0)), ("a1", a1), ("w1_nz", nd_to_nz(w1)), ("a2", a2),
                      ("w2_nd", w2), ("w3_nz", nd_to_nz(w3))):
        arr.tofile(tmp_path / f"{name}.bin")
    out = _run(exe, "gemm", tmp_path, m, cores)
    f64 = lambda x: x.astype(np.float64)  # noqa: E731
    parts = np.fromfile(tmp_path / "out0.bin", np.float32).reshape(4, m, 128)
    for p in range(4):  # K part p: rows [128 p, 128 p + 128) of w0; fp32 accumulation of exact bf16 products
        want = f64(a0[:, 128 * p:128 * p + 128]) @ f64(w0[128 * p:128 * p + 128])
        np.testing.assert_allclose(parts[p], want, rtol=2e-6, atol=2e-5)
    parts3 = np.fromfile(tmp_path / "out3.bin", np.float32).reshape(4, m, 64)
    for p in range(4):
        want = f64(a0[:, 128 * p:128 * p + 128]) @ f64(w3[128 * p:128 * p + 128])
        np.testing.assert_allclose(parts3[p], want, rtol=2e-6, atol=2e-5)
    np.testing.assert_array_equal(np.fromfile(tmp_path / "out1.bin", np.int32).reshape(m, 96),
                                  a1.astype(np.int64) @ w1.astype(np.int64))
    out2 = np.fromfile(tmp_path / "out2.bin", BF16).reshape(m, 160)  # bf16 by the Fixpipe, rows 160 apart
    want2 = (f64(a2) @ f64(w2)).astype(np.float32).astype(BF16)
    assert np.mean(out2[:, :128] == want2) > 0.99  # RNE of the same fp32 (a last-bit fp32 difference may flip one)
    np.testing.assert_allclose(f64(out2[:, :128]), f64(want2), rtol=2**-7)
    assert not f64(out2[:, 128:]).any()  # the gap between rows is not written
    # GM -> L1: every weight byte once, plus one A block per (core, job, K part, 64-row block) it runs
    per_core = _core_bytes(out, "GM_L1")
    assert len(per_core) == cores
    weights = w0.nbytes + w1.nbytes + w2.nbytes + w3.nbytes
    activations = sum(per_core) - weights
    a_bytes = a0.nbytes + a1.nbytes + a2.nbytes
    # each A element at least once (a0 over its four K parts, for both jobs of its chain), at most once per core
    assert a_bytes <= activations <= cores * a_bytes
    if cores == 1 and m <= 64:
        assert activations == a_bytes  # the chain: each a0 block serves both of its jobs
    # balanced: no core streams more than its share plus one unit (64 KB here) and its A blocks
    unit = 128 * 64 * 2
    assert max(per_core) <= weights / cores + unit + a_bytes
    # L0C -> GM: each output element once
    assert sum(_core_bytes(out, "L0C_GM")) == (4 * m * 128 + 4 * m * 64 + m * 96) * 4 + m * 128 * 2


def test_gemm_reloads_a_when_the_k_part_widens(exe, tmp_path):
    # the same A and K offset with a wider K part must not reuse the narrower block left in L1
    rng = np.random.default_rng(11)
    m = 24
    a0 = rng.standard_normal((m, 512)).astype(BF16)
    w0 = rng.standard_normal((512, 128)).astype(BF16)
    a0.tofile(tmp_path / "a0.bin")
    nd_to_nz(w0).tofile(tmp_path / "w0_nz.bin")
    _run(exe, "akey", tmp_path, m)
    f64 = lambda x: x.astype(np.float64)  # noqa: E731
    np.testing.assert_allclose(np.fromfile(tmp_path / "narrow.bin", np.float32).reshape(m, 128),
                               f64(a0[:, :256]) @ f64(w0[:256]), rtol=2e-6, atol=2e-5)
    np.testing.assert_allclose(np.fromfile(tmp_path / "wide.bin", np.float32).reshape(m, 128), f64(a0) @ f64(w0),
                               rtol=2e-6, atol=2e-5)


def test_row_quant_matches_the_golden_bit_for_bit(exe, tmp_path):
    rng = np.random.default_rng(7)
    x128 = (rng.standard_normal((5, 128)) * np.array([[1], [1e-3], [50], [1], [1]])).astype(np.float32)
    x128[3] = 0.0  # all-zero group: q 0, scale 0
    x128[4, 17] = 2.5 * np.abs(x128[4]).max()  # one outlier sets amax
    x1536 = (rng.standard_normal((3, 1536)) * 3).astype(np.float32)
    # amax 127 makes the factor exactly 1: halves are ties (rint to even, not away from zero)
    x128[2] = np.round(rng.uniform(-60, 60, 128) * 2) / 2
    x128[2, :4] = [127.0, 2.5, -3.5, 0.5]
    x1536[1] = np.round(rng.uniform(-100, 100, 1536) * 2) / 2
    x1536[1, 0] = -127.0
    x128.tofile(tmp_path / "x128.bin")
    x1536.tofile(tmp_path / "x1536.bin")
    _run(exe, "quant", tmp_path)
    q, s = quant_per_token_head(x128)
    np.testing.assert_array_equal(np.fromfile(tmp_path / "q128.bin", np.int8).reshape(5, 128), q)
    np.testing.assert_array_equal(np.fromfile(tmp_path / "s128.bin", np.float16), s.reshape(-1))
    assert not np.fromfile(tmp_path / "q128.bin", np.int8).reshape(5, 128)[3].any()
    q2, s2 = quant_per_tile(x1536, tile=1536)
    np.testing.assert_array_equal(np.fromfile(tmp_path / "q1536.bin", np.int8).reshape(3, 1536), q2)
    np.testing.assert_array_equal(np.fromfile(tmp_path / "s1536.bin", np.float32), s2.reshape(-1))


def test_cache_writer_touches_only_the_given_slots(exe, tmp_path):
    rng = np.random.default_rng(3)
    rows = rng.integers(-127, 128, (6, 128)).astype(np.int8)
    scales = rng.random(6).astype(np.float16)
    index = np.array([0, 15, 16, 47, 48, 31], dtype=np.int64)  # block boundaries of 16-slot blocks; 48 is outside
    cache = rng.integers(-128, 128, (48, 128)).astype(np.int8)
    scale_cache = rng.random(48).astype(np.float16)
    for name, arr in (("rows", rows), ("scales", scales), ("index", index), ("cache", cache),
                      ("scale_cache", scale_cache)):
        arr.tofile(tmp_path / f"{name}.bin")
    _run(exe, "cache", tmp_path)
    got = np.fromfile(tmp_path / "cache.bin", np.int8).reshape(48, 128)
    got_s = np.fromfile(tmp_path / "scale_cache.bin", np.float16)
    want, want_s = cache.copy(), scale_cache.copy()
    for t, slot in enumerate(index):
        if slot < 48:
            want[slot], want_s[slot] = rows[t], scales[t]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_s.view(np.uint16), want_s.view(np.uint16))
