// Sizes mla_prolog_quant's kernel and host tiling agree on: the fixed model sizes (the opdef constrains
// them), the GEMM units (common/prolog_gemm.h) and the GM workspace plan. Plain C++: included by the
// CANN-free tiling and by the kernel.
//   [0, CQ)          cq_parts fp32 [DQ_PARTS, t, 1536]   x . w_dq, one partial per 1024 rows of w_dq
//   [CQ, CQ+KV)      kv_parts fp32 [DQ_PARTS, t, 576]    x . w_dkv_kr, the same K parts
//   then per core:   q slots int32 [2, t, 192], nope slots bf16 [2, t, 128]
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
    // GEMM units: x . w_dq / w_dkv_kr in units of 1024 rows x 64 columns (128 KB, K split in 7 parts the
    // vector adds up); q_norm . w_uq_qr per head: 1536 x 64 int8 (96 KB, 3 units); q_nope . w_uk[head]:
    // 128 x 128 bf16 (32 KB, 4 units).
    static constexpr uint32_t DQ_PART = 1024;
    static constexpr uint32_t DQ_PARTS = H / DQ_PART;  // 7
    static constexpr uint32_t DQ_TILE = 64;
    static constexpr uint32_t Q_TILE = 64;
    static constexpr uint32_t UK_TILE = 128;
    static constexpr uint32_t SLOTS = 2;

    static constexpr uint64_t CqPartsOffset() { return 0; }
    static constexpr uint64_t KvPartsOffset(uint32_t t) { return uint64_t(DQ_PARTS) * t * QL * 4; }
    static constexpr uint64_t CoreOffset(uint32_t t) { return KvPartsOffset(t) + uint64_t(DQ_PARTS) * t * KVC * 4; }
    static constexpr uint64_t QSlotBytes(uint32_t t) { return uint64_t(t) * QHD * 4; }
    static constexpr uint64_t NopeSlotBytes(uint32_t t) { return uint64_t(t) * NOPE * 2; }
    static constexpr uint64_t CoreBytes(uint32_t t) { return SLOTS * (QSlotBytes(t) + NopeSlotBytes(t)); }
    static constexpr uint64_t WorkspaceBytes(uint32_t t, uint32_t cores) { return CoreOffset(t) + cores * CoreBytes(t); }
};

}  // namespace dsa
