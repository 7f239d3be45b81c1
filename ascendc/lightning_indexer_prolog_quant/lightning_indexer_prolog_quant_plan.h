// Sizes and the GM workspace plan of lightning_indexer_prolog_quant, shared by the host tiling and the kernel.
//   [0, Q)        q_acc   int32 [t, 8192]                 q_norm . w_qb (one K part)
//   [Q, Q+K)      k_parts fp32  [K_PARTS, t, 128]          x . wk, one partial per 512 rows of wk
//   [.., +W)      w_parts fp32  [W_PARTS, t, 64]           x . w_proj, one partial per 512 rows
//   then per core: had_in bf16 [64, 128] (16 KB), had_out bf16 [64, 128] (16 KB)
#pragma once

#include <cstdint>

struct LipqPlan {
    static constexpr uint32_t HIDDEN = 7168;
    static constexpr uint32_t Q_LORA = 1536;
    static constexpr uint32_t HEADS = 64;
    static constexpr uint32_t HEAD_DIM = 128;
    static constexpr uint32_t ROPE = 64;
    static constexpr uint32_t QB_COLS = HEADS * HEAD_DIM;
    static constexpr uint32_t MAX_TOKENS = 4096;  // the K-part copies stride t rows (16-bit gaps)
    // Weight units of the GEMMs (common/prolog_gemm.h): w_qb 1536 x 64 int8 (96 KB), wk 512 x 128 bf16
    // (128 KB), w_proj 512 x 64 bf16 (64 KB).
    static constexpr uint32_t QB_TILE = 64;
    static constexpr uint32_t K_PART = 512;
    static constexpr uint32_t K_PARTS = HIDDEN / K_PART;     // 14
    static constexpr uint32_t W_PART = K_PART;               // wk and w_proj form one chain over x
    static constexpr uint32_t W_PARTS = HIDDEN / W_PART;     // 14
    static constexpr uint32_t W_TILE = 64;
    // Vector items: a q item is one token's 64 query heads (AIV s: heads 32 s .. 32 s + 32), a k item up to
    // 16 tokens' keys and head weights (AIV s: tokens 8 s .. 8 s + 8 of the group). Hadamard slots hold
    // 64 rows in (bf16) and out (bf16, rounded by the Fixpipe).
    static constexpr uint32_t Q_ROWS = HEADS / 2;            // q rows per AIV
    static constexpr uint32_t K_GROUP = 16;                  // tokens per k item
    static constexpr uint32_t K_ROWS = K_GROUP / 2;          // k rows per AIV
    static constexpr uint32_t HAD_ROWS = HEADS;
    static constexpr uint64_t HAD_IN_BYTES = HAD_ROWS * HEAD_DIM * 2;
    static constexpr uint64_t HAD_OUT_BYTES = HAD_ROWS * HEAD_DIM * 2;
    static constexpr uint64_t CORE_BYTES = HAD_IN_BYTES + HAD_OUT_BYTES;

    static constexpr uint64_t QAccBytes(uint32_t t) { return uint64_t(t) * QB_COLS * 4; }
    static constexpr uint64_t KPartsOffset(uint32_t t) { return QAccBytes(t); }
    static constexpr uint64_t WPartsOffset(uint32_t t) { return KPartsOffset(t) + uint64_t(K_PARTS) * t * HEAD_DIM * 4; }
    static constexpr uint64_t CoreOffset(uint32_t t) { return WPartsOffset(t) + uint64_t(W_PARTS) * t * HEADS * 4; }
    static constexpr uint64_t WorkspaceBytes(uint32_t t, uint32_t cores) { return CoreOffset(t) + cores * CORE_BYTES; }
};
