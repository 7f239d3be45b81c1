// sparse_flash_attention_quant (seed 004): the sparse flash attention kernel with the quant policy
// (SfaQuantPolicy): the paged int8 cache as key_nope_2d / key_rope_2d / k_nope_scales, dequantised on the
// vector cores like the antiquant cache; t = b * s1 query tokens batch-major (a BSND query), token-wise
// indices (sparse block 1), right-down causal over kv_act_seqs.
#pragma once

#include "sparse_flash_attention/sparse_flash_attention_kernel.h"

template <class V>
__aicore__ inline void SparseFlashAttentionQuantRun(GM_ADDR query_nope, GM_ADDR query_rope, GM_ADDR key_nope_2d,
                                                    GM_ADDR key_rope_2d, GM_ADDR k_nope_scales, GM_ADDR topk_indices,
                                                    GM_ADDR block_table, GM_ADDR kv_act_seqs, GM_ADDR attention_out,
                                                    GM_ADDR userWorkspace, const SparseFlashAttentionQuantTilingData& tiling)
{
    dsa::SfaGm gm;
    gm.query = query_nope;
    gm.queryRope = query_rope;
    gm.key = key_nope_2d;
    gm.value = key_nope_2d;  // V~ = the dequantised nope of the same rows
    gm.keyRope = key_rope_2d;
    gm.keyScales = k_nope_scales;
    gm.indices = topk_indices;
    gm.blockTable = block_table;
    gm.actualSeqKv = kv_act_seqs;
    gm.out = attention_out;
    gm.workspace = userWorkspace;
    dsa::SfaKernel<dsa::SfaQuantPolicy> kernel;
    kernel.Init(gm, dsa::ResolveSfaParams(tiling));
    kernel.Process();
}
