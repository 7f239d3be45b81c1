"""dsaops.formats: FRACTAL_NZ as CANN defines it ([..., ceil(C/C0), ceil(R/16), 16, C0], C0 = 32 bytes)."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsaops import formats
from dsaops.formats import nd_to_nz, nz_shape, nz_to_nd, nz_weight, to_device_format


def test_hand_computed_fp16_example():
    # 2 rows x 17 columns of fp16: two bands of 16 columns, one row block padded to 16 rows
    nd = np.arange(1, 35, dtype=np.float16).reshape(2, 17)
    nz = nd_to_nz(nd)
    assert nz.shape == (2, 1, 16, 16) and nz.dtype == np.float16
    assert list(nz[0, 0, 0]) == list(range(1, 17))
    assert list(nz[0, 0, 1]) == list(range(18, 34))
    assert list(nz[1, 0, 0]) == [17] + [0] * 15
    assert list(nz[1, 0, 1]) == [34] + [0] * 15
    assert not nz[:, 0, 2:].any()


def test_hand_computed_int8_example():
    # int8 bands are 32 columns wide: 33 x 40 -> [2 bands, 3 row blocks, 16, 32]
    nd = (np.arange(33 * 40) % 251 - 125).astype(np.int8).reshape(33, 40)
    nz = nd_to_nz(nd)
    assert nz.shape == (2, 3, 16, 32)
    # element (r, c) sits at band c // 32, row block r // 16, row r % 16, column c % 32
    for r, c in [(0, 0), (15, 31), (16, 0), (17, 33), (32, 39), (20, 5)]:
        assert nz[c // 32, r // 16, r % 16, c % 32] == nd[r, c]
    assert not nz[1, :, :, 8:].any() and not nz[:, 2, 1:].any()
    flat = nz.reshape(-1)
    # byte offset of (r, c) in the flat tensor: band stride = 3 * 16 * 32, row stride 32
    assert flat[1 * 3 * 512 + 1 * 512 + 1 * 32 + 1] == nd[17, 33]


def test_bf16_and_fp32_band_widths():
    assert nz_shape((7168, 128), ml_dtypes.bfloat16) == (8, 448, 16, 16)
    assert nz_shape((1536, 8192), np.int8) == (256, 96, 16, 32)
    assert nz_shape((5, 20), np.float32) == (3, 1, 16, 8)
    with pytest.raises(ValueError, match="at least 2 axes"):
        nz_shape((5,), np.int8)
    with pytest.raises(ValueError, match="no FRACTAL_NZ band width"):
        formats.c0_of(np.dtype("S3"))


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 70), cols=st.integers(1, 90), batch=st.integers(0, 2),
       dtype=st.sampled_from([np.int8, np.float16, ml_dtypes.bfloat16, np.float32]), seed=st.integers(0, 2**31))
def test_round_trip_both_ways(rows, cols, batch, dtype, seed):
    rng = np.random.default_rng(seed)
    shape = (3,) * batch + (rows, cols)
    nd = rng.integers(-100, 100, size=shape).astype(dtype)
    nz = nd_to_nz(nd)
    assert nz.shape == nz_shape(shape, dtype)
    assert np.array_equal(nz_to_nd(nz, shape), nd)
    # NZ -> ND -> NZ keeps every byte when the padding is zero
    assert nd_to_nz(nz_to_nd(nz, shape)).tobytes() == nz.tobytes()
    # against the definition, element by element
    r, c = rng.integers(0, rows), rng.integers(0, cols)
    c0 = 32 // np.dtype(dtype).itemsize
    assert nz[..., c // c0, r // 16, r % 16, c % c0].tobytes() == nd[..., r, c].tobytes()


def test_nz_to_nd_checks_the_shape():
    with pytest.raises(ValueError, match=r"must have shape \[2, 1, 16, 16\], got \[1, 1, 16, 16\]"):
        nz_to_nd(np.zeros((1, 1, 16, 16), np.float16), (3, 17))
    with pytest.raises(ValueError, match=r"nz_weight: .* must have shape \[1, 2, 16, 32\]"):
        nz_weight(np.zeros((2, 1, 16, 32), np.int8), (32, 32))


def test_to_device_format():
    nd = np.arange(64, dtype=np.float32).reshape(8, 8)
    assert to_device_format(nd, "ND", np.float32) is not None
    assert np.array_equal(to_device_format(nd, "ND", np.float32), nd)
    assert np.array_equal(to_device_format(nd, "FRACTAL_NZ", np.float32), nd_to_nz(nd))
    pre = nz_weight(nd_to_nz(nd), nd.shape)
    assert to_device_format(pre, "FRACTAL_NZ", np.float32).tobytes() == nd_to_nz(nd).tobytes()
    assert np.array_equal(pre.to_nd(), nd)
    with pytest.raises(ValueError, match="where the op takes ND"):
        to_device_format(pre, "ND", np.float32)
