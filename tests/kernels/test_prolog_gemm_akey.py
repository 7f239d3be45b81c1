"""common/prolog_gemm.h keeps the A block of the last unit in L1 and reuses it for the next unit that reads the
same rows of the same A at the same K offset. Units of jobs with different K part widths (x . wk in parts of
512 rows, x . w_dq in parts of 1024, as in mla_indexer_prolog_quant) must not share a block: a 1024-wide
unit after a 512-wide one at the same offset needs the whole 1024 columns (tests/kernels/cpp/prolog_gemm_akey.cpp)."""

from __future__ import annotations

import subprocess

import ml_dtypes
import numpy as np

from dsaops.formats import nd_to_nz

from .test_prolog_headers import REPO, _builder_module

BF16 = ml_dtypes.bfloat16


def test_units_of_different_k_part_widths_do_not_share_the_a_block(tmp_path):
    mod = _builder_module()
    exe = mod.TwinBuilder(tmp_path / "bin").build("tests/kernels/cpp/prolog_gemm_akey.cpp", extra_flags=("-I", "ascendc"))
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 1024)).astype(BF16)
    w0 = rng.standard_normal((1024, 64)).astype(BF16)
    w1 = rng.standard_normal((1024, 64)).astype(BF16)
    x.tofile(tmp_path / "x.bin")
    nd_to_nz(w0).tofile(tmp_path / "w0_nz.bin")
    nd_to_nz(w1).tofile(tmp_path / "w1_nz.bin")
    proc = subprocess.run([str(exe), str(tmp_path)], capture_output=True, text=True, cwd=REPO, env=mod.twin_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    xf, w0f, w1f = (a.astype(np.float64) for a in (x, w0, w1))
    out0 = np.fromfile(tmp_path / "out0.bin", np.float32).reshape(2, 16, 64)
    out1 = np.fromfile(tmp_path / "out1.bin", np.float32).reshape(16, 64)
    np.testing.assert_allclose(out0[0], xf[:, :512] @ w0f[:512], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(out0[1], xf[:, 512:] @ w0f[512:], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(out1, xf @ w1f, rtol=1e-4, atol=1e-3)
