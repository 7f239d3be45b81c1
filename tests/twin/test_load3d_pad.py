"""Load3Dv2 with padding (padList, padValue, SetLoadDataPaddingValue) and into L0B (Zn), the way the DSA
kernels load their matmul operands; C++ in tests/twin/cpp/api_fidelity/load3d_pad.cpp."""

from __future__ import annotations

import numpy as np
import pytest

SRC = "tests/twin/cpp/api_fidelity/load3d_pad.cpp"


@pytest.fixture(scope="module")
def out(twin, tmp_path_factory):
    d = tmp_path_factory.mktemp("load3d_pad")
    res = twin.run(SRC, args=[str(d)])
    assert res.returncode == 0, res.output
    return lambda name, dt=np.float16: np.fromfile(d / f"{name}.bin", dtype=dt)


def test_kernel_patterns_pad_bottom_255_and_b_through_l0b(out):
    a = out("a").reshape(40, 64).astype(np.float64)
    b = out("b").reshape(64, 32).astype(np.float64)
    # Inputs are multiples of 1/8 in [-2, 2]: products and sums are exact in float32.
    np.testing.assert_array_equal(out("c", np.float32).reshape(40, 32), (a @ b).astype(np.float32))


def _img2col_padded(f, pad_value):
    fm = np.full((3, 5, 16), pad_value, np.float16)  # (top 1 + 2) x (left 1 + 3 + right 1)
    fm[1:3, 1:4, :] = f.reshape(2, 3, 16)
    rows = fm.reshape(15, 16)
    zz = np.zeros((16, 16), np.float16)
    zz[:15] = rows
    return zz.ravel()


@pytest.mark.parametrize("name,pad_value", [("pad_param", 7.0), ("pad_set", -3.0)])
def test_padding_reads_the_pad_value(out, name, pad_value):
    got = out(name)[:15 * 16]
    np.testing.assert_array_equal(got, _img2col_padded(out("f"), pad_value)[:15 * 16])
    assert np.count_nonzero(got == np.float16(pad_value)) == 9 * 16  # 15 positions, 6 of them real
