// Host tiling of mla_prolog_quant (CANN-free): the generated check has fixed the model sizes; every AI core
// of the SoC takes part (each streams its own columns of every weight).
#include <cstdio>
#include <cstring>

#include "mla_prolog_quant_tiling_problem.h"
#include "mla_prolog_quant_plan.h"

int MlaPrologQuantComputeTiling(const MlaPrologQuantTilingProblem& p, const DsaopsPlatform& plat,
                                MlaPrologQuantTilingData* t, DsaopsTilingResult* r)
{
    std::memset(t, 0, sizeof(*t));
    if (p.t < 1) {
        std::snprintf(r->error, sizeof(r->error), "mla_prolog_quant: token_x t expected >= 1, got %lld",
                      static_cast<long long>(p.t));
        return 1;
    }
    if (plat.aicNum == 0) {
        std::snprintf(r->error, sizeof(r->error), "mla_prolog_quant: platform aicNum expected >= 1, got 0");
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
    t->blockNum = uint32_t(p.block_num);
    t->blockSize = uint32_t(p.block_size);
    t->epsilonCq = float(p.epsilon_cq);
    t->epsilonCkv = float(p.epsilon_ckv);
    t->usedCoreNum = cores;
    r->blockDim = cores;
    r->tilingKey = p.variant;
    r->workspaceSize = dsa::MlaPlan::WorkspaceBytes(uint32_t(p.t), cores);
    r->error[0] = '\0';
    return 0;
}
