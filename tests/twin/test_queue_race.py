"""Queue and GM-write fidelity (C++ in tests/twin/cpp/api_fidelity/queue_race.cpp):

* strided GM writes are recorded per burst, so cores writing disjoint column blocks of one matrix
  (Fixpipe with dstStride, strided DataCopy) are not a race, while a real overlap still is;
* the documented VECCALC scratch pattern (AllocTensor -> use -> FreeTensor without EnQue/DeQue) runs;
* a tensor used after its FreeTensor is a KernelError naming the use and the FreeTensor.
"""

from __future__ import annotations

import numpy as np
import pytest

SRC = "tests/twin/cpp/api_fidelity/queue_race.cpp"


def _run(twin, case, tmp_path):
    return twin.run(SRC, args=[case, str(tmp_path)])


def test_disjoint_fixpipe_column_blocks_of_four_cores(twin, tmp_path):
    res = _run(twin, "cols_fixpipe", tmp_path)
    assert res.returncode == 0, res.output
    a = np.fromfile(tmp_path / "a.bin", np.float16).reshape(32, 32).astype(np.float64)
    bt = np.fromfile(tmp_path / "bt.bin", np.float16).reshape(128, 32).astype(np.float64)
    c = np.fromfile(tmp_path / "c.bin", np.float32).reshape(32, 128)
    # Inputs are multiples of 1/4 in [-2, 2]: every product and sum is exact in float32.
    np.testing.assert_array_equal(c, (a @ bt.T).astype(np.float32))


def test_overlapping_fixpipe_blocks_are_still_a_race(twin, line_of_cpp, tmp_path):
    res = _run(twin, "cols_fixpipe_same", tmp_path)
    assert res.returncode == 2, res.output
    line = line_of_cpp(SRC, "@race:cols_fixpipe_same")
    assert f"{SRC}:{line}: GM write: overlapping non-atomic GM writes from two cores" in res.stderr
    assert "AIC block 0 and AIC block 1 both write GM bytes [0, 128)" in res.stderr


def test_disjoint_strided_datacopy_column_blocks(twin, tmp_path):
    res = _run(twin, "cols_datacopy", tmp_path)
    assert res.returncode == 0, res.output
    y = np.fromfile(tmp_path / "y.bin", np.float32).reshape(8, 32)
    np.testing.assert_array_equal(y, np.repeat(np.arange(1, 5, dtype=np.float32), 8)[None, :].repeat(8, 0))


def test_veccalc_scratch_pattern_runs(twin, tmp_path):
    res = _run(twin, "scratch", tmp_path)
    assert res.returncode == 0, res.output
    x = np.fromfile(tmp_path / "x.bin", np.float32)
    np.testing.assert_array_equal(np.fromfile(tmp_path / "y.bin", np.float32), 2 * x + 2)  # second round adds 2


UAF = {
    "uaf_vec_read": "Adds: tensor used after FreeTensor: src (UB offset 0)",
    "uaf_vec_write": "Duplicate: tensor used after FreeTensor: dst (UB offset 0)",
    "uaf_getvalue": "LocalTensor::GetValue: tensor used after FreeTensor",
    "uaf_datacopy": "DataCopy: tensor used after FreeTensor: src",
    "uaf_view": "LocalTensor::SetValue: tensor used after FreeTensor: the tensor (UB offset 128)",
    "uaf_enque": "TQue::EnQue: tensor used after FreeTensor",
    "uaf_realloc": "Muls: tensor used after FreeTensor: src",
    "free_enque": "TQue::FreeTensor: FreeTensor of an enqueued buffer (DeQue it first)",
}


@pytest.mark.parametrize("case", sorted(UAF))
def test_use_after_free_names_both_call_sites(twin, line_of_cpp, tmp_path, case):
    res = _run(twin, case, tmp_path)
    assert res.returncode == 2, res.output
    assert "kernel finished" not in res.stdout
    use = line_of_cpp(SRC, f"@uaf:{case}")
    assert f"{SRC}:{use}: {UAF[case]}" in res.stderr, res.stderr
    if case != "free_enque":
        free = line_of_cpp(SRC, "calc.FreeTensor(t);")
        assert f"released by FreeTensor at {SRC}:{free}" in res.stderr, res.stderr
