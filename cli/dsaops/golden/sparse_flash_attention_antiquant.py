"""Golden of ``custom.npu_sparse_flash_attention_antiquant`` (OPS.md section 4).

Each KV token is one 656-byte int8 row in Ascend byte order (little-endian):

    bytes [0, 512)    512 int8 nope values
    bytes [512, 640)  64 bf16 rope values
    bytes [640, 656)  4 float32 dequant scales, one per tile of 128 nope values

Dequant: nope_bf16 = bf16(fp32(int8) * scale_tile); K~ = [nope_bf16 | rope] (576 dims,
matching the query's 512 nope ++ 64 rope), V~ = nope_bf16 of the value rows. Then exactly
the attention of op 3 (:mod:`._sparse_attention`). The cache's per-tile quantisation
(made by ``dsaops.golden._numerics.quant_per_tile``) is the multiply form
``rint(x * fp32(127 / amax))`` with scale amax / 127; an all-zero tile has scale 0 and q 0.
"""

from __future__ import annotations

from typing import NamedTuple

import ml_dtypes
import numpy as np

from ._common import SPARSE_MODES, bind_args, constraint_error, key_rows, query_rows
from ._precision import GOLDEN, Precision
from ._sparse_attention import (
    check_indices,
    check_scale,
    check_query_heads,
    check_sparse_block_size,
    sparse_attention,
)

OP = "sparse_flash_attention_antiquant"
BF16 = ml_dtypes.bfloat16

NOPE_DIM = 512
ROPE_DIM = 64
TILE = 128
SCALE_COUNT = NOPE_DIM // TILE
ROPE_OFFSET = NOPE_DIM  # byte offset of the bf16 rope values
SCALE_OFFSET = ROPE_OFFSET + ROPE_DIM * 2  # byte offset of the fp32 scales
KV_ROW_BYTES = SCALE_OFFSET + SCALE_COUNT * 4  # 656


class KvRows(NamedTuple):
    """The three fields of packed KV rows."""

    nope: np.ndarray  # int8 [..., 512]
    rope: np.ndarray  # bf16 [..., 64]
    scales: np.ndarray  # fp32 [..., 4]


def unpack_kv_rows(rows) -> KvRows:
    """Split int8 rows [..., 656] into (int8 nope, bf16 rope, fp32 scales) by byte offset."""
    raw = np.ascontiguousarray(rows).view(np.uint8)
    if raw.shape[-1] != KV_ROW_BYTES:
        raise ValueError(f"unpack_kv_rows: rows must be {KV_ROW_BYTES} bytes, got {raw.shape[-1]}")
    nope = raw[..., :ROPE_OFFSET].view(np.int8)
    rope = np.ascontiguousarray(raw[..., ROPE_OFFSET:SCALE_OFFSET]).view("<u2").astype(np.uint16).view(BF16)
    scales = np.ascontiguousarray(raw[..., SCALE_OFFSET:]).view("<f4").astype(np.float32)
    return KvRows(nope.copy(), rope, scales)


def dequant_nope(nope, scales, prec: Precision | None = None) -> np.ndarray:
    """bf16(fp32(int8) * scale of its 128-value tile) for nope [..., 512], scales [..., 4].

    Without ``prec``: a bf16 array. With a policy: its rounding point, in its compute dtype
    (EXACT: float64 int8 * scale, unrounded).
    """
    p = prec or GOLDEN
    q = p.up(nope)
    tiles = q.reshape(q.shape[:-1] + (SCALE_COUNT, TILE)) * p.up(scales)[..., None]
    if prec is None:
        return tiles.reshape(q.shape).astype(BF16)
    return p.bf16(tiles.reshape(q.shape))


def sparse_flash_attention_antiquant(
    query,
    key,
    value,
    sparse_indices,
    scale_value,
    sparse_block_size,
    key_quant_mode,
    value_quant_mode,
    *,
    key_dequant_scale=None,
    value_dequant_scale=None,
    block_table=None,
    actual_seq_lengths_query=None,
    actual_seq_lengths_kv=None,
    layout_query="BSND",
    layout_kv="BSND",
    sparse_mode=3,
    attention_mode=0,
    quant_scale_repo_mode=0,
    tile_size=0,
    rope_head_dim=0,
):
    """bf16 attention output [B, S1, N1, 512] (BSND) or [T, N1, 512] (TND)."""
    return run(dict(locals()), GOLDEN)


