// Host tiling of lightning_indexer_prolog_quant (CANN-free): shapes and attrs only. Every AI core streams
// its share of the three weights (PrologGemmSplit in the kernel), so the op runs on all of them; the
// workspace holds the GEMM results and each core's Hadamard slots (lightning_indexer_prolog_quant_plan.h).
#include <cmath>
#include <cstdio>
#include <cstring>

#include "lightning_indexer_prolog_quant_tiling_problem.h"
#include "lightning_indexer_prolog_quant_plan.h"

int LightningIndexerPrologQuantComputeTiling(const LightningIndexerPrologQuantTilingProblem& p,
                                             const DsaopsPlatform& plat, LightningIndexerPrologQuantTilingData* t,
                                             DsaopsTilingResult* r)
{
    using Plan = LipqPlan;
    std::memset(t, 0, sizeof(*t));
    auto fail = [&](const char* param, long long expected, long long got) {
        std::snprintf(r->error, sizeof(r->error), "lightning_indexer_prolog_quant: %s expected %lld, got %lld", param,
                      expected, got);
        return 1;
    };
    // The generated check has refused other model sizes already; the kernel's plan is built on them.
    if (p.h != Plan::HIDDEN) return fail("h", Plan::HIDDEN, p.h);
    if (p.q_lora_rank != Plan::Q_LORA) return fail("q_lora_rank", Plan::Q_LORA, p.q_lora_rank);
    if (p.idx_n_heads != Plan::HEADS) return fail("idx_n_heads", Plan::HEADS, p.idx_n_heads);
    if (p.idx_head_dim != Plan::HEAD_DIM) return fail("idx_head_dim", Plan::HEAD_DIM, p.idx_head_dim);
    if (p.rope_dim != Plan::ROPE) return fail("rope_dim", Plan::ROPE, p.rope_dim);
    if (p.t < 1 || p.t > Plan::MAX_TOKENS) {
        std::snprintf(r->error, sizeof(r->error), "lightning_indexer_prolog_quant: t expected in [1, %u], got %lld",
                      Plan::MAX_TOKENS, static_cast<long long>(p.t));
        return 1;
    }
    if (plat.aicNum == 0) return fail("platform aicNum", 1, 0);
    const uint32_t cores = plat.aicNum;
    t->tokens = uint32_t(p.t);
    t->hidden = uint32_t(p.h);
    t->qLoraRank = uint32_t(p.q_lora_rank);
    t->headsIdx = uint32_t(p.idx_n_heads);
    t->headDim = uint32_t(p.idx_head_dim);
    t->ropeDim = uint32_t(p.rope_dim);
    t->blockNum = uint32_t(p.block_num);
    t->blockSize = uint32_t(p.block_size);
    t->layernormEpsilonK = float(p.layernorm_epsilon_k);
    t->weightsScale = float(1.0 / std::sqrt(double(p.idx_n_heads)) / std::sqrt(double(p.idx_head_dim)));
    t->usedCoreNum = cores;
    r->blockDim = cores;
    r->tilingKey = p.variant;
    r->workspaceSize = Plan::WorkspaceBytes(uint32_t(p.t), cores);
    r->error[0] = '\0';
    return 0;
}
