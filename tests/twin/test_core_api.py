"""Semantics of the twin's infrastructure APIs (tests/twin/cpp/core_api.cpp)."""

from __future__ import annotations

import numpy as np
import pytest

SRC = "tests/twin/cpp/core_api.cpp"
CASES = ["identity", "queues", "copies", "pad_layout", "atomics", "cross_core", "sync_all", "tiling", "types", "counters"]


@pytest.mark.parametrize("case", CASES)
def test_core_api(twin, case):
    res = twin.run(SRC, args=[case])
    assert res.returncode == 0, res.output
    assert f"PASS {case}" in res.stdout, res.output


def _nz_reference(src: np.ndarray, nd: int, n: int, d: int, src_d: int, c0: int, c0_stride: int, n_stride: int,
                  mat_stride_elems: int, total_bytes: int) -> np.ndarray:
    """Expected L1 bytes of an ND->NZ copy, built from the documented layout with numpy."""
    out = np.full(total_bytes, 0xAB, dtype=np.uint8)
    blocks = -(-d // c0)
    for m in range(nd):
        mat = src[m * n * src_d:(m + 1) * n * src_d].reshape(n, src_d)[:, :d]
        padded = np.zeros((n, blocks * c0), dtype=np.uint16)
        padded[:, :d] = mat
        # (rows, blocks, c0) -> fractal column b holds rows r at 32-byte row r*n_stride
        frac = padded.reshape(n, blocks, c0)
        for b in range(blocks):
            for r in range(n):
                off = m * mat_stride_elems * 2 + (b * c0_stride + r * n_stride) * 32
                out[off:off + 32] = frac[r, b].view(np.uint8)
    return out


def test_nd2nz_layout_byte_by_byte(twin):
    res = twin.run(SRC, args=["nd2nz_dump"])
    assert res.returncode == 0, res.output
    lines = dict(line.split(" ", 1) for line in res.stdout.splitlines() if line[:2] in ("NZ", "SR"))
    got = np.array([int(t, 16) for t in lines["NZ"].split()], dtype=np.uint8)
    src = np.array([int(t, 16) for t in lines["SRC"].split()], dtype=np.uint16)
    want = _nz_reference(src, nd=2, n=20, d=40, src_d=48, c0=16, c0_stride=32, n_stride=1,
                         mat_stride_elems=3 * 32 * 16, total_bytes=got.size)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{bad.size} bytes differ, first at {bad[:8].tolist()}"
    # Rows 20..31 of each fractal column were not written (0xAB) and columns 40..47 were zero-filled.
    assert got[20 * 32] == 0xAB
    assert (got[2 * 32 * 32 + 8 * 2: 2 * 32 * 32 + 32] == 0).all()
