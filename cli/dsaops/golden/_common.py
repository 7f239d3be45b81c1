"""Layouts, sequence lengths, causal visibility, paged gather and the top-k rule (OPS.md, "Shared conventions").

The goldens of the indexer and sparse-attention ops read their tensors through two small
views built here:

- :class:`QueryRows` maps (batch, row within the batch) to a flat row of the query viewed
  as ``[rows, N, D]`` (BSND: ``b * S1 + i``; TND: prefix-sum start + i).
- :class:`KeyRows` maps (batch, key position) to a flat slot of the key viewed as
  ``[slots, N2, D]`` (BSND: ``b * S2 + j``; TND: prefix-sum start + j; PA_BSND:
  ``block_table[b, j // block_size] * block_size + j % block_size``).

Everything is numpy; nothing here modifies its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from dsaops.errors import ConstraintError

LAYOUTS = ("BSND", "TND", "PA_BSND")
SPARSE_MODES = (0, 3)


def constraint_error(op: str, param: str, expected: str, got: object) -> ConstraintError:
    """The project's message style: ``<op>: <param> <what is expected>, got <actual>``."""
    return ConstraintError(f"{op}: {param} {expected}, got {got}")


def bind_args(op: str, args: Mapping[str, Any]):
    """Check the arguments against the op's definition (``dsaops.validate.bind``).

    Every golden's op has a bundled opdef, so an unknown op name is an error, never a skip.
    """
    from dsaops.validate import bind

    return bind(op, args)


def _shape(a) -> list[int]:
    return list(np.shape(a))


def as_int_vector(op: str, param: str, value, length: int | None = None) -> np.ndarray | None:
    """A 1-D integer tensor (actual_seq_lengths_*, kv_act_seqs) as int64, or None."""
    if value is None:
        return None
    v = np.asarray(value)
    if v.ndim != 1:
        raise constraint_error(op, param, "must be 1-D", f"shape {_shape(v)}")
    if v.dtype.kind not in "iu":
        raise constraint_error(op, param, "must be an integer tensor", f"dtype {v.dtype}")
    if length is not None and v.shape[0] != length:
        raise constraint_error(op, param, f"must have B = {length} elements", f"{v.shape[0]}")
    if v.size and int(v.min()) < 0:
        raise constraint_error(op, param, "must not be negative", v.tolist()[:8])
    return v.astype(np.int64)


def _prefix_sum(op: str, param: str, value, total: int) -> tuple[np.ndarray, np.ndarray]:
    cum = as_int_vector(op, param, value)
    if cum is None:
        raise constraint_error(op, param, "is required for layout TND", "None")
    if cum.size == 0:
        raise constraint_error(op, param, "must have at least one batch", "an empty tensor")
    if np.any(np.diff(cum) < 0):
        raise constraint_error(op, param, "must be a non-decreasing prefix sum", cum.tolist()[:8])
    if int(cum[-1]) != total:
        raise constraint_error(op, param, f"must end at T = {total}", int(cum[-1]))
    starts = np.concatenate([[0], cum[:-1]]).astype(np.int64)
    return starts, (cum - starts).astype(np.int64)


@dataclass(frozen=True)
class QueryRows:
    """Per-batch valid query rows and where they sit in the flat ``[rows, ...]`` view."""

    layout: str
    batch: int
    starts: np.ndarray  # flat row of each batch's row 0
    lengths: np.ndarray  # valid rows per batch (S1 of that batch)
    rows: int  # flat rows of the tensor (B * S1 or T)

    def flat(self, b: int) -> np.ndarray:
        """Flat rows of batch ``b``'s valid query rows."""
        return np.arange(self.starts[b], self.starts[b] + self.lengths[b], dtype=np.int64)


def query_rows(op: str, layout: str, shape, actual, param: str = "actual_seq_lengths_query") -> QueryRows:
    """Resolve a BSND [B, S1, ...] or TND [T, ...] query and its actual_seq_lengths_query."""
    shape = list(shape)
    if layout == "BSND":
        b, s1 = shape[0], shape[1]
        lengths = as_int_vector(op, param, actual, b)
        if lengths is None:
            lengths = np.full(b, s1, dtype=np.int64)
        elif lengths.size and int(lengths.max()) > s1:
            raise constraint_error(op, param, f"must not exceed S1 = {s1}", lengths.tolist()[:8])
        return QueryRows(layout, b, np.arange(b, dtype=np.int64) * s1, lengths, b * s1)
    if layout == "TND":
        starts, lengths = _prefix_sum(op, param, actual, shape[0])
        return QueryRows(layout, len(lengths), starts, lengths, shape[0])
    raise constraint_error(op, "layout_query", "must be one of BSND, TND", repr(layout))


