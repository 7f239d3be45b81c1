// Host tiling of sparse_flash_attention_quant (CANN-free): the sparse flash attention tiling for a BSND
// query of t = b * s1 tokens over a PA_BSND cache of block_size rows per block, token-wise causal indices.
#include "sparse_flash_attention_quant_tiling_problem.h"
#include "sparse_flash_attention/sparse_flash_attention_tiling.h"

namespace {
// The seed-004 call seen as the common sparse flash attention problem.
struct CommonProblem {
    uint32_t variant;
    int64_t B, S1, T, N1, S2, T2, K, block_size, max_blocks, sparse_block_size, sparse_mode;
    double scale_value;
    const char* layout_query;
    const char* layout_kv;
};
}  // namespace

int SparseFlashAttentionQuantComputeTiling(const SparseFlashAttentionQuantTilingProblem& p, const DsaopsPlatform& plat,
                                           SparseFlashAttentionQuantTilingData* tiling, DsaopsTilingResult* r)
{
    const char* op = "sparse_flash_attention_quant";
    if (p.b < 1 || p.t % p.b != 0) return SfaTiling::FailInt(r, op, "query token count t", "a multiple of b", p.t);
    if (p.block_size < 1) return SfaTiling::FailInt(r, op, "block_size", ">= 1", p.block_size);
    CommonProblem c{p.variant, p.b, p.t / p.b, 0, p.nq, 0, 0, p.topk, p.block_size, p.max_blocknum_perbatch, 1, 3,
                    p.softmax_scale, "BSND", "PA_BSND"};
    const int rc = SfaTiling::Compute(op, c, plat, p.kv_lora_rank, p.rope_dim, SfaPlan::CORE_WORKSPACE_BYTES_DEQUANT,
                                      tiling, r);
    if (rc == 0) {
        tiling->nopeDim = uint32_t(p.kv_lora_rank);
        tiling->tileSize = 128;
        tiling->blockNum = uint32_t(p.slots / p.block_size);
    }
    return rc;
}
