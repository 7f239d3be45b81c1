"""FusedMulAdd (dst = src0 * dst + src1; v8.5.0 basic API, half and float) on the twin against numpy: the count
form with a partial repeat, half rounding, and the mask form with a per-row broadcast src0 the sparse flash
attention accumulator uses (C++ in tests/twin/cpp/api_fidelity/fused_mul_add.cpp)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

SRC = "tests/twin/cpp/api_fidelity/fused_mul_add.cpp"


@pytest.fixture(scope="module")
def out(twin, tmp_path_factory):
    exe = twin.build(SRC)
    d = tmp_path_factory.mktemp("fma")
    proc = subprocess.run([str(exe), str(d)], capture_output=True, text=True, env=twin.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all done" in proc.stdout
    return lambda name: np.fromfile(d / f"{name}.bin", dtype=np.float32)


def test_count_form_float(out):
    want = (out("f32_src0") * out("f32_dst")).astype(np.float32) + out("f32_src1")
    np.testing.assert_array_equal(out("f32_out"), want.astype(np.float32))


def test_count_form_half_rounds_each_step(out):
    h = np.float16
    want = (out("f16_src0").astype(h) * out("f16_dst").astype(h)).astype(h) + out("f16_src1").astype(h)
    np.testing.assert_array_equal(out("f16_out"), want.astype(h).astype(np.float32))


def test_mask_form_row_broadcast(out):
    acc, tile = out("row_acc").reshape(4, 128), out("row_tile").reshape(4, 128)
    factor = out("row_factor").reshape(4, 8)[:, :1]
    np.testing.assert_array_equal(out("row_out").reshape(4, 128), (factor * acc).astype(np.float32) + tile)
