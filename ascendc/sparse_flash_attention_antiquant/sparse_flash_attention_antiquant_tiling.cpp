// Host tiling of sparse_flash_attention_antiquant (CANN-free): the sparse_flash_attention tiling with the
// 576-dim packed query, the 656-byte KV rows and the per-core kv slots of the dequantised tile.
#include "sparse_flash_attention_antiquant_tiling_problem.h"
#include "sparse_flash_attention/sparse_flash_attention_tiling.h"

int SparseFlashAttentionAntiquantComputeTiling(const SparseFlashAttentionAntiquantTilingProblem& p,
                                               const DsaopsPlatform& plat,
                                               SparseFlashAttentionAntiquantTilingData* tiling, DsaopsTilingResult* r)
{
    const char* op = "sparse_flash_attention_antiquant";
    if (p.Dkv != 656) return SfaTiling::FailInt(r, op, "key Dkv", "656", p.Dkv);
    if (p.tile_size != 128) return SfaTiling::FailInt(r, op, "tile_size", "128", p.tile_size);
    const int rc = SfaTiling::Compute(op, p, plat, p.Dq - p.rope_head_dim, p.rope_head_dim,
                                      SfaPlan::CORE_WORKSPACE_BYTES_DEQUANT, tiling, r);
    if (rc == 0) {
        tiling->queryDim = uint32_t(p.Dq);
        tiling->kvRowBytes = uint32_t(p.Dkv);
        tiling->nopeDim = uint32_t(p.Dq - p.rope_head_dim);
        tiling->tileSize = uint32_t(p.tile_size);
    }
    return rc;
}