def run(args: dict, prec: Precision):
    """The public golden (``prec`` GOLDEN) and its exact variant (EXACT)."""
    bind_args(OP, args)
    return _compute(**args, prec=prec)


def _compute(query, key, value, sparse_indices, scale_value, sparse_block_size, key_quant_mode, value_quant_mode, *,
             key_dequant_scale, value_dequant_scale, block_table, actual_seq_lengths_query, actual_seq_lengths_kv,
             layout_query, layout_kv, sparse_mode, attention_mode, quant_scale_repo_mode, tile_size, rope_head_dim,
             prec: Precision):
    check_scale(OP, "scale_value", scale_value)
    for name, got, want in (
        ("key_quant_mode", key_quant_mode, 2), ("value_quant_mode", value_quant_mode, 2),
        ("attention_mode", attention_mode, 2), ("quant_scale_repo_mode", quant_scale_repo_mode, 1),
        ("tile_size", tile_size, TILE), ("rope_head_dim", rope_head_dim, ROPE_DIM),
    ):
        if int(got) != want:
            raise constraint_error(OP, name, f"must be {want}", got)
    for name, arr in (("key_dequant_scale", key_dequant_scale), ("value_dequant_scale", value_dequant_scale)):
        if arr is not None:
            raise constraint_error(OP, name, "is reserved and must be None", "a tensor")
    if int(sparse_mode) not in SPARSE_MODES:
        raise constraint_error(OP, "sparse_mode", "must be 0 or 3", sparse_mode)
    if layout_query == "TND" and layout_kv == "BSND":
        raise constraint_error(OP, "layout_kv", "BSND is not supported with layout_query TND", repr(layout_kv))
    query, key, value = np.asarray(query), np.asarray(key), np.asarray(value)
    if query.dtype != np.dtype(BF16):
        raise constraint_error(OP, "query", "dtype must be bfloat16", query.dtype)
    for name, arr in (("key", key), ("value", value)):
        if arr.dtype != np.int8:
            raise constraint_error(OP, name, "dtype must be int8", arr.dtype)
        if arr.shape[-1] != KV_ROW_BYTES or arr.ndim < 2 or arr.shape[-2] != 1:
            raise constraint_error(OP, name, f"must end in [N2 = 1, D = {KV_ROW_BYTES}]", f"shape {list(arr.shape)}")
    if value.shape != key.shape:
        raise constraint_error(OP, "value", f"shape must equal key shape {list(key.shape)}", list(value.shape))
    if query.shape[-1] != NOPE_DIM + ROPE_DIM:
        raise constraint_error(OP, "query", f"D must be {NOPE_DIM + ROPE_DIM}", f"shape {list(query.shape)}")
    q_nd = 4 if layout_query == "BSND" else 3
    if query.ndim != q_nd:
        raise constraint_error(OP, "query", f"must be {q_nd}-D for layout {layout_query}", f"shape {list(query.shape)}")
    qrows = query_rows(OP, layout_query, query.shape, actual_seq_lengths_query)
    krows = key_rows(
        OP, layout_kv, key.shape, actual_seq_lengths_kv, block_table, qrows.batch,
        param="actual_seq_lengths_kv", layout_param="layout_kv",
    )
    n1 = query.shape[-2]
    check_query_heads(OP, "query", n1)
    s = check_sparse_block_size(OP, sparse_block_size, key.shape[1] if layout_kv == "PA_BSND" else None)
    indices = check_indices(OP, "sparse_indices", sparse_indices, query.shape[:-2])

    q_flat = query.reshape(-1, n1, query.shape[-1])
    k_flat = key.reshape(-1, KV_ROW_BYTES)
    v_flat = value.reshape(-1, KV_ROW_BYTES)
    same_kv = value is key  # MLA-absorb passes one cache as both key and value

    def gather(slots):
        kr = unpack_kv_rows(k_flat[slots])
        k_nope = dequant_nope(kr.nope, kr.scales, prec)
        k = np.concatenate([k_nope, prec.up(kr.rope)], axis=-1)
        if same_kv:
            return k, k_nope
        vr = unpack_kv_rows(v_flat[slots])
        return k, dequant_nope(vr.nope, vr.scales, prec)

    out = sparse_attention(
        lambda row: prec.up(q_flat[row]), qrows, krows, indices, s, int(sparse_mode),
        scale_value, gather, n1, NOPE_DIM, prec=prec,
    )
    return out.reshape(query.shape[:-1] + (NOPE_DIM,))
