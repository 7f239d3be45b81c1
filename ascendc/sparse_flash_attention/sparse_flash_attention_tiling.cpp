// Host tiling of sparse_flash_attention (CANN-free): called by the generated CANN adapter and the twin
// runner. Shapes and attrs only; the kernel reads lengths, indices and the block table at run time.
#include "sparse_flash_attention_tiling_problem.h"
#include "sparse_flash_attention_tiling.h"

int SparseFlashAttentionComputeTiling(const SparseFlashAttentionTilingProblem& p, const DsaopsPlatform& plat,
                                      SparseFlashAttentionTilingData* tiling, DsaopsTilingResult* r)
{
    const int rc = SfaTiling::Compute("sparse_flash_attention", p, plat, p.D, p.has_query_rope ? p.Dr : 0,
                                      SfaPlan::CORE_WORKSPACE_BYTES, tiling, r);
    if (rc == 0) tiling->headDim = uint32_t(p.D);
    return rc;
}
