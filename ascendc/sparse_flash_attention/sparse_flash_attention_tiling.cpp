// Host tiling of sparse_flash_attention (CANN-free): called by the generated CANN adapter and the twin
// runner. Shapes and attrs only; the kernel reads lengths, indices and the block table at run time.
#include <cstdio>
#include <cstring>

#include "sparse_flash_attention_tiling_problem.h"
#include "sparse_flash_attention_plan.h"

namespace {

int Fail(DsaopsTilingResult* r, const char* param, const char* expected, long long got)
{
    std::snprintf(r->error, sizeof(r->error), "sparse_flash_attention: %s expected %s, got %lld", param, expected, got);
    return 1;
}

int FailStr(DsaopsTilingResult* r, const char* param, const char* expected, const char* got)
{
    std::snprintf(r->error, sizeof(r->error), "sparse_flash_attention: %s expected %s, got %s", param, expected,
                  got ? got : "null");
    return 1;
}

int LayoutId(const char* s)
{
    if (s == nullptr) return -1;
    if (std::strcmp(s, "BSND") == 0) return 0;
    if (std::strcmp(s, "TND") == 0) return 1;
    if (std::strcmp(s, "PA_BSND") == 0) return 2;
    return -1;
}

}  // namespace

int SparseFlashAttentionComputeTiling(const SparseFlashAttentionTilingProblem& p, const DsaopsPlatform& plat,
                                      SparseFlashAttentionTilingData* t, DsaopsTilingResult* r)
{
    std::memset(t, 0, sizeof(*t));
    const int lq = LayoutId(p.layout_query);
    const int lkv = LayoutId(p.layout_kv);
    if (lq < 0 || lq == 2) return FailStr(r, "layout_query", "one of BSND, TND", p.layout_query);
    if (lkv < 0) return FailStr(r, "layout_kv", "one of BSND, TND, PA_BSND", p.layout_kv);
    if (p.N1 < 1 || p.N1 > SfaPlan::MAX_HEADS) return Fail(r, "query N1", "in [1, 128]", p.N1);
    if (p.D != SfaPlan::HEAD_DIM) return Fail(r, "query D", "512", p.D);
    if (p.has_query_rope && p.Dr != SfaPlan::ROPE_DIM) return Fail(r, "query_rope Dr", "64", p.Dr);
    if (p.K < 1) return Fail(r, "sparse_indices K", ">= 1", p.K);
    if (!(p.scale_value > 0.0)) return FailStr(r, "scale_value", "a finite number > 0", "a non-positive value");
    if (plat.aicNum == 0) return Fail(r, "platform aicNum", ">= 1", 0);

    const uint64_t maxSeqQ = lq == 0 ? uint64_t(p.S1) : uint64_t(p.T);
    const uint64_t maxSeqKv = lkv == 0 ? uint64_t(p.S2) : lkv == 1 ? uint64_t(p.T2) : uint64_t(p.max_blocks) * p.block_size;
    const uint64_t rows = lq == 0 ? uint64_t(p.B) * p.S1 : uint64_t(p.T);
    uint64_t cores = rows < 1 ? 1 : rows;
    if (cores > plat.aicNum) cores = plat.aicNum;

    t->batch = uint32_t(p.B);
    t->maxSeqQ = uint32_t(maxSeqQ);
    t->maxSeqKv = uint32_t(maxSeqKv);
    t->headsQ = uint32_t(p.N1);
    t->headDim = uint32_t(p.D);
    t->ropeDim = p.has_query_rope ? uint32_t(p.Dr) : 0u;
    t->sparseSize = uint32_t(p.K);
    t->sparseBlockSize = uint32_t(p.sparse_block_size);
    t->blockSize = lkv == 2 ? uint32_t(p.block_size) : 0u;
    t->maxBlocks = lkv == 2 ? uint32_t(p.max_blocks) : 0u;
    t->scaleValue = float(p.scale_value);
    t->sparseMode = uint32_t(p.sparse_mode);
    t->layoutQuery = uint32_t(lq);
    t->layoutKv = uint32_t(lkv);
    t->usedCoreNum = uint32_t(cores);
    r->blockDim = uint32_t(cores);
    r->tilingKey = p.variant;
    r->workspaceSize = cores * SfaPlan::CORE_WORKSPACE_BYTES;
    r->error[0] = '\0';
    return 0;
}
