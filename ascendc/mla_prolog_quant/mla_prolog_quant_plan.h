// Sizes mla_prolog_quant's kernel and host tiling agree on: the fixed model sizes (the opdef constrains
// them), the token block and the workspace plan. Plain C++: included by the CANN-free tiling and the kernel.
#pragma once

#include <cstdint>

namespace dsa {

struct MlaPlan {
    static constexpr uint32_t H = 7168;           // hidden
    static constexpr uint32_t QL = 1536;          // q_lora_rank
    static constexpr uint32_t NQ = 128;           // query heads
    static constexpr uint32_t NOPE = 128;         // qk_nope_head_dim
    static constexpr uint32_t ROPE = 64;          // rope_dim
    static constexpr uint32_t QHD = NOPE + ROPE;  // 192 columns of w_uq_qr per head
    static constexpr uint32_t KVL = 512;          // kv_lora_rank
    static constexpr uint32_t KVC = KVL + ROPE;   // 576 columns of w_dkv_kr
    static constexpr uint32_t KV_TILE = 128;      // c_kv values per cache scale
    static constexpr uint32_t TOKEN_BLOCK = 64;   // tokens per pass of every weight (the cube's M)
    static constexpr uint32_t BAND = 16;          // stage-1 column grain (a bf16 NZ band)
    static constexpr uint32_t DQ_BANDS = QL / BAND;   // 96
    static constexpr uint32_t DKV_BANDS = KVC / BAND;  // 36
    static constexpr uint32_t Q_SLOTS = 2;
    // Workspace: the shared bf16 x @ w_dq and x @ w_dkv_kr of one token block, then per AI core its q
    // slots (int32 [64, 192]) and absorbed-query input slots (bf16 q_nope [64, 128]).
    static constexpr uint64_t CQ_RAW_BYTES = uint64_t(TOKEN_BLOCK) * QL * 2;
    static constexpr uint64_t KV_RAW_BYTES = uint64_t(TOKEN_BLOCK) * KVC * 2;
    static constexpr uint64_t Q_SLOT_ELEMS = uint64_t(TOKEN_BLOCK) * QHD;
    static constexpr uint64_t NOPE_SLOT_ELEMS = uint64_t(TOKEN_BLOCK) * NOPE;
    static constexpr uint64_t CORE_WS_BYTES = Q_SLOTS * (Q_SLOT_ELEMS * 4 + NOPE_SLOT_ELEMS * 2);
    static constexpr uint64_t WorkspaceBytes(uint32_t cores)
    {
        return CQ_RAW_BYTES + KV_RAW_BYTES + uint64_t(cores) * CORE_WS_BYTES;
    }
};

}  // namespace dsa
