"""Device storage formats of 2-D (and batched 2-D) tensors: ND <-> FRACTAL_NZ.

CANN's FRACTAL_NZ of a matrix with R rows and C columns (the last two axes of an ND tensor
``[..., R, C]``) cuts the columns into bands of ``C0`` and the rows into blocks of 16; its shape
is ``[..., ceil(C / C0), ceil(R / 16), 16, C0]``: band ``n1`` holds the band's rows one after the
other, in 16 x C0 fractals stored row by row. ``C0`` is 32 bytes of the element type: 16 for
bf16 / fp16, 32 for int8, 8 for fp32. Rows and columns past R and C are zero (the padding the
device's format conversion writes). Example (fp16, R = 2, C = 17: two bands of 16 columns)::

    nd = [[a0 .. a16],           nz[0, 0, 0] = a0 .. a15    nz[1, 0, 0] = a16 0 .. 0
          [b0 .. b16]]           nz[0, 0, 1] = b0 .. b15    nz[1, 0, 1] = b16 0 .. 0
                                 nz[:, 0, 2:16] = 0

``dsaops.ops`` converts every input its opdef declares FRACTAL_NZ with :func:`nd_to_nz` before
the launch; a caller holding weights already in FRACTAL_NZ passes ``nz_weight(nz_array,
nd_shape)`` instead of the ND array (the op then reads the given bytes as they are).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRACTAL_ROWS = 16
BLOCK_BYTES = 32


def c0_of(dtype) -> int:
    """Columns per band of FRACTAL_NZ for ``dtype`` (32 bytes of it)."""
    size = np.dtype(dtype).itemsize
    if size > BLOCK_BYTES or BLOCK_BYTES % size:
        raise ValueError(f"nd_to_nz: dtype {np.dtype(dtype)} has no FRACTAL_NZ band width (item size {size} B)")
    return BLOCK_BYTES // size


def nz_shape(shape, dtype) -> tuple[int, ...]:
    """The FRACTAL_NZ shape of an ND ``shape`` ``[..., R, C]`` of ``dtype``."""
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise ValueError(f"nd_to_nz: shape must have at least 2 axes [..., rows, cols], got {list(shape)}")
    rows, cols = shape[-2:]
    c0 = c0_of(dtype)
    return shape[:-2] + (-(-cols // c0), -(-rows // FRACTAL_ROWS), FRACTAL_ROWS, c0)


def nd_to_nz(a) -> np.ndarray:
    """FRACTAL_NZ of ``a`` ([..., R, C]): shape ``[..., ceil(C/C0), ceil(R/16), 16, C0]``, zero padded."""
    a = np.asarray(a)
    out_shape = nz_shape(a.shape, a.dtype)
    n1, m1, m0, c0 = out_shape[-4:]
    rows, cols = a.shape[-2:]
    padded = np.zeros(a.shape[:-2] + (m1 * m0, n1 * c0), dtype=a.dtype)
    padded[..., :rows, :cols] = a
    lead = a.ndim - 2
    blocks = padded.reshape(a.shape[:-2] + (m1, m0, n1, c0))
    order = tuple(range(lead)) + (lead + 2, lead, lead + 1, lead + 3)
    return np.ascontiguousarray(blocks.transpose(order))


def nz_to_nd(a, shape) -> np.ndarray:
    """The ND tensor of ``shape`` ([..., R, C]) whose FRACTAL_NZ is ``a`` (the padding is dropped)."""
    a = np.asarray(a)
    shape = tuple(int(s) for s in shape)
    expected = nz_shape(shape, a.dtype)
    if a.shape != expected:
        raise ValueError(f"nz_to_nd: a FRACTAL_NZ {a.dtype} tensor of ND shape {list(shape)} must have shape "
                         f"{list(expected)}, got {list(a.shape)}")
    lead = a.ndim - 4
    n1, m1, m0, c0 = a.shape[-4:]
    order = tuple(range(lead)) + (lead + 1, lead + 2, lead, lead + 3)
    padded = a.transpose(order).reshape(a.shape[:-4] + (m1 * m0, n1 * c0))
    return np.ascontiguousarray(padded[..., :shape[-2], :shape[-1]])


@dataclass(frozen=True)
class NzWeight:
    """A tensor the caller already holds in FRACTAL_NZ (``data``) with its ND shape (``shape``)."""

    data: np.ndarray
    shape: tuple[int, ...]

    def to_nd(self) -> np.ndarray:
        return nz_to_nd(self.data, self.shape)


def nz_weight(data, shape) -> NzWeight:
    """Wrap a pre-converted FRACTAL_NZ tensor for ``dsaops.ops`` (checked against ``shape``)."""
    data = np.ascontiguousarray(data)
    shape = tuple(int(s) for s in shape)
    expected = nz_shape(shape, data.dtype)
    if data.shape != expected:
        raise ValueError(f"nz_weight: a FRACTAL_NZ {data.dtype} tensor of ND shape {list(shape)} must have shape "
                         f"{list(expected)}, got {list(data.shape)}")
    return NzWeight(data, shape)


def to_device_format(value, fmt: str, dtype) -> np.ndarray:
    """``value`` (ND array or :class:`NzWeight`) as the bytes of format ``fmt`` with element ``dtype``."""
    if isinstance(value, NzWeight):
        if fmt != "FRACTAL_NZ":
            raise ValueError(f"a FRACTAL_NZ weight was given where the op takes {fmt}")
        return np.ascontiguousarray(value.data, dtype=dtype)
    arr = np.ascontiguousarray(value, dtype=dtype)
    if fmt == "ND":
        return arr
    if fmt == "FRACTAL_NZ":
        return nd_to_nz(arr)
    raise ValueError(f"unknown device format {fmt!r}")
