// quant_lightning_indexer: the lightning indexer kernel with the int8 policy (IndexerInt8Policy):
// int32 Q.K^T, Fixpipe S / 1024 -> fp16 with ReLU, fp16(w * q_scale) head weights, key dequant scales.
#pragma once

#include "lightning_indexer/lightning_indexer_kernel.h"

template <class V>
__aicore__ inline void QuantLightningIndexerRun(GM_ADDR query, GM_ADDR key, GM_ADDR weights, GM_ADDR query_dequant_scale,
                                                GM_ADDR key_dequant_scale, GM_ADDR actual_seq_lengths_query,
                                                GM_ADDR actual_seq_lengths_key, GM_ADDR block_table,
                                                GM_ADDR sparse_indices, GM_ADDR userWorkspace,
                                                const QuantLightningIndexerTilingData& tiling)
{
    dsa::IndexerGm gm;
    gm.query = query;
    gm.key = key;
    gm.weights = weights;
    gm.queryScale = query_dequant_scale;
    gm.keyScale = key_dequant_scale;
    gm.actualSeqQ = actual_seq_lengths_query;
    gm.actualSeqK = actual_seq_lengths_key;
    gm.blockTable = block_table;
    gm.sparseIndices = sparse_indices;
    gm.workspace = userWorkspace;
    dsa::IndexerKernel<dsa::IndexerInt8Policy> kernel;
    kernel.Init(gm, dsa::ResolveIndexerParams(tiling));
    kernel.Process();
}
