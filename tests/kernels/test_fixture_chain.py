"""The whole chain on a test-only fixture op (tests/fixtures): opdef -> generated entry, variants,
tiling problem + check and twin glue -> hand-written Ascend C kernel and tiling -> cmake + ninja ->
ctypes -> dsaops.ops.run on the twin -> numpy. A deliberately wrong kernel of the same op is caught."""

from __future__ import annotations

import io
import os
import shutil
import time

import numpy as np
import pytest

from dsaops import ops as dsaops_ops
from dsaops.errors import ConstraintError, NotAvailable
from dsaops.opdef import load_opdefs
from dsaops.runner import KernelRunError, build_op_library
from dsaops.validate import bind


def axpy_inputs(rows, cols, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, cols)).astype(dtype)
    y = rng.standard_normal((rows, cols)).astype(dtype)
    bias = rng.standard_normal(cols).astype(dtype)
    return x, y, bias


def axpy_reference(x, y, bias, alpha):
    out = np.asarray(alpha, dtype=x.dtype) * x + y  # the kernel's order: Muls, Add, Add (rounded per step)
    return out + bias if bias is not None else out


@pytest.fixture(scope="module")
def fixture_op(fixtures):
    return load_opdefs(fixtures.opdefs)["fixture_axpy"]


def run_axpy(run_op, fixtures, *args, kernels=None, **kwargs):
    return run_op("fixture_axpy", *args, opdefs=fixtures.opdefs, kernels=kernels or fixtures.kernels, **kwargs)


def test_fp32_with_bias_matches_numpy_on_several_cores(run_op, fixtures):
    x, y, bias = axpy_inputs(13, 48, np.float32)
    out = run_axpy(run_op, fixtures, x, y, bias=bias, alpha=-1.75)
    np.testing.assert_array_equal(out, axpy_reference(x, y, bias, -1.75))
    report = dsaops_ops.last_report()
    assert report.op == "fixture_axpy" and report.soc == "ascend910_93" and report.variant == "fp32"
    # 13 rows over 8 cores: 2 rows each, 7 cores used
    assert report.tiling == {"rows": 13, "cols": 48, "rowsPerCore": 2, "hasBias": 1, "alpha": -1.75,
                             "usedCoreNum": 7}
    assert report.block_dim == 7 and report.tiling_key == 0 and len(report.cores) == 7
    row = 48 * 4
    assert report.counters["bytes.GM_UB"] == 2 * 13 * row + 7 * row  # x and y once, bias once per core
    assert report.counters["bytes.UB_GM"] == 13 * row
    assert report.counters["vec_elems.SCALAR_OPERAND"] == 13 * 48
    assert report.counters["vec_elems.BINARY"] == 2 * 13 * 48
    assert report.counters["scalar_reads"] == 0
    for name in ("bytes.GM_UB", "vec_elems.BINARY", "queue_ops"):
        assert sum(c["counters"][name] for c in report.cores) == report.counters[name]
    assert report.wall_s > 0


def test_fp16_variant_without_bias_on_the_other_soc(run_op, fixtures):
    x, y, _ = axpy_inputs(3, 256, np.float16, seed=1)
    out = run_axpy(run_op, fixtures, x, y, alpha=0.5, soc="ascend910b")
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out, axpy_reference(x, y, None, 0.5))
    report = dsaops_ops.last_report()
    assert report.variant == "fp16" and report.tiling_key == 1 and report.soc == "ascend910b"
    assert report.tiling["hasBias"] == 0 and report.counters["bytes.GM_UB"] == 2 * 3 * 256 * 2


def test_the_wrong_kernel_is_caught(run_op, fixtures):
    x, y, bias = axpy_inputs(13, 48, np.float32, seed=2)
    out = run_axpy(run_op, fixtures, x, y, bias=bias, alpha=2.0, kernels=fixtures.kernels_wrong)
    want = axpy_reference(x, y, bias, 2.0)
    bad_rows = sorted(set(np.nonzero(out != want)[0].tolist()))
    assert bad_rows == [1, 3, 5, 7, 9, 11, 12]  # the last row of each core (2 rows per core) lost its bias
    # without a bias the wrong kernel is right: the comparison, not luck, separates them
    np.testing.assert_array_equal(run_axpy(run_op, fixtures, x, y, alpha=2.0, kernels=fixtures.kernels_wrong),
                                  axpy_reference(x, y, None, 2.0))


def test_python_and_generated_check_agree(run_op, fixtures, fixture_op, build_root):
    x, y, bias = axpy_inputs(2, 40, np.float32)
    cases = [({"x": x, "y": y}, "fixture_axpy: N must be a multiple of 16 (whole 32-byte blocks per row), "
                                "got N=40 (shape [2, 40])"),
             ({"x": x[:, :32], "y": y[:, :32], "mode": 1}, "fixture_axpy: bias is required when mode == 1, got None"),
             ({"x": x[:, :32], "y": y[:, :32], "mode": 2}, "fixture_axpy: mode must be one of [0, 1], got 2"),
             ({"x": np.zeros((1, 4112), np.float32), "y": np.zeros((1, 4112), np.float32)},
              "fixture_axpy: x N must be at most 4096, got 4112 (shape [1, 4112])")]
    for args, message in cases:
        with pytest.raises(ConstraintError) as py:
            bind(fixture_op, args)
        assert str(py.value) == message
        with pytest.raises(ConstraintError) as cpp:
            dsaops_ops.check_tiling(fixture_op, args, kernels=fixtures.kernels, build_root=build_root,
                                    skip_python=True)
        assert str(cpp.value) == message
        with pytest.raises(ConstraintError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
                           .replace("[", r"\[").replace("]", r"\]") + "$"):
            run_axpy(run_op, fixtures, **args)


