"""The C ABI (twin/capi.h) read from Python with ctypes."""

from __future__ import annotations

import ctypes

import numpy as np

SRC = "tests/twin/cpp/core_capi.cpp"
SRC_FLAGS = ("-shared", "-fPIC")


def test_capi_counters_and_errors(twin, line_of_cpp):
    lib = ctypes.CDLL(str(twin.build(SRC, extra_flags=SRC_FLAGS)))
    lib.twin_counter_name.restype = ctypes.c_char_p
    lib.twin_last_error.restype = ctypes.c_char_p
    lib.twin_soc_name.restype = ctypes.c_char_p
    ptr = np.ctypeslib.ndpointer(np.float32, flags="C_CONTIGUOUS")
    lib.run_copy.argtypes = [ctypes.c_int, ctypes.c_int, ptr, ptr]

    x = np.arange(3 * 64, dtype=np.float32) * np.float32(-1.25)
    y = np.full(3 * 64, np.nan, np.float32)
    assert lib.run_copy(3, 0, x, y) == 0
    # each block copied its own 64 floats in, added (block + 0.5) and copied them out
    np.testing.assert_array_equal(y, x + np.repeat(np.arange(3, dtype=np.float32) + np.float32(0.5), 64))
    assert lib.twin_last_ok() == 1
    assert lib.twin_core_count() == 3
    n = lib.twin_counter_count()
    names = [lib.twin_counter_name(i).decode() for i in range(n)]
    assert names[0] == "bytes.GM_UB" and "queue_ops" in names and lib.twin_counter_name(n) is None
    buf = (ctypes.c_uint64 * n)()
    assert lib.twin_core_counters(2, buf, n) == n
    assert buf[names.index("bytes.GM_UB")] == 256 and buf[names.index("bytes.UB_GM")] == 256
    assert lib.twin_total_counters(buf, n) == n
    assert buf[names.index("bytes.GM_UB")] == 3 * 256
    is_aic, blk, sub = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    assert lib.twin_core_info(1, ctypes.byref(is_aic), ctypes.byref(blk), ctypes.byref(sub)) == 0
    assert (is_aic.value, blk.value, sub.value) == (0, 1, 0)
    assert lib.twin_core_info(3, None, None, None) == -1

    y = np.full(2 * 64, 9.0, np.float32)
    assert lib.run_copy(2, 1, x[:128].copy(), y) == 1
    assert np.all(y == 0)  # the failed kernel wrote nothing: GM outputs keep GmAlloc's zero fill
    assert lib.twin_last_ok() == 0
    err = lib.twin_last_error().decode()
    assert f"{SRC}:{line_of_cpp(SRC, '@rule:capi_fail')}: DataCopy: count * sizeof(T) must be a multiple of 32" in err

    names = [lib.twin_soc_name(i).decode() for i in range(lib.twin_soc_count())]
    assert "ascend910b3" in names
    aic, aiv, mhz = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    assert lib.twin_soc_info(b"ascend910b4", ctypes.byref(aic), ctypes.byref(aiv), ctypes.byref(mhz)) == 0
    assert (aic.value, aiv.value, mhz.value) == (20, 40, 1500)
