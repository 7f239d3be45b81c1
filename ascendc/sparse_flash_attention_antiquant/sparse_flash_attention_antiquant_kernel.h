// sparse_flash_attention_antiquant: the sparse flash attention kernel with the KV antiquant policy
// (SfaAntiquantPolicy): packed 656-byte int8 KV rows gathered and dequantised on the vector cores
// (common/quant.h) into a bf16 tile the cube loads; the query's rope is packed after its 512 nope dims.
#pragma once

#include "sparse_flash_attention/sparse_flash_attention_kernel.h"

template <class V>
__aicore__ inline void SparseFlashAttentionAntiquantRun(GM_ADDR query, GM_ADDR key, GM_ADDR value,
                                                        GM_ADDR sparse_indices, GM_ADDR key_dequant_scale,
                                                        GM_ADDR value_dequant_scale, GM_ADDR block_table,
                                                        GM_ADDR actual_seq_lengths_query, GM_ADDR actual_seq_lengths_kv,
                                                        GM_ADDR attention_out, GM_ADDR userWorkspace,
                                                        const SparseFlashAttentionAntiquantTilingData& tiling)
{
    (void)key_dequant_scale;    // reserved: the scales are packed in the rows (the opdef requires None)
    (void)value_dequant_scale;
    dsa::SfaGm gm;
    gm.query = query;
    gm.key = key;
    gm.value = value;
    gm.indices = sparse_indices;
    gm.blockTable = block_table;
    gm.actualSeqQ = actual_seq_lengths_query;
    gm.actualSeqKv = actual_seq_lengths_kv;
    gm.out = attention_out;
    gm.workspace = userWorkspace;
    dsa::SfaKernel<dsa::SfaAntiquantPolicy> kernel;
    kernel.Init(gm, dsa::ResolveSfaParams(tiling));
    kernel.Process();
}
