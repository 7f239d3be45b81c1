"""Model-shaped inputs for the prolog ops and the fused op (DeepSeek-V3.2-Exp constants).

RoPE tables come from real token positions with the model's YaRN frequencies
(config: rope_theta 10000, rope_factor 40, original_seq_len 4096, beta_fast 32,
beta_slow 1, qk_rope_head_dim 64). Weights are normal / sqrt(fan_in); int8 weights are
made by the per-output-channel symmetric recipe with fp32 scales. Caches start full of
garbage and the new tokens are written through a shuffled block table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import ml_dtypes
import numpy as np

from dsaops.errors import CaseError
from dsaops.golden._numerics import quant_per_channel_weight, sylvester_hadamard

BF16 = ml_dtypes.bfloat16

# DeepSeek-V3.2-Exp model constants.
HIDDEN = 7168
Q_LORA_RANK = 1536
KV_LORA_RANK = 512
N_Q = 128
QK_NOPE_HEAD_DIM = 128
ROPE_DIM = 64
IDX_N_HEADS = 64
IDX_HEAD_DIM = 128
ROPE_THETA = 10000.0
ROPE_FACTOR = 40.0
ROPE_ORIGINAL_SEQ_LEN = 4096
ROPE_BETA_FAST = 32.0
ROPE_BETA_SLOW = 1.0
RMS_EPSILON = 1e-5
LAYERNORM_EPSILON_K = 1e-6


# ---------------------------------------------------------------------------------------
# Knobs
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Knob:
    default: object
    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    multiple_of: int = 1


def read_knobs(op: str, params: Mapping, spec: Mapping[str, Knob]) -> dict:
    """Strictly read a case's params: unknown knobs and bad values raise CaseError."""
    unknown = sorted(set(params) - set(spec))
    if unknown:
        raise CaseError(f"{op}: unknown case knob {unknown[0]!r}; expected one of {sorted(spec)}")
    out = {}
    for name, knob in spec.items():
        value = params.get(name, knob.default)
        if knob.kind is int:
            ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        elif knob.kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        else:
            ok = isinstance(value, knob.kind)
        if not ok:
            raise CaseError(f"{op}: case knob {name} must be {knob.kind.__name__}, got {value!r}")
        if knob.choices and value not in knob.choices:
            raise CaseError(f"{op}: case knob {name} must be one of {list(knob.choices)}, got {value!r}")
        if knob.low is not None and value < knob.low:
            raise CaseError(f"{op}: case knob {name} must be >= {knob.low}, got {value!r}")
        if knob.high is not None and value > knob.high:
            raise CaseError(f"{op}: case knob {name} must be <= {knob.high}, got {value!r}")
        if knob.multiple_of > 1 and value % knob.multiple_of:
            raise CaseError(f"{op}: case knob {name} must be a multiple of {knob.multiple_of}, got {value!r}")
        out[name] = value
    return out


#: Knobs every prolog generator accepts (batch, tokens, cache geometry).
BATCH_KNOBS = {
    "B": Knob(1, int, 1, 1024),
    "S1": Knob(1, int, 1, 16384),
    "S2": Knob(256, int, 1, 131072),  # kv length of the longest batch after this step
    "variable_lengths": Knob(True, bool),  # other batches get lengths drawn in [S1, S2]
    "block_size": Knob(128, int, 16, 1024, multiple_of=16),
    "extra_blocks": Knob(2, int, 0, 1024),  # garbage blocks no batch uses
}


# ---------------------------------------------------------------------------------------
# RoPE
# ---------------------------------------------------------------------------------------


def yarn_inv_freq(
    rope_dim: int = ROPE_DIM,
    theta: float = ROPE_THETA,
    factor: float = ROPE_FACTOR,
    original_seq_len: int = ROPE_ORIGINAL_SEQ_LEN,
    beta_fast: float = ROPE_BETA_FAST,
    beta_slow: float = ROPE_BETA_SLOW,
) -> np.ndarray:
    """YaRN inverse frequencies [rope_dim // 2] (float64).

    Base frequencies theta^(-2i/d); dims rotating fewer than beta_slow times over the
    original context are divided by ``factor``, dims rotating more than beta_fast times are
    kept, with a linear ramp between (YaRN, as the DeepSeek-V3 family applies it).
    """
    half = rope_dim // 2
    base = theta ** (-np.arange(0, rope_dim, 2, dtype=np.float64) / rope_dim)
    if factor == 1.0:
        return base

    def correction_dim(rotations: float) -> float:
        return rope_dim * math.log(original_seq_len / (rotations * 2 * math.pi)) / (2 * math.log(theta))

    low = max(math.floor(correction_dim(beta_fast)), 0)
    high = min(math.ceil(correction_dim(beta_slow)), rope_dim - 1)
    if low == high:
        high += 0.001
    ramp = np.clip((np.arange(half, dtype=np.float64) - low) / (high - low), 0.0, 1.0)
    keep = 1.0 - ramp  # 1 for fast-rotating dims (kept), 0 for slow ones (interpolated)
    return base / factor * (1.0 - keep) + base * keep


