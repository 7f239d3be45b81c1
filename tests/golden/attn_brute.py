"""Brute-force references of ops 1-5 for the golden tests.

A different formulation than the goldens: Python loops over batches, query rows and keys,
explicit layout addressing per key (no flat slot views), float64 arithmetic, the plain
normalized softmax, and the antiquant rows decoded with ``struct`` instead of dtype views.
"""

from __future__ import annotations

import importlib
import struct

import ml_dtypes
import numpy as np

BF16 = ml_dtypes.bfloat16


def golden(op: str):
    """The golden function of ``op`` (from its module, so the test does not depend on package attributes)."""
    return getattr(importlib.import_module(f"dsaops.golden.{op}"), op)


def batches(args: dict, q_name: str, layout_q: str, act_q_name: str):
    """Yield (b, list of query index tuples of batch b)."""
    q = args[q_name]
    act = args.get(act_q_name)
    if layout_q == "TND":
        start = 0
        for b, end in enumerate(act):
            yield b, [(start + i,) for i in range(int(end) - start)]
            start = int(end)
    else:
        for b in range(q.shape[0]):
            n = q.shape[1] if act is None else int(act[b])
            yield b, [(b, i) for i in range(n)]


def kv_length(args: dict, key_name: str, layout_k: str, act_name: str, b: int) -> int:
    act = args.get(act_name)
    if layout_k == "TND":
        return int(act[b]) - (int(act[b - 1]) if b else 0)
    if act is None:
        return args[key_name].shape[1]
    return int(act[b])


