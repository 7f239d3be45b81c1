// Sparse flash attention kernel (KERNEL_TYPE_MIX_AIC_1_2): the scheduler. It owns the row loop, the
// sparse-index walk and every cross-core call; SfaCube (V0 gather, C1, C2) and SfaVector (V0 index
// compaction, V1, V2) only run stages. Query rows go round-robin to the cores; all N1 heads of a row are the
// cube's M.
//
//   per row (part): AIV compact the row's indices on the vector unit -> GM list; set INDEX_READY; the AIC
//   walks AIV 0's list (one scalar read per gathered entry) and sets INDEX_FREE when done with it.
//   per key tile of <= 64 selected keys:
//   AIC  V0 gather K~/V~ rows -> L1;  C1 S = Q.K~^T -> logits slot;  set LOGITS_READY
//   AIV  wait LOGITS_READY;  V1 online softmax -> P (bf16) -> probs slot;  set PROBS_READY;  rescale O
//   AIC  wait PROBS_READY;  C2 P.V~ -> out slot;  set OUT_READY
//   AIV  wait OUT_READY;  V2 O += P.V~;  at the row's end O / l -> attention_out (zeros without keys)
// The three flags alternate strictly, so each slot has one tile in flight. With fewer rows than cores
// (decode) each row is `splits` items (tile t to part t % splits) on different cores; each part writes
// its unnormalised (max, sum, O) and, after SyncAll, V3 merges them per row. See DESIGN.md.
#pragma once

#include "sparse_flash_attention_common.h"
#include "sparse_flash_attention_cube.h"
#include "sparse_flash_attention_vector.h"

namespace dsa {

template <class P>
class SfaKernel {
public:
    __aicore__ inline void Init(const SfaGm& gm, const SfaParams& p)
    {
        gm_ = gm;
        p_ = p;
        queries_.Init(SeqLayout(p.layoutQuery), p.maxSeqQ, gm.actualSeqQ);
        keys_.Init(SeqLayout(p.layoutKv), p.maxSeqKv, gm.actualSeqKv, gm.blockTable, p.blockSize, p.maxBlocks);
        rows_.Init(&queries_, &keys_, p);
        indicesGm_.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(gm.indices));
    }

    __aicore__ inline void Process()
    {
        if ASCEND_IS_AIC {
            ProcessCube();
        }
        if ASCEND_IS_AIV {
            ProcessVector();
        }
    }

private:
    __aicore__ inline uint32_t Tiles(uint32_t positions) const { return CeilDiv(positions, SfaPlan::KEY_TILE); }
    __aicore__ inline uint32_t TileKeys(uint32_t positions, uint32_t t) const
    {
        return Min(SfaPlan::KEY_TILE, positions - t * SfaPlan::KEY_TILE);
    }

    __aicore__ inline void ProcessCube()
    {
        TPipe pipe;
        SfaCube<P> cube;
        const uint32_t core = GetBlockIdx();
        cube.InitParams(p_, gm_, &keys_, core);
        cube.InitBuffers(&pipe);
        const GlobalTensor<int32_t> list = SfaIndexList<P>(gm_, p_, core, 0);
        RowRun r;
        CompactCursor cursor;
        rows_.Reset();
        CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(C0V0_INDEX_FREE);  // the AIVs may write the first list
        while (rows_.Next(core, GetBlockNum(), p_.splits, r)) {
            CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(V0C0_INDEX_READY);
            cursor.Init(list, p_.sparseBlockSize, r.visible);
            const uint32_t positions = cursor.Positions();
            bool loaded = false;
            for (uint32_t t = 0; t < Tiles(positions); ++t) {
                if (t % p_.splits != r.part) {  // another part's tile
                    if constexpr (!P::KV_DEQUANT) cursor.SkipTile(SfaPlan::KEY_TILE);
                    continue;
                }
                const uint32_t keys = TileKeys(positions, t);
                if constexpr (P::KV_DEQUANT) {
                    CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(V0C1_KV_READY);
                    cube.LoadKvTile(keys);
                } else {
                    cube.GatherTile(r, cursor);
                }
                if (!loaded) {
                    cube.LoadQuery(r);
                    loaded = true;
                }
                cube.ComputeLogits();
                CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_FIX>(C1V1_LOGITS_READY);
                CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(V1C2_PROBS_READY);
                cube.ComputeOut(keys);
                CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_FIX>(C2V2_OUT_READY);
            }
            if (loaded) cube.ReleaseQuery();
            CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(C0V0_INDEX_FREE);  // done with the list
        }
        cube.DrainEvents();
    }

