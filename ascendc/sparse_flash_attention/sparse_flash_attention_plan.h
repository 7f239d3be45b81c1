// Sizes the sparse flash attention kernel and its host tiling agree on. Plain C++: included by the
// CANN-free tiling function and by the kernel, whose buffer plans static_assert against these.
#pragma once

#include <cstdint>

namespace SfaPlan {
constexpr uint32_t HEAD_DIM = 512;     // D: nope dims of query / key / value (the opdef constrains it)
constexpr uint32_t ROPE_DIM = 64;      // Dr when query_rope / key_rope are given
constexpr uint32_t MAX_HEADS = 128;    // N1 <= 128: the heads of one query token are the cube's M
constexpr uint32_t KEY_TILE = 64;      // selected keys per tile: one fp32 vector repeat per head row
constexpr uint32_t K_CHUNK = 192;      // k of one Q.K~^T Mmad (L0A: 128 x 192 bf16 = 48 KB)
constexpr uint32_t N_CHUNK = 128;      // n of one P.V~ Mmad (L0C: 128 x 128 fp32 = 64 KB)
constexpr uint32_t OUT_CHUNK_HEADS = 8;  // heads per vector pass over a [heads, 512] fp32 tile

// Per-core workspace: logits slot [128, 64] fp32, probs slot [128, 64] bf16, out slot [128, 512] fp32.
constexpr uint64_t LOGITS_SLOT_BYTES = uint64_t(MAX_HEADS) * KEY_TILE * 4;
constexpr uint64_t PROBS_SLOT_BYTES = uint64_t(MAX_HEADS) * KEY_TILE * 2;
constexpr uint64_t OUT_SLOT_BYTES = uint64_t(MAX_HEADS) * HEAD_DIM * 4;
constexpr uint64_t CORE_WORKSPACE_BYTES = LOGITS_SLOT_BYTES + PROBS_SLOT_BYTES + OUT_SLOT_BYTES;
// KV antiquant adds the dequantised tile: K~ [64, 576] bf16 and V~ [64, 512] bf16 (when value is not key).
constexpr uint64_t KV_SLOT_BYTES = uint64_t(KEY_TILE) * (HEAD_DIM + ROPE_DIM) * 2;
constexpr uint64_t V_SLOT_BYTES = uint64_t(KEY_TILE) * HEAD_DIM * 2;
constexpr uint64_t CORE_WORKSPACE_BYTES_DEQUANT = CORE_WORKSPACE_BYTES + KV_SLOT_BYTES + V_SLOT_BYTES;

// After a core's slots: two compacted index lists (one per AIV; the AIC walks AIV 0's), each a 32-byte
// header and the kept entries of a K-entry index row (common/gather_kv.h IndexCompactor).
constexpr uint32_t INDEX_LIST_HEADER = 8;  // int32 words
constexpr uint64_t IndexListBytes(uint64_t k) { return (INDEX_LIST_HEADER + (k + 7) / 8 * 8) * 4; }
constexpr uint64_t CoreWorkspaceBytes(uint64_t slots, uint64_t k) { return slots + 2 * IndexListBytes(k); }

// Split rows (splits > 1): after every core's slots, one partial per (row, part): O [N1, 512] fp32
// unnormalised, then the running max and sum [MAX_HEADS] fp32 each.
constexpr uint32_t MAX_SPLITS = 8;
constexpr uint64_t PARTIAL_STAT_BYTES = uint64_t(MAX_HEADS) * 4;
}  // namespace SfaPlan