def key_at(args: dict, name: str, layout_k: str, act_name: str, b: int, j: int):
    """The key row (any trailing dims) of position j of batch b, addressed as the layout says."""
    key = args[name]
    if layout_k == "BSND":
        return key[b, j]
    if layout_k == "TND":
        act = args[act_name]
        return key[(int(act[b - 1]) if b else 0) + j]
    bs = key.shape[1]
    return key[int(args["block_table"][b, j // bs]), j % bs]


def sees(mode: int, s1: int, s2: int, i: int, j: int) -> bool:
    if j >= s2:
        return False
    return mode == 0 or j <= s2 - s1 + i


# ------------------------------------------------------------------------- indexers


def indexer_visible_counts(args: dict) -> np.ndarray:
    """Keys each index row of an indexer sees, counted key by key with :func:`sees` from the
    arguments alone ([B, S1, N2] or [T, N2]; 0 for padding rows), independent of the golden."""
    lq, lk = args.get("layout_query", "BSND"), args.get("layout_key", "BSND")
    mode = args.get("sparse_mode", 3)
    q = args["query"]
    counts = np.zeros(q.shape[:-2] + (args["key"].shape[-2],), dtype=np.int64)
    for b, qidx in batches(args, "query", lq, "actual_seq_lengths_query"):
        s2 = kv_length(args, "key", lk, "actual_seq_lengths_key", b)
        for i, at in enumerate(qidx):
            counts[at] = sum(sees(mode, len(qidx), s2, i, j) for j in range(s2))
    return counts


def _indexer(args: dict, score_one):
    lq, lk = args.get("layout_query", "BSND"), args.get("layout_key", "BSND")
    k = args.get("sparse_count", 2048)
    mode = args.get("sparse_mode", 3)
    q = args["query"]
    lead = q.shape[:-2]
    n2 = args["key"].shape[-2]
    s2max = 0
    rows = []
    for b, qidx in batches(args, "query", lq, "actual_seq_lengths_query"):
        s2 = kv_length(args, "key", lk, "actual_seq_lengths_key", b)
        s2max = max(s2max, s2)
        for i, at in enumerate(qidx):
            for h in range(n2):
                scores = {}
                for j in range(s2):
                    if sees(mode, len(qidx), s2, i, j):
                        scores[j] = score_one(at, b, j, h)
                rows.append((at, h, scores))
    idx = np.full(lead + (n2, k), -1, dtype=np.int32)
    full = np.full(lead + (n2, s2max), -np.inf, dtype=np.float64)
    for at, h, scores in rows:
        order = sorted(scores, key=lambda j: (-scores[j], j))[:k]
        idx[at + (h,)][: len(order)] = order
        for j, s in scores.items():
            full[at + (h,)][j] = s
    return idx, full


def lightning_indexer(args: dict):
    """(indices, float64 scores [..., N2, S2max]) of op 1."""
    lk = args.get("layout_key", "BSND")
    g = args["query"].shape[-2] // args["key"].shape[-2]

    def score_one(at, b, j, h):
        q = args["query"][at][h * g : (h + 1) * g].astype(np.float64)
        w = args["weights"][at][h * g : (h + 1) * g].astype(np.float64)
        kv = key_at(args, "key", lk, "actual_seq_lengths_key", b, j)[h].astype(np.float64)
        return float(sum(w[x] * max(0.0, float(q[x] @ kv)) for x in range(g)))

    return _indexer(args, score_one)


def quant_lightning_indexer(args: dict):
    """(indices, float64 scores) of op 2, following the rounding points of OPS.md section 2."""
    lk = args.get("layout_key", "BSND")
    g = args["query"].shape[-2] // args["key"].shape[-2]

    def score_one(at, b, j, h):
        q = args["query"][at][h * g : (h + 1) * g].astype(np.int64)
        w = args["weights"][at][h * g : (h + 1) * g]
        qs = args["query_dequant_scale"][at][h * g : (h + 1) * g]
        kv = key_at(args, "key", lk, "actual_seq_lengths_key", b, j)[h].astype(np.int64)
        ks = float(key_at(args, "key_dequant_scale", lk, "actual_seq_lengths_key", b, j)[h])
        total = 0.0
        for x in range(g):
            s = int(q[x] @ kv)
            r = max(float(np.float16(s / 1024.0)), 0.0)
            wt = float(np.float16(float(w[x]) * float(qs[x])))
            total += wt * r
        return total * ks

    return _indexer(args, score_one)


# ------------------------------------------------------------------------- attention


def _attend(q: np.ndarray, keys: list, values: list, scale: float, round_p: bool = True) -> np.ndarray:
    """Softmax attention of q [N1, D] over lists of key / value rows, float64 except the one rounding
    point OPS.md names: the (unnormalized) probabilities are rounded to bf16 before they weight V
    (``round_p=False``: no rounding at all, the exact result)."""
    kmat, vmat = np.array(keys, dtype=np.float64), np.array(values, dtype=np.float64)
    out = np.zeros((q.shape[0], vmat.shape[1]))
    for h in range(q.shape[0]):
        logits = [scale * float(q[h] @ kmat[n]) for n in range(len(keys))]
        m = max(logits)
        e = [float(np.exp(x - m)) for x in logits]
        z = sum(e)
        out[h] = sum((float(BF16(e[n])) if round_p else e[n]) * vmat[n] for n in range(len(keys))) / z
    return out


def exact_attend(q, keys, values, scale):
    return _attend(q, keys, values, scale, round_p=False)


def _positions(entries, sbs: int, mode: int, s1: int, s2: int, i: int) -> list[int]:
    out = []
    for e in entries:
        e = int(e)
        if e == -1:
            break
        for p in range(e * sbs, e * sbs + sbs):
            if sees(mode, s1, s2, i, p):
                out.append(p)
    return out


def sparse_flash_attention(args: dict, attend=_attend, positions=None) -> np.ndarray:
    """float64 output of op 3 (``attend`` / ``positions`` replace the softmax or the selection rule)."""
    positions = positions or _positions
    lq, lk = args.get("layout_query", "BSND"), args.get("layout_kv", "BSND")
    mode, sbs = args.get("sparse_mode", 3), args["sparse_block_size"]
    q = args["query"]
    out = np.zeros(q.shape[:-1] + (args["value"].shape[-1],))
    for b, qidx in batches(args, "query", lq, "actual_seq_lengths_query"):
        s2 = kv_length(args, "key", lk, "actual_seq_lengths_kv", b)
        for i, at in enumerate(qidx):
            keys, values = [], []
            for p in positions(args["sparse_indices"][at][0], sbs, mode, len(qidx), s2, i):
                kn = key_at(args, "key", lk, "actual_seq_lengths_kv", b, p)[0].astype(np.float64)
                if args.get("key_rope") is not None:
                    kr = key_at(args, "key_rope", lk, "actual_seq_lengths_kv", b, p)[0].astype(np.float64)
                    kn = np.concatenate([kn, kr])
                keys.append(kn)
                values.append(key_at(args, "value", lk, "actual_seq_lengths_kv", b, p)[0].astype(np.float64))
            qv = q[at].astype(np.float64)
            if args.get("query_rope") is not None:
                qv = np.concatenate([qv, args["query_rope"][at].astype(np.float64)], axis=-1)
            if keys:
                out[at] = attend(qv, keys, values, args["scale_value"])
    return out


def decode_kv_row(row, exact: bool = False) -> tuple[list[float], list[float]]:
    """(dequantized bf16 nope as floats [512], rope floats [64]) of one 656-byte row, via struct
    (``exact``: the float64 product int8 * scale, unrounded)."""
    raw = bytes(np.asarray(row, dtype=np.int8).tobytes())
    nope = struct.unpack("<512b", raw[:512])
    rope_bits = struct.unpack("<64H", raw[512:640])
    scales = struct.unpack("<4f", raw[640:656])
    rope = [float(np.array([bits], dtype=np.uint16).view(BF16)[0]) for bits in rope_bits]
    if exact:
        return [nope[x] * scales[x // 128] for x in range(512)], rope
    deq = [float(BF16(np.float32(nope[x]) * np.float32(scales[x // 128]))) for x in range(512)]
    return deq, rope


def sparse_flash_attention_antiquant(args: dict, attend=_attend, exact: bool = False) -> np.ndarray:
    """float64 output of op 4 (``exact``: unrounded dequant; pass ``attend=exact_attend`` too)."""
    lq, lk = args.get("layout_query", "BSND"), args.get("layout_kv", "BSND")
    mode, sbs = args.get("sparse_mode", 3), args["sparse_block_size"]
    q = args["query"]
    out = np.zeros(q.shape[:-1] + (512,))
    for b, qidx in batches(args, "query", lq, "actual_seq_lengths_query"):
        s2 = kv_length(args, "key", lk, "actual_seq_lengths_kv", b)
        for i, at in enumerate(qidx):
            keys, values = [], []
            for p in _positions(args["sparse_indices"][at][0], sbs, mode, len(qidx), s2, i):
                kn, kr = decode_kv_row(key_at(args, "key", lk, "actual_seq_lengths_kv", b, p)[0], exact)
                vn, _ = decode_kv_row(key_at(args, "value", lk, "actual_seq_lengths_kv", b, p)[0], exact)
                keys.append(kn + kr)
                values.append(vn)
            if keys:
                out[at] = attend(q[at].astype(np.float64), keys, values, args["scale_value"])
    return out


def sparse_flash_attention_quant(args: dict, attend=_attend, exact: bool = False) -> np.ndarray:
    """float64 output of op 5: row i of batch b reads its first min(max(act - s1 + 1 + i, 0), topk) entries."""
    nq, topk, bs = args["nq"], args["topk"], args["block_size"]
    table, act = args["block_table"], args["kv_act_seqs"]
    b_count = table.shape[0]
    t = args["query_nope"].shape[0] // nq
    s1 = t // b_count
    out = np.zeros((b_count, s1, nq, 512))
    for b in range(b_count):
        for i in range(s1):
            row = b * s1 + i
            count = min(max(int(act[b]) - s1 + 1 + i, 0), topk)
            keys, values = [], []
            for e in args["topk_indices"][row][:count]:
                slot = int(table[b, int(e) // bs]) * bs + int(e) % bs
                nope = args["key_nope_2d"][slot].astype(np.float32)
                sc = args["k_nope_scales"][slot]
                deq = [float(nope[x]) * float(sc[x // 128]) if exact else float(BF16(nope[x] * sc[x // 128]))
                       for x in range(512)]
                keys.append(deq + [float(v) for v in args["key_rope_2d"][slot]])
                values.append(deq)
            q = np.concatenate(
                [args["query_nope"][row * nq : (row + 1) * nq], args["query_rope"][row * nq : (row + 1) * nq]], axis=-1
            ).astype(np.float64)
            if keys:
                out[b, i] = attend(q, keys, values, args["softmax_scale"])
    return out


# ------------------------------------------------------------------------- catalogs

def catalog(op: str, tier: str) -> list[dict]:
    """The op's case catalog tier, from the ``cases:`` section of its opdef."""
    from dsaops.opdef import load_opdefs

    return [{"id": c.id, "params": dict(c.params)} for c in load_opdefs()[op].cases[tier]]