    __aicore__ inline void ProcessVector()
    {
        TPipe pipe;
        SfaVector<P> vec;
        const uint32_t core = GetBlockIdx() / 2;
        vec.InitParams(p_, gm_, &keys_, core, GetSubBlockIdx());
        vec.InitBuffers(&pipe);
        const GlobalTensor<int32_t> list = SfaIndexList<P>(gm_, p_, core, vec.SubBlock());
        const uint32_t lo = vec.SubBlock() * (SfaPlan::KEY_TILE / 2), hi = lo + SfaPlan::KEY_TILE / 2;
        RowRun r;
        CompactCursor cursor;
        rows_.Reset();
        while (rows_.Next(core, GetBlockNum(), p_.splits, r)) {
            CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE3>(C0V0_INDEX_FREE);
            const uint32_t positions = vec.CompactIndices(indicesGm_, r, list);
            CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE3>(V0C0_INDEX_READY);
            if constexpr (P::KV_DEQUANT) cursor.Init(list, p_.sparseBlockSize, r.visible);
            vec.BeginRow();
            bool hadKeys = false;
            for (uint32_t t = 0; t < Tiles(positions); ++t) {
                if (t % p_.splits != r.part) {
                    if constexpr (P::KV_DEQUANT) cursor.SkipTile(SfaPlan::KEY_TILE);
                    continue;
                }
                const uint32_t keys = TileKeys(positions, t);
                if constexpr (P::KV_DEQUANT) {
                    vec.BeginKv();
                    cursor.VisitTileRows(SfaPlan::KEY_TILE, lo, hi,
                                         [&](const KeyRun& run, uint32_t row) { vec.StageKv(r, run, row, cursor.FlatRows()); });
                    vec.EndKv();
                    CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE3>(V0C1_KV_READY);
                }
                hadKeys = true;
                CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(C1V1_LOGITS_READY);
                vec.Softmax(keys);
                CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE3>(V1C2_PROBS_READY);
                CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(C2V2_OUT_READY);
                vec.Accumulate();
            }
            if (p_.splits > 1) vec.WritePartial(r);
            else vec.EndRow(r, hadKeys);
        }
        CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE3>(C0V0_INDEX_FREE);  // the AIC's last credit
        if (p_.splits > 1) {
            // V3: every part's (max, sum, O) is in GM; each core that ran a part of a row merges that part's
            // share of the row's heads (both AIVs, own heads).
            PipeBarrier<PIPE_ALL>();
            SyncAll<true>();
            rows_.Reset();
            while (rows_.Next(core, GetBlockNum(), p_.splits, r)) vec.Combine(r);
        }
        vec.Finish();
    }

    SfaGm gm_;
    SfaParams p_;
    QueryRows queries_;
    KeyRows keys_;
    RowWalker rows_;
    GlobalTensor<int32_t> indicesGm_;  // [rows, 1, K]
};

}  // namespace dsa

// Tiling: SparseFlashAttentionTilingData.
template <class V, class Tiling>
__aicore__ inline void SparseFlashAttentionRun(GM_ADDR query, GM_ADDR key, GM_ADDR value, GM_ADDR sparse_indices,
                                               GM_ADDR block_table, GM_ADDR actual_seq_lengths_query,
                                               GM_ADDR actual_seq_lengths_kv, GM_ADDR query_rope, GM_ADDR key_rope,
                                               GM_ADDR attention_out, GM_ADDR userWorkspace, const Tiling& tiling)
{
    using Policy = dsa::SfaBf16Policy<typename V::query_t, typename V::key_t>;
    dsa::SfaGm gm;
    gm.query = query;
    gm.key = key;
    gm.value = value;
    gm.indices = sparse_indices;
    gm.blockTable = block_table;
    gm.actualSeqQ = actual_seq_lengths_query;
    gm.actualSeqKv = actual_seq_lengths_kv;
    gm.queryRope = query_rope;
    gm.keyRope = key_rope;
    gm.out = attention_out;
    gm.workspace = userWorkspace;
    dsa::SfaKernel<Policy> kernel;
    kernel.Init(gm, dsa::ResolveSfaParams(tiling));
    kernel.Process();
}
