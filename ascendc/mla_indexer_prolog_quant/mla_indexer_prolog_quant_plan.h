// GM workspace of mla_indexer_prolog_quant: the MLA prolog's workspace, the MLA part's q_norm (int8
// [t, 1536]) and its scales (fp32 [t]) that stay internal and feed the indexer part, then the indexer
// prolog's workspace. Plain C++ (host tiling and kernel).
#pragma once

#include <cstdint>

#include "lightning_indexer_prolog_quant/lightning_indexer_prolog_quant_plan.h"
#include "mla_prolog_quant/mla_prolog_quant_plan.h"

namespace dsa {

struct MipqPlan {
    static constexpr uint64_t Align32(uint64_t b) { return (b + 31) / 32 * 32; }
    static constexpr uint64_t QNormOffset(uint32_t t, uint32_t cores) { return MlaPlan::WorkspaceBytes(t, cores); }
    static constexpr uint64_t QScaleOffset(uint32_t t, uint32_t cores)
    {
        return QNormOffset(t, cores) + Align32(uint64_t(t) * MlaPlan::QL);
    }
    static constexpr uint64_t IndexerOffset(uint32_t t, uint32_t cores)
    {
        return QScaleOffset(t, cores) + Align32(uint64_t(t) * 4);
    }
    static constexpr uint64_t WorkspaceBytes(uint32_t t, uint32_t cores)
    {
        return IndexerOffset(t, cores) + LipqPlan::WorkspaceBytes(t, cores);
    }
};

}  // namespace dsa
