"""Generation helpers of the indexer and sparse-attention case generators.

- sequence lengths (fixed, variable, or given per batch), with causal edge rows
  (a batch whose kv length is shorter than its query length has rows that see nothing);
- placing per-token rows into a BSND tensor (padding rows filled with garbage), a TND
  tensor (batches back to back, prefix sums), or a paged cache (shuffled block table,
  unused blocks and the tail of each last block full of garbage, -1 past a batch's blocks);
- sparse indices made like a real indexer would: distinct, visible, valid first, -1 after;
- the 656-byte antiquant KV row.

Knob reading (``Knob``, ``read_knobs``) is shared with the prolog generators
(``dsaops.cases._model_inputs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import ml_dtypes
import numpy as np

from dsaops.cases._model_inputs import Knob, garbage, read_knobs
from dsaops.errors import CaseError
from dsaops.golden._common import visible_counts
from dsaops.golden._numerics import quant_per_tile
from dsaops.golden.sparse_flash_attention_antiquant import (
    KV_ROW_BYTES,
    NOPE_DIM,
    ROPE_DIM,
    ROPE_OFFSET,
    SCALE_OFFSET,
)

BF16 = ml_dtypes.bfloat16

__all__ = [
    "Knob", "read_knobs", "garbage", "SEQ_KNOBS", "Lengths", "lengths", "place_query", "place_keys",
    "Placed", "sparse_indices", "pack_kv_rows", "quantized_kv_rows",
]

#: Batch geometry knobs shared by the generators of ops 1-4.
SEQ_KNOBS = {
    "B": Knob(1, int, 1, 1024),
    "S1": Knob(1, int, 1, 16384),  # query rows per batch (BSND S1; the longest batch for TND)
    "S2": Knob(256, int, 1, 131072),  # keys of the longest batch
    "variable_lengths": Knob(False, bool),  # other batches draw lengths below S1 / S2
    "q_lens": Knob([], list),  # explicit per-batch query lengths (overrides the above)
    "kv_lens": Knob([], list),  # explicit per-batch kv lengths (may be < q length: causal edge rows)
    "block_size": Knob(128, int, 16, 1024, multiple_of=16),
    "extra_blocks": Knob(2, int, 0, 1024),  # garbage blocks no batch uses
    "sparse_mode": Knob(3, int, choices=(0, 3)),
}


@dataclass(frozen=True)
class Lengths:
    q: np.ndarray  # int64 [B] query rows per batch
    kv: np.ndarray  # int64 [B] keys per batch
    s1: int  # query S of a BSND tensor (>= max q)
    s2: int  # key S of a BSND tensor (>= max kv)


def _explicit(op: str, name: str, values: list, batch: int, limit: int, low: int) -> np.ndarray:
    if len(values) != batch:
        raise CaseError(f"{op}: case knob {name} must have B = {batch} entries, got {values!r}")
    for v in values:
        if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= limit:
            raise CaseError(f"{op}: case knob {name} entries must be ints in [{low}, {limit}], got {values!r}")
    return np.asarray(values, dtype=np.int64)


def lengths(op: str, rng: np.random.Generator, k: Mapping) -> Lengths:
    """Per-batch query and kv lengths from the knobs (batch 0 always has the full S1 / S2)."""
    b, s1, s2 = k["B"], k["S1"], k["S2"]
    if k["q_lens"]:
        q = _explicit(op, "q_lens", k["q_lens"], b, s1, 0)
    elif k["variable_lengths"] and b > 1:
        q = rng.integers(1, s1 + 1, size=b)
        q[0] = s1
    else:
        q = np.full(b, s1, dtype=np.int64)
    if k["kv_lens"]:
        kv = _explicit(op, "kv_lens", k["kv_lens"], b, s2, 0)
    elif k["variable_lengths"] and b > 1:
        kv = rng.integers(1, s2 + 1, size=b)
        kv[0] = s2
    else:
        kv = np.full(b, s2, dtype=np.int64)
    return Lengths(q.astype(np.int64), kv.astype(np.int64), s1, s2)


#: make_rows(n) -> tuple of arrays with n leading rows (e.g. key and its scale)
MakeRows = Callable[[int], Sequence[np.ndarray]]


@dataclass(frozen=True)
class Placed:
    tensors: tuple[np.ndarray, ...]
    actual_seq_lengths: np.ndarray | None  # int32: per-batch lengths (BSND, PA) or prefix sums (TND)
    block_table: np.ndarray | None = None


def _fill(rng, like: np.ndarray, lead: tuple[int, ...]) -> np.ndarray:
    return garbage(rng, lead + like.shape[1:], like.dtype)


def place_query(rng: np.random.Generator, layout: str, q_lens: np.ndarray, s1: int, make_rows: MakeRows) -> Placed:
    """Query-side tensors in BSND [B, S1, ...] (padding rows garbage) or TND [T, ...]."""
    per_batch = [tuple(make_rows(int(n))) for n in q_lens]
    if layout == "TND":
        tensors = tuple(np.concatenate(parts, axis=0) for parts in zip(*per_batch))
        return Placed(tensors, np.cumsum(q_lens).astype(np.int32))
    tensors = []
    for j, first in enumerate(per_batch[0]):
        out = _fill(rng, first, (len(q_lens), s1))
        for b, rows in enumerate(per_batch):
            out[b, : q_lens[b]] = rows[j]
        tensors.append(out)
    full = bool(np.all(q_lens == s1))
    return Placed(tuple(tensors), None if full else q_lens.astype(np.int32))


def place_keys(
    rng: np.random.Generator,
    layout: str,
    kv_lens: np.ndarray,
    s2: int,
    make_rows: MakeRows,
    block_size: int = 128,
    extra_blocks: int = 2,
) -> Placed:
    """Key-side tensors in BSND [B, S2, ...], TND [T2, ...] or a paged cache [blocks, block_size, ...].

    Paged: each batch's blocks get shuffled block ids, ``extra_blocks`` unused blocks are
    mixed in, every slot no batch owns is garbage, and table entries past a batch's last
    block are -1.
    """
    per_batch = [tuple(make_rows(int(n))) for n in kv_lens]
    batch = len(kv_lens)
    if layout == "TND":
        tensors = tuple(np.concatenate(parts, axis=0) for parts in zip(*per_batch))
        return Placed(tensors, np.cumsum(kv_lens).astype(np.int32))
    if layout == "BSND":
        tensors = []
        for j, first in enumerate(per_batch[0]):
            out = _fill(rng, first, (batch, s2))
            for b, rows in enumerate(per_batch):
                out[b, : kv_lens[b]] = rows[j]
            tensors.append(out)
        full = bool(np.all(kv_lens == s2))
        return Placed(tuple(tensors), None if full else kv_lens.astype(np.int32))
    blocks_per = [-(-int(n) // block_size) for n in kv_lens]
    max_blocks = max(1, max(blocks_per))
    block_num = sum(blocks_per) + extra_blocks
    order = rng.permutation(block_num).astype(np.int32)
    table = np.full((batch, max_blocks), -1, dtype=np.int32)
    used = 0
    for b, count in enumerate(blocks_per):
        table[b, :count] = order[used : used + count]
        used += count
    tensors = []
    for j, first in enumerate(per_batch[0]):
        cache = _fill(rng, first, (block_num, block_size))
        flat = cache.reshape((block_num * block_size,) + cache.shape[2:])
        for b, rows in enumerate(per_batch):
            pos = np.arange(int(kv_lens[b]))
            flat[table[b, pos // block_size].astype(np.int64) * block_size + pos % block_size] = rows[j]
        tensors.append(cache)
    return Placed(tuple(tensors), kv_lens.astype(np.int32), table)


def sparse_indices(
    rng: np.random.Generator,
    q_lens: np.ndarray,
    kv_lens: np.ndarray,
    count: int,
    sparse_mode: int,
    sparse_block_size: int = 1,
    *,
    layout: str = "BSND",
    s1: int | None = None,
) -> np.ndarray:
    """int32 indices like a real indexer's output: [B, S1, 1, count] (BSND) or [T, 1, count] (TND).

    Each row holds min(count, visible blocks) distinct block indices in a random (score)
    order, -1 after. With sparse_block_size > 1 a row that sees a partial block always
    selects it (the block holding the current token), so the clipping at the causal
    threshold is exercised. BSND padding rows are all -1.
    """
    rows = []
    for b in range(len(q_lens)):
        vis = visible_counts(int(q_lens[b]), int(kv_lens[b]), sparse_mode)
        for i in range(int(q_lens[b])):
            n_blocks = -(-int(vis[i]) // sparse_block_size)
            row = np.full(count, -1, dtype=np.int32)
            take = min(count, n_blocks)
            if take:
                chosen = rng.choice(n_blocks, size=take, replace=False)
                partial = vis[i] % sparse_block_size != 0
                if partial and n_blocks - 1 not in chosen:
                    chosen[rng.integers(take)] = n_blocks - 1
                row[:take] = chosen
            rows.append(row)
    if layout == "TND":
        return np.stack(rows).reshape(-1, 1, count) if rows else np.zeros((0, 1, count), np.int32)
    s1 = int(max(q_lens)) if s1 is None else s1
    out = np.full((len(q_lens), s1, 1, count), -1, dtype=np.int32)
    r = 0
    for b in range(len(q_lens)):
        for i in range(int(q_lens[b])):
            out[b, i, 0] = rows[r]
            r += 1
    return out


def pack_kv_rows(nope, rope, scales) -> np.ndarray:
    """int8 rows [..., 656] in Ascend byte order: int8 nope | bf16 rope | fp32 tile scales (little-endian)."""
    nope, rope, scales = np.asarray(nope), np.asarray(rope), np.asarray(scales)
    lead = nope.shape[:-1]
    out = np.empty(lead + (KV_ROW_BYTES,), dtype=np.uint8)
    out[..., :ROPE_OFFSET] = nope.astype(np.int8).view(np.uint8)
    out[..., ROPE_OFFSET:SCALE_OFFSET] = rope.astype(BF16).view(np.uint16).astype("<u2").view(np.uint8).reshape(
        lead + (ROPE_DIM * 2,)
    )
    out[..., SCALE_OFFSET:] = scales.astype("<f4").view(np.uint8).reshape(lead + (-1,))
    return out.view(np.int8)


def quantized_kv_rows(nope_bf16, rope_bf16) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The KV-cache recipe: per-tile-128 int8 quant of the nope part -> (int8 nope, bf16 rope, fp32 scales)."""
    q = quant_per_tile(np.asarray(nope_bf16).astype(np.float32))
    return q.q, np.asarray(rope_bf16).astype(BF16), q.scale.astype(np.float32)


