// Host tiling of mla_indexer_prolog_quant (CANN-free): the generated check has fixed the model sizes;
// every AI core takes part (the four x GEMMs, then w_qb and w_uq_qr, are split over all of them).
#include <cmath>
#include <cstdio>
#include <cstring>

#include "mla_indexer_prolog_quant_tiling_problem.h"
#include "mla_indexer_prolog_quant_plan.h"

int MlaIndexerPrologQuantComputeTiling(const MlaIndexerPrologQuantTilingProblem& p, const DsaopsPlatform& plat,
                                       MlaIndexerPrologQuantTilingData* t, DsaopsTilingResult* r)
{
    std::memset(t, 0, sizeof(*t));
    if (p.t < 1 || p.t > LipqPlan::MAX_TOKENS) {
        std::snprintf(r->error, sizeof(r->error), "mla_indexer_prolog_quant: t expected in [1, %u], got %lld",
                      LipqPlan::MAX_TOKENS, static_cast<long long>(p.t));
        return 1;
    }
    if (plat.aicNum == 0) {
        std::snprintf(r->error, sizeof(r->error), "mla_indexer_prolog_quant: platform aicNum expected >= 1, got 0");
        return 1;
    }
    const uint32_t cores = plat.aicNum;
    t->tokens = uint32_t(p.t);
    t->hidden = uint32_t(p.h);
    t->qLoraRank = uint32_t(p.q_lora_rank);
    t->headsQ = uint32_t(p.n_q);
    t->qkNopeHeadDim = uint32_t(p.qk_nope_head_dim);
    t->ropeDim = uint32_t(p.rope_dim);
    t->kvLoraRank = uint32_t(p.kv_lora_rank);
    t->headsIdx = uint32_t(p.idx_n_heads);
    t->headDimIdx = uint32_t(p.idx_head_dim);
    t->blockNum = uint32_t(p.block_num);
    t->blockSize = uint32_t(p.block_size);
    t->epsilonCq = float(p.mla_epsilon_cq);
    t->epsilonCkv = float(p.mla_epsilon_ckv);
    t->layernormEpsilonK = float(p.ip_layernorm_epsilon_k);
    t->weightsScale = float(1.0 / std::sqrt(double(p.idx_n_heads)) / std::sqrt(double(p.idx_head_dim)));
    t->usedCoreNum = cores;
    r->blockDim = cores;
    r->tilingKey = p.variant;
    r->workspaceSize = dsa::MipqPlan::WorkspaceBytes(uint32_t(p.t), cores);
    r->error[0] = '\0';
    return 0;
}