@dataclass(frozen=True)
class KeyRows:
    """Per-batch valid keys and their flat slots in the key viewed as ``[slots, ...]``."""

    layout: str
    batch: int
    lengths: np.ndarray  # valid keys per batch (S2 of that batch)
    starts: np.ndarray | None = None  # BSND / TND: flat slot of each batch's key 0
    block_table: np.ndarray | None = None  # PA_BSND
    block_size: int = 0

    def slots(self, b: int, positions) -> np.ndarray:
        """Flat slots of batch ``b``'s key positions (0-based within the batch)."""
        pos = np.asarray(positions, dtype=np.int64)
        if self.layout == "PA_BSND":
            blocks = self.block_table[b, pos // self.block_size].astype(np.int64)
            return blocks * self.block_size + pos % self.block_size
        return self.starts[b] + pos

    @property
    def max_length(self) -> int:
        return int(self.lengths.max()) if self.lengths.size else 0


def key_rows(
    op: str,
    layout: str,
    shape,
    actual,
    block_table,
    batch: int,
    *,
    param: str = "actual_seq_lengths_key",
    layout_param: str = "layout_key",
) -> KeyRows:
    """Resolve a BSND [B, S2, ...], TND [T2, ...] or PA_BSND [blocks, block_size, ...] key."""
    shape = list(shape)
    if layout != "PA_BSND" and block_table is not None:
        raise constraint_error(op, "block_table", f"must be None unless {layout_param} is PA_BSND", "a tensor")
    if layout == "BSND":
        if shape[0] != batch:
            raise constraint_error(op, "key", f"batch dim must equal B = {batch}", f"shape {shape}")
        s2 = shape[1]
        lengths = as_int_vector(op, param, actual, batch)
        if lengths is None:
            lengths = np.full(batch, s2, dtype=np.int64)
        elif lengths.size and int(lengths.max()) > s2:
            raise constraint_error(op, param, f"must not exceed S2 = {s2}", lengths.tolist()[:8])
        return KeyRows(layout, batch, lengths, starts=np.arange(batch, dtype=np.int64) * s2)
    if layout == "TND":
        starts, lengths = _prefix_sum(op, param, actual, shape[0])
        if len(lengths) != batch:
            raise constraint_error(op, param, f"must have B = {batch} elements", len(lengths))
        return KeyRows(layout, batch, lengths, starts=starts)
    if layout == "PA_BSND":
        block_count, block_size = shape[0], shape[1]
        if block_table is None:
            raise constraint_error(op, "block_table", f"is required when {layout_param} is PA_BSND", "None")
        table = np.asarray(block_table)
        if table.ndim != 2 or table.shape[0] != batch or table.dtype.kind not in "iu":
            raise constraint_error(
                op, "block_table", f"must be an integer [B = {batch}, max_blocks] tensor",
                f"{table.dtype} shape {_shape(table)}",
            )
        lengths = as_int_vector(op, param, actual, batch)
        if lengths is None:
            raise constraint_error(op, param, f"is required when {layout_param} is PA_BSND", "None")
        needed = -(-lengths // block_size)
        if needed.size and int(needed.max()) > table.shape[1]:
            raise constraint_error(
                op, "block_table", f"must have at least {int(needed.max())} blocks per batch",
                f"{table.shape[1]}",
            )
        for b in range(batch):
            used = table[b, : needed[b]]
            if used.size and (int(used.min()) < 0 or int(used.max()) >= block_count):
                raise constraint_error(
                    op, "block_table", f"entries in use must lie in [0, {block_count})",
                    f"batch {b}: {used.tolist()[:8]}",
                )
        return KeyRows(layout, batch, lengths, block_table=table.astype(np.int64), block_size=block_size)
    raise constraint_error(op, layout_param, "must be one of BSND, TND, PA_BSND", repr(layout))


def visible_counts(q_len: int, kv_len: int, sparse_mode: int) -> np.ndarray:
    """Number of keys each query row sees; the visible keys are always the prefix [0, count).

    sparse_mode 3 (rightDownCausal): row i sees key j iff j <= kv_len - q_len + i.
    sparse_mode 0: every valid key.
    """
    i = np.arange(q_len, dtype=np.int64)
    if sparse_mode == 0:
        return np.full(q_len, kv_len, dtype=np.int64)
    return np.clip(kv_len - q_len + i + 1, 0, kv_len)


def topk_rule(scores, k: int) -> np.ndarray:
    """Top-k of one row of scores over positions 0..L-1 (OPS.md "Top-k output").

    Sorted by score descending, ties broken by the smaller index; slots beyond L are -1.
    NaN scores rank below every number (their order is undefined by the op; this keeps
    the output deterministic and in range).
    """
    s = np.asarray(scores)
    if s.dtype != np.float64:  # float64 scores (the exact variants) keep their precision
        s = s.astype(np.float32)
    n = s.shape[0]
    out = np.full(k, -1, dtype=np.int32)
    if n == 0 or k == 0:
        return out
    s = np.where(np.isnan(s), -np.inf, s).astype(s.dtype)
    if n <= k:
        cand = np.arange(n, dtype=np.int64)
    else:
        kth = np.partition(s, n - k)[n - k]  # the k-th largest score
        above = np.flatnonzero(s > kth)
        ties = np.flatnonzero(s == kth)[: k - above.size]
        cand = np.concatenate([above, ties])
    order = np.lexsort((cand, -s[cand]))
    sel = cand[order]
    out[: sel.size] = sel
    return out
