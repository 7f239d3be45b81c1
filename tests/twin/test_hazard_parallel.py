"""Cores on host threads and the fast Mmad (ascendc/twin/include/twin/{sched,launch,atomics,cube_kernel}.h).

* Determinism: the same launch gives the same outputs, counters and error report for every host thread
  count (TWIN_THREADS = 1, 2, 8), including float atomic adds whose sum depends on the order (applied
  in the documented canonical order: core order for cores that do not synchronise) and launches in
  which several cores fail (the lowest core id's error is reported).
* Mmad: int8 exact, half/bfloat16 within one float32 rounding of a float64 numpy reference, including
  odd m/n/k and accumulation into L0C.
"""

from __future__ import annotations

import numpy as np
import pytest
from ml_dtypes import bfloat16

SRC = "tests/twin/cpp/parallel.cpp"
EXAMPLE = "ascendc/twin/examples/mix_matmul_softmax.cpp"
TWIN_PROGRAMS = [SRC, EXAMPLE, "tests/twin/cpp/core_strict.cpp"]
THREADS = ("1", "2", "8")


def test_float_atomics_same_for_every_thread_count_and_in_core_order(twin, tmp_path):
    results = []
    for t in THREADS:
        d = tmp_path / t
        d.mkdir()
        res = twin.run(SRC, args=["atomic_float", d], env={"TWIN_THREADS": t})
        assert res.returncode == 0, res.output
        results.append((res.stdout, (d / "z.bin").read_bytes(), (d / "y.bin").read_bytes()))
    assert all(r == results[0] for r in results)
    z = np.frombuffer(results[0][1], np.float32)
    # Canonical order: the cores do not synchronise before their adds, so core order 0..7.
    acc = np.zeros(256, np.float32)
    for b in range(8):
        v = np.float32(1e8 if b % 2 else 1.0) + np.float32(b * 0.001)
        acc = (acc + np.full(256, v, np.float32)).astype(np.float32)
    np.testing.assert_array_equal(z, acc)
    np.testing.assert_array_equal(np.frombuffer(results[0][2], np.float32), acc)  # block 0 read it after SyncAll


def test_failures_report_the_lowest_core_for_every_thread_count(twin, line_of_cpp):
    outs = []
    for t in THREADS:
        res = twin.run(SRC, args=["fail_many"], env={"TWIN_THREADS": t})
        assert res.returncode == 2, res.output
        outs.append(res.stderr)
    assert all(o == outs[0] for o in outs)
    line = line_of_cpp(SRC, "@fail:1")
    assert f"{SRC}:{line}: DataCopy: access outside the tensor's buffer" in outs[0], outs[0]


def test_mix_example_identical_for_every_thread_count(twin, tmp_path):
    outs = []
    for t in THREADS:
        d = tmp_path / t
        d.mkdir()
        res = twin.run(EXAMPLE, args=[d], env={"TWIN_THREADS": t, "TWIN_PRINT_COUNTERS": "1"})
        assert res.returncode == 0, res.output
        outs.append((res.stdout, (d / "p.bin").read_bytes()))
    assert all(o == outs[0] for o in outs)
    assert "cube_macs.float16            3145728" in outs[0][0]


def test_deadlock_report_identical_for_every_thread_count(twin):
    outs = []
    for t in THREADS:
        res = twin.run("tests/twin/cpp/core_strict.cpp", args=["deadlock"], env={"TWIN_THREADS": t})
        assert res.returncode == 3, res.output
        outs.append(res.stderr)
    assert all(o == outs[0] for o in outs)
    assert "deadlock: every live core is blocked" in outs[0]


def _ref(a, bt, dt):
    return a.astype(np.float64) @ bt.astype(np.float64).T


@pytest.mark.parametrize(
    "m, n, k, dtype, acc",
    [
        (64, 64, 128, "int8", 0),
        (33, 40, 96, "int8", 1),
        (33, 40, 50, "bfloat16", 0),
        (128, 128, 256, "bfloat16", 1),
        (40, 24, 72, "float16", 0),
        (17, 31, 16, "float16", 1),
    ],
)
def test_mmad_matches_numpy(twin, tmp_path, m, n, k, dtype, acc):
    res = twin.run(SRC, args=["mmad", tmp_path, m, n, k, dtype, acc])
    assert res.returncode == 0, res.output
    npt = {"int8": np.int8, "bfloat16": bfloat16, "float16": np.float16}[dtype]
    a = np.fromfile(tmp_path / "a.bin", npt).reshape(m, k)
    bt = np.fromfile(tmp_path / "bt.bin", npt).reshape(n, k)
    ref = _ref(a, bt, dtype) * (2 if acc else 1)
    if dtype == "int8":
        c = np.fromfile(tmp_path / "c.bin", np.int32).reshape(m, n)
        np.testing.assert_array_equal(c, ref.astype(np.int64))
    else:
        c = np.fromfile(tmp_path / "c.bin", np.float32).reshape(m, n)
        # One Mmad: the exact float64 sum (products are exact) rounded once -> within 1 ulp of float32(ref).
        # Accumulation: float32(first) + float32(second) -> within 2 ulp.
        np.testing.assert_array_max_ulp(c, ref.astype(np.float32), maxulp=2 if acc else 1)