def test_backend_and_soc_arguments(run_op, fixtures):
    x, y, _ = axpy_inputs(1, 16, np.float32)
    with pytest.raises(NotAvailable, match="backend 'npu' is not available on this machine"):
        run_axpy(run_op, fixtures, x, y, backend="npu")
    with pytest.raises(ConstraintError, match=r"backend must be one of \['twin', 'npu'\], got 'gpu'"):
        run_axpy(run_op, fixtures, x, y, backend="gpu")
    with pytest.raises(ConstraintError, match="soc must be a SoC the twin knows .*got 'ascend310p'"):
        run_axpy(run_op, fixtures, x, y, soc="ascend310p")
    with pytest.raises(ConstraintError, match="fixture_axpy: missing a required argument: 'y'"):
        run_axpy(run_op, fixtures, x)


def test_library_is_cached_and_rebuilt_when_the_kernel_changes(fixtures, fixture_op, tmp_path, build_root, monkeypatch):
    monkeypatch.setenv("DSAOPS_CACHE", str(tmp_path / "cache"))  # an empty compile cache: the first build compiles
    kernels = tmp_path / "kernels"
    shutil.copytree(fixtures.kernels, kernels)
    lines = []
    lib = build_op_library(fixture_op, build_root=build_root, kernels_dir=kernels, log=lines.append)
    assert any("Building CXX" in line for line in lines)
    built = lib.stat().st_mtime_ns
    lines = []
    assert build_op_library(fixture_op, build_root=build_root, kernels_dir=kernels, log=lines.append) == lib
    assert lib.stat().st_mtime_ns == built and any("no work to do" in line for line in lines)
    text_log = io.StringIO()  # dsaops build passes an open text file
    build_op_library(fixture_op, build_root=build_root, kernels_dir=kernels, log=text_log)
    assert "no work to do" in text_log.getvalue()
    # another build folder (another session, another out dir) copies the library from the compile cache
    lines = []
    other = build_op_library(fixture_op, build_root=tmp_path / "other", kernels_dir=kernels, log=lines.append)
    assert other != lib and other.read_bytes() == lib.read_bytes()
    assert any("copied from the compile cache" in line for line in lines)
    assert not any("Building CXX" in line for line in lines)
    x, y, bias = axpy_inputs(4, 32, np.float32, seed=3)
    args = dict(opdefs=fixtures.opdefs, kernels=kernels, build_root=build_root)
    np.testing.assert_array_equal(dsaops_ops.run("fixture_axpy", x, y, bias=bias, **args),
                                  axpy_reference(x, y, bias, 1.0))
    time.sleep(0.01)
    header = kernels / "fixture_axpy" / "fixture_axpy_kernel.h"
    header.write_text((fixtures.kernels_wrong / "fixture_axpy" / "fixture_axpy_kernel.h").read_text())
    os.utime(header)
    dsaops_ops._LIBRARIES.clear()  # a new process would load the rebuilt library the same way
    out = dsaops_ops.run("fixture_axpy", x, y, bias=bias, **args)
    assert lib.stat().st_mtime_ns != built
    assert not np.array_equal(out, axpy_reference(x, y, bias, 1.0))


def test_a_kernel_breaking_a_twin_rule_reports_file_and_line(fixtures, fixture_op, tmp_path, build_root):
    kernels = tmp_path / "kernels"
    shutil.copytree(fixtures.kernels, kernels)
    header = kernels / "fixture_axpy" / "fixture_axpy_kernel.h"
    text = header.read_text()
    assert "for (uint32_t i = 0; i < rows; ++i) {" in text
    header.write_text(text.replace("for (uint32_t i = 0; i < rows; ++i) {", "for (uint32_t i = 0; i <= rows; ++i) {"))
    line = next(n for n, s in enumerate(header.read_text().splitlines(), 1) if "DataCopy(xl, xGm[" in s)
    dsaops_ops.library(fixture_op, kernels=kernels, build_root=build_root, cxx_flags=("-O0",))
    x, y, _ = axpy_inputs(4, 32, np.float32)
    with pytest.raises(KernelRunError) as err:
        dsaops_ops.call(fixture_op, {"x": x, "y": y}, kernels=kernels, build_root=build_root)
    message = str(err.value)
    assert message.startswith("fixture_axpy failed on the twin (ascend910_93): ")
    assert f"fixture_axpy_kernel.h:{line}: DataCopy" in message and "outside" in message