def rope_cos_sin(positions, rope_dim: int = ROPE_DIM, *, yarn: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """bf16 cos/sin [t, rope_dim] for token positions, in the half-split layout [f0..f_{d/2-1} | same]."""
    inv = yarn_inv_freq(rope_dim) if yarn else yarn_inv_freq(rope_dim, factor=1.0)
    angles = np.outer(np.asarray(positions, dtype=np.float64), inv)
    angles = np.concatenate([angles, angles], axis=-1)
    return np.cos(angles).astype(np.float32).astype(BF16), np.sin(angles).astype(np.float32).astype(BF16)


def hadamard_bf16(n: int = IDX_HEAD_DIM) -> np.ndarray:
    """The orthonormal Sylvester matrix H_n / sqrt(n) as bf16 (the indexer's rotation)."""
    return sylvester_hadamard(n).astype(np.float32).astype(BF16)


# ---------------------------------------------------------------------------------------
# Activations and weights
# ---------------------------------------------------------------------------------------


def hidden_states(rng: np.random.Generator, t: int, h: int) -> np.ndarray:
    """bf16 [t, h] with unit RMS (the attention input is an RMS-normalized hidden state)."""
    return rng.standard_normal((t, h), dtype=np.float32).astype(BF16)


def bf16_weight(rng: np.random.Generator, *shape: int, fan_in: int | None = None) -> np.ndarray:
    """bf16 weight ~ N(0, 1/fan_in) (fan_in defaults to the first dim: [in, out] matrices)."""
    fan = fan_in if fan_in is not None else shape[0]
    return (rng.standard_normal(shape, dtype=np.float32) / np.float32(math.sqrt(fan))).astype(BF16)


def int8_weight(rng: np.random.Generator, fan_in: int, fan_out: int) -> tuple[np.ndarray, np.ndarray]:
    """W8 weight [fan_in, fan_out] int8 with per-output-channel fp32 scales [fan_out, 1]."""
    w = rng.standard_normal((fan_in, fan_out), dtype=np.float32) / np.float32(math.sqrt(fan_in))
    q, scale = quant_per_channel_weight(w, axis=0)
    return q, scale


def norm_gamma(rng: np.random.Generator, n: int, spread: float = 0.1) -> np.ndarray:
    """bf16 norm scale near 1."""
    return (1.0 + spread * rng.standard_normal(n, dtype=np.float32)).astype(BF16)


def norm_beta(rng: np.random.Generator, n: int, spread: float = 0.05) -> np.ndarray:
    """bf16 norm shift near 0."""
    return (spread * rng.standard_normal(n, dtype=np.float32)).astype(BF16)


# ---------------------------------------------------------------------------------------
# Paged caches
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PagedLayout:
    kv_lens: np.ndarray  # int32 [b], kv length per batch after this step
    positions: np.ndarray  # int64 [t], position of each new token in its batch
    block_table: np.ndarray  # int32 [b, max_blocks], -1 past a batch's last block
    cache_index: np.ndarray  # int64 [t], slot = block * block_size + row of each new token
    block_num: int
    block_size: int


def paged_layout(rng: np.random.Generator, b: int, s1: int, s2: int, block_size: int, extra_blocks: int,
                 variable_lengths: bool) -> PagedLayout:
    """Kv lengths, a shuffled block table and the cache slots of the s1 new tokens of each batch.

    Batch 0 has length s2; with variable_lengths the others draw lengths in [s1, s2]. Blocks
    are numbered in a random order (plus ``extra_blocks`` that no batch uses) so that a
    kernel indexing the cache linearly reads the wrong rows.
    """
    if s2 < s1:
        raise CaseError(f"case knob S2 must be >= S1 = {s1}, got {s2}")
    if variable_lengths and b > 1:
        lens = rng.integers(s1, s2 + 1, size=b)
        lens[0] = s2
    else:
        lens = np.full(b, s2)
    blocks_per = [(int(n) + block_size - 1) // block_size for n in lens]
    max_blocks = max(blocks_per)
    block_num = sum(blocks_per) + extra_blocks
    order = rng.permutation(block_num).astype(np.int32)
    table = np.full((b, max_blocks), -1, dtype=np.int32)
    used = 0
    for i, count in enumerate(blocks_per):
        table[i, :count] = order[used:used + count]
        used += count
    positions = np.concatenate([np.arange(n - s1, n) for n in lens]).astype(np.int64)
    batch = np.repeat(np.arange(b), s1)
    cache_index = (table[batch, positions // block_size].astype(np.int64) * block_size + positions % block_size)
    return PagedLayout(lens.astype(np.int32), positions, table, cache_index, block_num, block_size)


def garbage(rng: np.random.Generator, shape: tuple, dtype) -> np.ndarray:
    """Cache filler: random bytes for int8, wide-range finite values for floats."""
    dtype = np.dtype(dtype)
    if dtype == np.int8:
        return rng.integers(-128, 128, size=shape, dtype=np.int16).astype(np.int8)
    values = rng.standard_normal(shape, dtype=np.float32) * np.float32(8.0)
    if dtype == np.float16 or dtype == np.float32:
        values = np.abs(values)  # scale caches hold non-negative scales
    return values.astype(dtype)


# ---------------------------------------------------------------------------------------
# Input sets shared by the prolog generators
# ---------------------------------------------------------------------------------------

#: Model-dimension knobs (defaults are the real model; small values keep smoke cases fast).
DIM_KNOBS = {
    "H": Knob(HIDDEN, int, 16, 16384, multiple_of=16),
    "q_lora_rank": Knob(Q_LORA_RANK, int, 16, 4096, multiple_of=16),
    "n_q": Knob(N_Q, int, 1, 128),
    "kv_lora_rank": Knob(KV_LORA_RANK, int, 128, 1024, multiple_of=128),
    "qk_nope_head_dim": Knob(QK_NOPE_HEAD_DIM, int, 16, 256, multiple_of=16),
    "rope_dim": Knob(ROPE_DIM, int, 2, 128, multiple_of=2),
    "idx_n_heads": Knob(IDX_N_HEADS, int, 1, 128),
    "idx_head_dim": Knob(IDX_HEAD_DIM, int, 16, 256, multiple_of=16),
}


def mla_inputs(rng: np.random.Generator, k: Mapping, layout: PagedLayout, *, quant: bool) -> dict:
    """Inputs of the MLA prolog (op 6 names) for t = B * S1 tokens at ``layout``'s positions."""
    t = layout.cache_index.shape[0]
    h, ql, nq = k["H"], k["q_lora_rank"], k["n_q"]
    kvl, nope, rope = k["kv_lora_rank"], k["qk_nope_head_dim"], k["rope_dim"]
    cos, sin = rope_cos_sin(layout.positions, rope)
    slots = (layout.block_num, layout.block_size, 1)
    out = {
        "token_x": hidden_states(rng, t, h),
        "w_dq": bf16_weight(rng, h, ql),
    }
    if quant:
        out["w_uq_qr"], out["dequant_scale"] = int8_weight(rng, ql, nq * (nope + rope))
    else:
        out["w_uq_qr"] = bf16_weight(rng, ql, nq * (nope + rope))
    out.update({
        "w_uk": bf16_weight(rng, nq, nope, kvl, fan_in=nope),
        "w_dkv_kr": bf16_weight(rng, h, kvl + rope),
        "gamma_cq": norm_gamma(rng, ql),
        "gamma_ckv": norm_gamma(rng, kvl),
        "cos": cos,
        "sin": sin,
        "cache_index": layout.cache_index.copy(),
        "kv_cache": garbage(rng, slots + (kvl,), np.int8 if quant else BF16),
        "kr_cache": garbage(rng, slots + (rope,), BF16),
    })
    if quant:
        out["k_scale_cache"] = garbage(rng, slots + (kvl // 128,), np.float32)
    return out


def indexer_weights(rng: np.random.Generator, k: Mapping, *, quant: bool) -> dict:
    """Indexer-prolog weights (generic names): w_qb (+ scale), wk, w_proj, LayerNorm gamma/beta."""
    h, ql, n, d = k["H"], k["q_lora_rank"], k["idx_n_heads"], k["idx_head_dim"]
    out = {}
    if quant:
        out["w_qb"], out["w_qb_scale"] = int8_weight(rng, ql, n * d)
    else:
        out["w_qb"] = bf16_weight(rng, ql, n * d)
    out["wk"] = bf16_weight(rng, h, d)
    out["w_proj"] = bf16_weight(rng, h, n)
    out["gamma"] = norm_gamma(rng, d)
    out["beta"] = norm_beta(rng, d)
    return out


def batch_layout(rng: np.random.Generator, k: Mapping) -> PagedLayout:
    return paged_layout(rng, k["B"], k["S1"], k["S2"], k["block_size"], k["extra_blocks"], k["variable_lengths"])