def latent_rows(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """MLA latent KV rows: RMS-normalized c_kv (bf16 [n, 512]) and rotated k_pe (bf16 [n, 64])."""
    c = rng.standard_normal((n, NOPE_DIM), dtype=np.float32)
    gamma = np.float32(1.0) + np.float32(0.1) * rng.standard_normal(NOPE_DIM, dtype=np.float32)
    # a few outlier channels, as real activations have; they set the per-tile scales
    c[:, rng.choice(NOPE_DIM, 8, replace=False)] *= np.float32(6.0)
    c = c / np.sqrt(np.mean(c * c, axis=-1, keepdims=True)) * gamma
    pe = rng.standard_normal((n, ROPE_DIM), dtype=np.float32)
    return c.astype(BF16), pe.astype(BF16)


def mla_queries(rng: np.random.Generator, n: int, n1: int, spread: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Absorbed MLA queries: q_nope bf16 [n, N1, 512] and q_rope bf16 [n, N1, 64]."""
    qn = rng.standard_normal((n, n1, NOPE_DIM), dtype=np.float32) * np.float32(spread)
    qr = rng.standard_normal((n, n1, ROPE_DIM), dtype=np.float32) * np.float32(spread)
    return qn.astype(BF16), qr.astype(BF16)


def knob_error(op: str, name: str, expected: str, got: object) -> CaseError:
    return CaseError(f"{op}: case knob {name} {expected}, got {got!r}")
